"""The reply timer through the HTTP API, on SQLite and PostgreSQL, on a fake clock: a WhatsApp
ticket accepted and left without a reply to the customer is taken back after the queue's
`reply_timeout_seconds` and offered to the next agent, as an escalation (reason
`reply_timeout`); a reply in time (from the dashboard or the agent's Telegram chat), an accept
by reply, a hold stop it; a note does not."""

from __future__ import annotations

from typing import Any

from giliran.service.assignment.timers import TickReport, tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_whatsapp import tickets
from tests.support.desks import AGENT_CHAT, CUSTOMER, Bot, Desk

API = "/api/v1"


def _set_up(wa: Desk, **policy: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sari then Tono in turn in sales, with a two-minute reply timer; presence never expires."""
    assert wa.client.patch(f"{API}/settings", json={"presence_grace_seconds": 0},
                           headers=ADMIN).status_code == 200
    r = wa.client.patch(f"{API}/queues/sales", headers=ADMIN, json={
        "strategy": "rotation", "reply_timeout_seconds": 120, "reply_accepts": False} | policy)
    assert r.status_code == 200, r.text
    assert r.json()["reply_timeout_seconds"] == policy.get("reply_timeout_seconds", 120)
    made = []
    for order, name in enumerate(("Sari", "Tono"), start=1):
        agent = wa.client.post(f"{API}/agents", headers=ADMIN, json={
            "name": name, "queues": ["sales"], "rotation_order": order}).json()
        wa.client.post(f"{API}/agent/go-online", headers=bearer(agent["token"]))
        made.append(agent)
    return made[0], made[1]


def _later(wa: Desk, seconds: float) -> TickReport:
    wa.clock.advance(seconds)
    return tick(wa.container.ctx)


def _ticket(wa: Desk, ticket_id: int) -> dict[str, Any]:
    return dict(wa.client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN).json())


def _accepted_lead(wa: Desk, agent: dict[str, Any]) -> int:
    wa.says("Halo, mau tanya harga", "wamid.R1")
    (lead,) = tickets(wa.client)
    assert lead["assigned_agent_id"] == agent["id"]
    r = wa.client.post(f"{API}/tickets/{lead['id']}/accept", headers=bearer(agent["token"]))
    assert r.status_code == 200, r.text
    return int(lead["id"])


def test_an_accepted_ticket_never_answered_goes_to_the_next_agent(wa: Desk) -> None:
    sari, tono = _set_up(wa)
    lead = _accepted_lead(wa, sari)
    note = wa.client.post(f"{API}/tickets/{lead}/notes", json={"text": "cek stok dulu"},
                          headers=bearer(sari["token"]))
    assert note.status_code == 201, "a note is for colleagues: the customer still waits"
    assert _later(wa, 119).unanswered == 0
    report = _later(wa, 1)
    assert (report.unanswered, report.escalated) == (1, 0)
    now = _ticket(wa, lead)
    assert (now["assigned_agent_id"], now["status"]) == (tono["id"], "assigned")
    history = wa.client.get(f"{API}/tickets/{lead}/history", headers=ADMIN).json()
    taken = [h for h in history if h["event"] == "escalated"]
    assert [(h["reason"], h["from_agent_id"]) for h in taken] == [("reply_timeout", sari["id"])]
    # Sari's page is told why it left her queue; it is never offered to her again.
    r = wa.client.post(f"{API}/tickets/{lead}/accept", headers=bearer(sari["token"]))
    assert r.status_code == 409, r.text


def test_a_reply_in_time_stops_the_timer_for_good(wa: Desk) -> None:
    sari, _ = _set_up(wa)
    lead = _accepted_lead(wa, sari)
    _later(wa, 100)
    assert wa.reply(lead, sari["token"], text="Harganya 1 juta").status_code == 201
    assert _later(wa, 3600).unanswered == 0
    assert _ticket(wa, lead)["assigned_agent_id"] == sari["id"]


def test_an_accept_by_the_first_reply_is_an_answer(wa: Desk) -> None:
    sari, _ = _set_up(wa, reply_accepts=True)
    wa.says("Halo", "wamid.R2")
    (lead,) = tickets(wa.client)
    assert wa.reply(lead["id"], sari["token"], text="Halo juga").status_code == 201
    assert _ticket(wa, lead["id"])["status"] == "in_progress"
    assert _later(wa, 3600).unanswered == 0
    assert _ticket(wa, lead["id"])["assigned_agent_id"] == sari["id"]


def test_with_the_timer_off_an_unanswered_ticket_stays(wa: Desk) -> None:
    sari, _ = _set_up(wa, reply_timeout_seconds=0)
    lead = _accepted_lead(wa, sari)
    assert _later(wa, 3600).unanswered == 0
    assert _ticket(wa, lead)["assigned_agent_id"] == sari["id"]


def test_a_hold_ends_the_reply_timer(wa: Desk) -> None:
    sari, _ = _set_up(wa)
    lead = _accepted_lead(wa, sari)
    r = wa.client.post(f"{API}/tickets/{lead}/hold", json={"minutes": 600},
                       headers=bearer(sari["token"]))
    assert r.status_code == 200, r.text
    assert _later(wa, 600).unanswered == 0
    assert _ticket(wa, lead)["assigned_agent_id"] == sari["id"]


def test_a_reply_from_the_agents_telegram_chat_stops_the_timer(tg: Bot) -> None:
    """Sari accepts with the button in her chat, and answers there, replying to the message
    that brought the customer's words: that is a reply to the customer like one from the
    dashboard, so the ticket stays hers; Tono, next in turn, never gets it."""
    assert tg.client.patch(f"{API}/settings", json={"presence_grace_seconds": 0},
                           headers=ADMIN).status_code == 200
    r = tg.client.patch(f"{API}/queues/default", headers=ADMIN, json={
        "strategy": "rotation", "reply_timeout_seconds": 120, "reply_accepts": False})
    assert r.status_code == 200, r.text
    sari = make_agent(tg.client, "Sari", rotation_order=1)
    tg.link(sari["id"])
    online(tg.client, sari)
    online(tg.client, make_agent(tg.client, "Tono", rotation_order=2))
    tg.say(CUSTOMER, "Paket saya belum sampai", language_code="id")
    tg.deliver()
    (lead,) = tickets(tg.client)
    assert lead["assigned_agent_id"] == sari["id"]
    wrote = tg.fake.last_message_id(AGENT_CHAT)  # "💬 <number> · Budi: ..."
    assert tg.press(AGENT_CHAT, f"accept:{lead['id']}").startswith("✅ Accepted")
    tg.clock.advance(100)
    tg.say(AGENT_CHAT, "Kami cek dulu ya", reply_to=wrote)
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER)[-1] == "Kami cek dulu ya"
    tg.clock.advance(3600)
    assert tick(tg.container.ctx).unanswered == 0
    held = tg.client.get(f"{API}/tickets/{lead['id']}", headers=ADMIN).json()
    assert (held["assigned_agent_id"], held["status"]) == (sari["id"], "in_progress")
