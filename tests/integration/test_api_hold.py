"""Hold through the HTTP API, on SQLite and PostgreSQL with a fake clock: an agent parks a
ticket while waiting for the customer, the queue decides whether that frees the agent's slot,
and the hold ends by a person, by the customer writing (through the real WhatsApp webhook, to
a fake Graph API) or by its limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.service.assignment.timers import tick
from tests.integration.test_api_escalation import Floor
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket
from tests.support.desks import CUSTOMER, Bot, Desk

API = "/api/v1"


@pytest.fixture
def floor(client: TestClient, container: Container, clock: FakeClock) -> Floor:
    """Presence never expires here: hours pass without heartbeats."""
    made = Floor(client, container, clock)
    made.grace(0)
    return made


def hold(client: TestClient, agent: dict[str, Any] | None, ticket_id: int,
         **body: Any) -> Any:
    headers = bearer(agent["token"]) if agent else ADMIN
    return client.post(f"{API}/tickets/{ticket_id}/hold", json=body or None, headers=headers)


def unhold(client: TestClient, agent: dict[str, Any] | None, ticket_id: int) -> Any:
    headers = bearer(agent["token"]) if agent else ADMIN
    return client.delete(f"{API}/tickets/{ticket_id}/hold", headers=headers)


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return dict(r.json())


def refused(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def test_a_hold_keeps_the_slot_unless_the_queue_frees_it_then_the_next_ticket_comes(
    floor: Floor,
) -> None:
    (sari,) = floor.agents("S", max_tickets=1)
    first, second = (post_ticket(floor.client, t) for t in ("first", "second"))
    assert (first["assigned_agent_id"], second["status"]) == (sari["id"], "queued")

    held = ok(hold(floor.client, sari, first["id"], reason="asked for the invoice number"))
    assert (held["status"], held["assigned_agent_id"]) == ("on_hold", sari["id"])
    assert held["hold_until"] is not None and held["accepted_at"] is not None  # accepted first
    assert floor.ticket(second["id"])["status"] == "queued", "a kept slot was given away"
    assert floor.me(sari)["active_tickets"] == 1
    back = ok(unhold(floor.client, sari, first["id"]))
    assert (back["status"], back["hold_until"]) == ("in_progress", None)

    queue = floor.policy(hold_frees_slot=True)
    assert (queue["hold_frees_slot"], queue["hold_minutes"], queue["hold_expiry"]) == (
        True, 1440, "return")
    ok(hold(floor.client, sari, first["id"]))
    assert floor.holder(second["id"]) == sari["id"], "the freed slot took the next ticket"
    assert floor.me(sari)["active_tickets"] == 1
    assert refused(unhold(floor.client, sari, first["id"])) == (409, "agent_full")
    assert floor.ticket(first["id"])["status"] == "on_hold"

    floor.accept(sari, second["id"])
    ok(floor.client.post(f"{API}/tickets/{second['id']}/complete",
                         headers=bearer(sari["token"])))
    assert ok(unhold(floor.client, sari, first["id"]))["status"] == "in_progress"
    assert floor.me(sari)["active_tickets"] == 1
    events = [(h["event"], h["reason"]) for h in floor.history(first["id"])]
    assert events[-4:] == [("held", "held"), ("unheld", "unheld"), ("held", "held"),
                           ("unheld", "unheld")]


def test_only_the_holder_or_a_supervisor_holds_and_only_an_open_ticket(floor: Floor) -> None:
    sari, budi = floor.agents("SB", max_tickets=1)
    mine = post_ticket(floor.client, "mine")
    assert mine["assigned_agent_id"] == sari["id"]
    assert refused(hold(floor.client, budi, mine["id"])) == (403, "not_your_ticket")
    ok(hold(floor.client, None, mine["id"], minutes=5))  # a supervisor may
    assert refused(unhold(floor.client, budi, mine["id"])) == (403, "not_your_ticket")
    ok(unhold(floor.client, sari, mine["id"]))
    assert refused(unhold(floor.client, sari, mine["id"])) == (409, "invalid_transition")

    ok(floor.client.post(f"{API}/tickets/{mine['id']}/complete", headers=bearer(sari["token"])))
    assert refused(hold(floor.client, sari, mine["id"])) == (409, "invalid_transition")
    assert floor.ticket(mine["id"])["status"] == "completed"
    for agent in (sari, budi):
        floor.client.post(f"{API}/agent/go-offline", headers=bearer(agent["token"]))
    queued = post_ticket(floor.client, "nobody's yet")
    assert queued["status"] == "queued"
    assert refused(hold(floor.client, None, queued["id"])) == (409, "invalid_transition")


def test_a_hold_lasts_at_most_the_queues_limit_and_the_settings_are_checked(
    floor: Floor,
) -> None:
    (sari,) = floor.agents("S")
    ticket = post_ticket(floor.client, "t")
    floor.policy(hold_minutes=60)
    assert refused(hold(floor.client, sari, ticket["id"], minutes=61)) == (422, "invalid_input")
    for bad in ({"hold_minutes": 0}, {"hold_minutes": 43201}, {"hold_expiry": "later"},
                {"hold_frees_slot": "yes"}):
        r = floor.client.patch(f"{API}/queues/default", json=bad, headers=ADMIN)
        assert r.status_code == 422, (bad, r.text)
    held = ok(hold(floor.client, sari, ticket["id"], minutes=60))
    until = datetime.fromisoformat(held["hold_until"].replace("Z", "+00:00"))
    assert until == floor.clock.now() + timedelta(minutes=60)
    listed = floor.client.get(f"{API}/tickets", params={"status": "on_hold"}, headers=ADMIN)
    assert [t["id"] for t in listed.json()["items"]] == [ticket["id"]]
    opened = floor.client.get(f"{API}/tickets", params={"open": "true"}, headers=ADMIN)
    assert [t["id"] for t in opened.json()["items"]] == [ticket["id"]]
    mine = floor.client.get(f"{API}/agent/my-queue", headers=bearer(sari["token"])).json()
    assert [(t["id"], t["status"]) for t in mine["queue"]] == [(ticket["id"], "on_hold")]
    (change,) = [a for a in floor.client.get(f"{API}/audit", headers=ADMIN).json()["items"]
                 if a["kind"] == "queue" and "hold_minutes" in (a["after"] or {})]
    assert (change["before"]["hold_minutes"], change["after"]["hold_minutes"]) == (1440, 60)


def test_at_its_limit_a_hold_returns_to_its_holder_or_closes_as_the_queue_says(
    floor: Floor,
) -> None:
    (sari,) = floor.agents("S")
    floor.policy(hold_minutes=30)
    back, closed = (post_ticket(floor.client, t) for t in ("comes back", "closes"))
    ok(hold(floor.client, sari, back["id"]))
    assert floor.later(29 * 60).holds_ended == 0, "a hold ended before its limit"
    assert floor.later(61).holds_ended == 1
    returned = floor.ticket(back["id"])
    assert (returned["status"], returned["assigned_agent_id"], returned["hold_until"]) == (
        "in_progress", sari["id"], None)
    assert [h["event"] for h in floor.history(back["id"])][-1] == "hold_expired"

    floor.policy(hold_expiry="close")
    ok(hold(floor.client, sari, closed["id"], minutes=10))
    assert floor.later(10 * 60).holds_ended == 1
    done = floor.ticket(closed["id"])
    assert (done["status"], done["closed_at"] is not None) == ("completed", True)
    assert [(h["event"], h["reason"]) for h in floor.history(closed["id"])][-1] == (
        "completed", "hold_expired")
    assert floor.me(sari)["active_tickets"] == 1  # the one that came back


def test_at_its_limit_a_hold_whose_holder_went_offline_goes_to_the_queue(floor: Floor) -> None:
    sari, budi = floor.agents("SB", max_tickets=1)
    floor.policy(hold_minutes=30)
    ticket = post_ticket(floor.client, "t")
    ok(hold(floor.client, sari, ticket["id"]))
    floor.client.post(f"{API}/agent/go-offline", headers=bearer(sari["token"]))
    assert floor.ticket(ticket["id"])["status"] == "on_hold", "a hold waits for its customer"
    floor.later(30 * 60)
    assert (floor.ticket(ticket["id"])["status"], floor.holder(ticket["id"])) == (
        "assigned", budi["id"])


# --- the customer writes: the real WhatsApp webhook --------------------------------------

def lead(wa: Desk, seller: dict[str, Any]) -> dict[str, Any]:
    wa.says("Halo, mau tanya harga paket premium", "wamid.H1")
    (found,) = wa.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    assert found["assigned_agent_id"] == seller["id"]
    return dict(found)


def ticket(wa: Desk, ticket_id: int) -> dict[str, Any]:
    return ok(wa.client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN))


def test_the_customers_message_brings_a_held_lead_back_to_the_same_agent(wa: Desk) -> None:
    sari = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, sari)
    opened = lead(wa, sari)
    assert wa.reply(opened["id"], sari["token"], text="Boleh minta nomor KTP?").status_code == 201
    ok(hold(wa.client, sari, opened["id"]))
    assert wa.says("3174xxxxxxxx", "wamid.H2")["added"] == 1
    back = ticket(wa, opened["id"])
    assert (back["status"], back["assigned_agent_id"], back["hold_until"]) == (
        "in_progress", sari["id"], None)
    history = ok_list(wa, opened["id"])
    assert (history[-1]["event"], history[-1]["reason"]) == ("hold_returned", "customer_wrote")
    assert [m["body"] for m in wa.conversation(opened["id"])][-1] == "3174xxxxxxxx"


def test_the_customers_message_sends_the_lead_to_the_queue_when_its_agent_is_away_or_full(
    wa: Desk,
) -> None:
    sari = make_agent(wa.client, "Sari", queues=["sales"], max_tickets=1, rotation_order=1)
    budi = make_agent(wa.client, "Budi", queues=["sales"], max_tickets=1, rotation_order=2)
    online(wa.client, sari)
    opened = lead(wa, sari)
    ok(hold(wa.client, sari, opened["id"]))
    wa.client.post(f"{API}/agent/go-offline", headers=bearer(sari["token"]))
    wa.says("Masih ada promo?", "wamid.H2")
    assert (ticket(wa, opened["id"])["status"], ticket(wa, opened["id"])["assigned_agent_id"]
            ) == ("queued", None), "with nobody online it waits in the queue"
    online(wa.client, budi)
    assert ticket(wa, opened["id"])["assigned_agent_id"] == budi["id"]

    # Full: the hold freed Budi's slot, another customer took it, then the first one wrote.
    ok(wa.client.patch(f"{API}/queues/sales", json={"hold_frees_slot": True}, headers=ADMIN))
    ok(hold(wa.client, budi, opened["id"]))
    wa.says("Halo, saya Ani", "wamid.H3", sender="6281299990000")
    assert ok(wa.client.get(f"{API}/agent/me", headers=bearer(budi["token"])))[
        "active_tickets"] == 1
    online(wa.client, sari)
    wa.says("Jadi bagaimana?", "wamid.H4")
    moved = ticket(wa, opened["id"])
    assert (moved["status"], moved["assigned_agent_id"]) == ("assigned", sari["id"]), (
        "the full holder kept it, or the queue did not offer it")
    unassigned = [h for h in ok_list(wa, opened["id"]) if h["reason"] == "customer_wrote"]
    assert [(h["event"], h["from_agent_id"]) for h in unassigned] == [
        ("unassigned", sari["id"]), ("unassigned", budi["id"])]


def ok_list(wa: Desk, ticket_id: int) -> list[dict[str, Any]]:
    r = wa.client.get(f"{API}/tickets/{ticket_id}/history", headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json())


def test_the_timer_pass_leaves_a_hold_alone_until_its_limit(wa: Desk) -> None:
    """Escalation timers do not run on a held ticket: a day on hold, accept timeout or not."""
    sari = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, sari)
    ok(wa.client.patch(f"{API}/queues/sales", json={"accept_timeout_seconds": 60},
                       headers=ADMIN))
    ok(wa.client.patch(f"{API}/settings", json={"presence_grace_seconds": 0}, headers=ADMIN))
    opened = lead(wa, sari)
    ok(hold(wa.client, sari, opened["id"]))  # an assigned lead: accepted first
    wa.clock.advance(23 * 3600)
    report = tick(wa.container.ctx)
    assert (report.escalated, report.holds_ended) == (0, 0)
    assert ticket(wa, opened["id"])["status"] == "on_hold"


def test_a_held_ticket_can_be_handed_on_and_its_hold_ends_with_the_slot_it_took(
    floor: Floor,
) -> None:
    (sari,) = floor.agents("S", max_tickets=2)
    kept, freed = (post_ticket(floor.client, t) for t in ("kept", "freed"))
    assert floor.holder(kept["id"]) == floor.holder(freed["id"]) == sari["id"]
    (budi,) = floor.agents("B", max_tickets=2)
    ok(hold(floor.client, sari, kept["id"]))
    floor.policy(hold_frees_slot=True)  # applies to holds begun after it
    ok(hold(floor.client, sari, freed["id"]))
    assert floor.me(sari)["active_tickets"] == 1

    def transfer(ticket_id: int, **body: Any) -> dict[str, Any]:
        return ok(floor.client.post(f"{API}/tickets/{ticket_id}/transfer",
                                    json={"reason": "Budi knows this customer", **body},
                                    headers=bearer(sari["token"])))

    moved = transfer(freed["id"], agent_id=budi["id"])
    assert (moved["status"], moved["assigned_agent_id"], moved["hold_until"]) == (
        "assigned", budi["id"], None)
    assert floor.me(sari)["active_tickets"] == 1, "a freed slot was given back twice"
    back = transfer(kept["id"])
    assert (back["hold_until"], floor.me(sari)["active_tickets"]) == (None, 0)
    assert back["assigned_agent_id"] == budi["id"], "handed back, it went to the other agent"
    assert floor.me(budi)["active_tickets"] == 2


def test_on_telegram_the_held_chat_waits_in_the_on_hold_view_until_the_customer_writes(
    tg: Bot,
) -> None:
    sari = make_agent(tg.client, "Sari")
    online(tg.client, sari)
    tg.say(CUSTOMER, "My order #88 never arrived")

    def inbox(**params: Any) -> list[dict[str, Any]]:
        r = tg.client.get(f"{API}/agent/inbox", params=params, headers=bearer(sari["token"]))
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    (item,) = inbox()
    ticket_id = item["ticket"]["id"]
    assert tg.client.post(f"{API}/tickets/{ticket_id}/messages", json={"text": "Postcode?"},
                          headers=bearer(sari["token"])).status_code == 201
    ok(hold(tg.client, sari, ticket_id))
    assert [i["ticket"]["id"] for i in inbox(view="on_hold")] == [ticket_id]
    tg.say(CUSTOMER, "It is 10110")
    assert inbox(view="on_hold") == []
    (back,) = inbox()
    assert (back["ticket"]["id"], back["ticket"]["status"], back["awaiting_reply"]) == (
        ticket_id, "in_progress", True)
