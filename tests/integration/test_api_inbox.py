"""The agent's inbox on SQLite and PostgreSQL, against the fake Bot API and Graph API servers:
read marks per reader, internal notes that never leave the desk, and the list's order,
views, filters and counts."""

from __future__ import annotations

from typing import Any

from giliran.adapters.clock import FakeClock
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.support.desks import API, CUSTOMER, Bot, Desk
from tests.support.whatsapp_samples import BUDI


def inbox(tg: Bot, agent: dict[str, Any], **params: Any) -> dict[str, Any]:
    r = tg.client.get(f"{API}/agent/inbox", params=params, headers=bearer(agent["token"]))
    assert r.status_code == 200, r.text
    return dict(r.json())


def unread(tg: Bot, agent: dict[str, Any]) -> list[int]:
    return [item["unread"] for item in inbox(tg, agent)["items"]]


def read(tg: Bot, ticket_id: int, headers: dict[str, str], **body: Any) -> Any:
    return tg.client.post(f"{API}/tickets/{ticket_id}/read", json=body, headers=headers)


def first_ticket(tg: Bot, agent: dict[str, Any]) -> dict[str, Any]:
    return dict(inbox(tg, agent)["items"][0]["ticket"])


def test_unread_falls_to_zero_when_read_and_each_reader_has_their_own(tg: Bot) -> None:
    sari = make_agent(tg.client, "Sari")
    online(tg.client, sari)
    tg.say(CUSTOMER, "My order #88 never arrived")
    found = inbox(tg, sari)
    (item,) = found["items"]
    assert (item["unread"], item["awaiting_reply"], found["awaiting_reply"]) == (1, True, 1)
    assert (item["channel"], item["customer_name"], item["failed_reply"]) == (
        "telegram", "Budi", False)
    assert item["last_message"]["direction"] == "out"  # the ticket's number, sent by giliran
    ticket_id = item["ticket"]["id"]
    r = read(tg, ticket_id, bearer(sari["token"]))
    assert r.status_code == 200, r.text
    newest = tg.client.get(f"{API}/tickets/{ticket_id}/messages", headers=ADMIN).json()
    assert r.json() == {"ticket_id": ticket_id, "message_id": newest["items"][-1]["id"],
                        "unread": 0}
    assert unread(tg, sari) == [0]
    tg.say(CUSTOMER, "Hello?")
    assert unread(tg, sari) == [1]
    # An admin reading it clears their own mark, not Sari's.
    assert read(tg, ticket_id, ADMIN).json()["unread"] == 0
    assert unread(tg, sari) == [1]
    # Read up to an earlier message: the customer's later one stays unread.
    first = newest["items"][0]["id"]
    assert read(tg, ticket_id, bearer(sari["token"]), message_id=first).json() == {
        "ticket_id": ticket_id, "message_id": newest["items"][-1]["id"], "unread": 1}
    # Answering is what clears awaiting_reply; reading is not.
    assert inbox(tg, sari)["awaiting_reply"] == 1
    r = tg.client.post(f"{API}/tickets/{ticket_id}/messages", json={"text": "On it"},
                       headers=bearer(sari["token"]))
    assert r.status_code == 201, r.text
    after = inbox(tg, sari)
    assert (after["awaiting_reply"], after["items"][0]["awaiting_reply"]) == (0, False)
    assert after["items"][0]["last_message"]["body"] == "On it"


def test_reading_is_for_the_tickets_readers_only(tg: Bot) -> None:
    sari, budi = make_agent(tg.client, "Sari"), make_agent(tg.client, "Budi")
    online(tg.client, sari)
    tg.say(CUSTOMER, "Hi")
    ticket_id = first_ticket(tg, sari)["id"]
    r = read(tg, ticket_id, bearer(budi["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    assert read(tg, 999999, bearer(sari["token"])).status_code == 404
    r = read(tg, ticket_id, bearer(sari["token"]), message_id=999999)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    for bad in ({"message_id": 0}, {"message_id": "x"}, {"other": 1}):
        assert read(tg, ticket_id, bearer(sari["token"]), **bad).status_code == 422
    assert unread(tg, sari) == [1]


def note(client: Any, ticket_id: int, headers: dict[str, str], text: Any) -> Any:
    return client.post(f"{API}/tickets/{ticket_id}/notes", json={"text": text},
                       headers=headers)


def test_a_note_stays_on_the_desk(tg: Bot, clock: FakeClock) -> None:
    sari = make_agent(tg.client, "Sari")
    assert tg.client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 300},
                           headers=ADMIN).status_code == 200
    online(tg.client, sari)
    tg.say(CUSTOMER, "Where is my parcel?")
    tg.deliver()
    before = inbox(tg, sari)["items"][0]
    ticket_id = before["ticket"]["id"]
    customer = tg.client.get(f"{API}/tickets/{ticket_id}/customer", headers=ADMIN).json()
    calls = len(tg.fake.calls)
    clock.advance(30)
    r = note(tg.client, ticket_id, bearer(sari["token"]), "  Courier says Tuesday  ")
    assert r.status_code == 201, r.text
    written = r.json()
    assert (written["direction"], written["kind"], written["sender"], written["author"],
            written["body"], written["state"]) == (
        "note", "text", "Sari", f"agent:{sari['id']}", "Courier says Tuesday", None)
    r = note(tg.client, ticket_id, ADMIN, "Escalate if it slips")
    assert r.status_code == 201 and r.json()["author"] == "admin"
    tg.deliver()
    assert len(tg.fake.calls) == calls, "nothing went to Telegram"
    said = tg.client.get(f"{API}/tickets/{ticket_id}/messages", headers=ADMIN).json()["items"]
    assert [(m["direction"], m["sender"]) for m in said[-2:]] == [
        ("note", "Sari"), ("note", "admin token")]
    after = inbox(tg, sari)["items"][0]
    # Still pending Sari's accept, on the same deadline, awaiting her answer, unread as before.
    assert (after["ticket"]["status"], after["ticket"]["accept_deadline"]) == (
        "assigned", before["ticket"]["accept_deadline"])
    assert (after["awaiting_reply"], after["unread"]) == (True, before["unread"])
    assert after["last_message"]["direction"] == "note"
    assert tg.client.get(f"{API}/tickets/{ticket_id}/customer",
                         headers=ADMIN).json() == customer  # the window did not move


def test_a_note_is_refused_to_strangers_and_empty_text(tg: Bot) -> None:
    sari, budi = make_agent(tg.client, "Sari"), make_agent(tg.client, "Budi")
    online(tg.client, sari)
    tg.say(CUSTOMER, "Hi")
    ticket_id = first_ticket(tg, sari)["id"]
    r = note(tg.client, ticket_id, bearer(budi["token"]), "mine now")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    for bad in ("", "   ", "x" * 4097, None):
        assert note(tg.client, ticket_id, bearer(sari["token"]), bad).status_code == 422
    assert note(tg.client, 999999, ADMIN, "x").status_code == 404
    said = tg.client.get(f"{API}/tickets/{ticket_id}/messages", headers=ADMIN).json()
    assert "note" not in {m["direction"] for m in said["items"]}


def test_a_note_on_a_whatsapp_lead_sends_nothing(wa: Desk) -> None:
    wa.says("Berapa harganya?", "wamid.N1")
    (lead,) = wa.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    r = note(wa.client, lead["id"], ADMIN, "VIP: offer the 10% discount")
    assert r.status_code == 201 and r.json()["channel"] == "whatsapp"
    wa.deliver()
    assert wa.graph.calls == [] and wa.graph.texts_to(BUDI) == []
    assert [m["direction"] for m in wa.conversation(lead["id"])] == ["in", "note"]


def accept(tg: Bot, agent: dict[str, Any], ticket_id: int) -> None:
    r = tg.client.post(f"{API}/tickets/{ticket_id}/accept", headers=bearer(agent["token"]))
    assert r.status_code == 200, r.text


def test_the_list_puts_what_needs_the_agent_now_first(tg: Bot, clock: FakeClock) -> None:
    """Five customers write a minute apart; Sari accepts three and answers one of those."""
    sari = make_agent(tg.client, "Sari", max_tickets=6)
    assert tg.client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 3600},
                           headers=ADMIN).status_code == 200
    online(tg.client, sari)
    ids: dict[str, int] = {}
    for n, name in enumerate("ABCDE"):
        tg.say(CUSTOMER + n, f"Ticket {name}", first_name=f"Customer {name}")
        clock.advance(60)
    listed = tg.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    for t in listed:
        customer = tg.client.get(f"{API}/tickets/{t['id']}/customer", headers=ADMIN).json()
        ids[customer["name"][-1]] = t["id"]
    for name in "BCD":
        accept(tg, sari, ids[name])
    tg.client.post(f"{API}/tickets/{ids['D']}/messages", json={"text": "Done for you"},
                   headers=bearer(sari["token"]))
    assert tg.client.patch(f"{API}/tickets/{ids['C']}", json={"priority": "urgent"},
                           headers=ADMIN).status_code == 200
    found = inbox(tg, sari)
    order = [item["customer_name"][-1] for item in found["items"]]
    # Pending accepts by deadline, then awaiting an answer (urgent C before B, though B
    # waits longer), then D, which Sari answered.
    assert order == ["A", "E", "C", "B", "D"]
    assert (found["awaiting_reply"], found["failed_replies"]) == (4, 0)
    waiting = inbox(tg, sari, view="waiting")
    assert [i["customer_name"] for i in waiting["items"]] == ["Customer D"]
    assert waiting["awaiting_reply"] == 4, "the badge counts whatever the list shows"
    assert inbox(tg, sari, view="on_hold")["items"] == []
    assert len(inbox(tg, sari, queue="default", channel="telegram")["items"]) == 5
    assert inbox(tg, sari, channel="whatsapp")["items"] == []
    assert inbox(tg, sari, queue="elsewhere")["items"] == []
    # Done today: what Sari completed since midnight, and no longer in her list.
    assert tg.client.post(f"{API}/tickets/{ids['D']}/complete",
                          headers=bearer(sari["token"])).status_code == 200
    done = inbox(tg, sari, view="done_today")
    assert [i["ticket"]["id"] for i in done["items"]] == [ids["D"]]
    assert not done["items"][0]["awaiting_reply"]
    assert ids["D"] not in [i["ticket"]["id"] for i in inbox(tg, sari)["items"]]
    clock.advance(86400)
    assert inbox(tg, sari, view="done_today")["items"] == []


def test_supervisors_name_the_agent_and_agents_read_only_their_own(tg: Bot) -> None:
    sari, budi = make_agent(tg.client, "Sari"), make_agent(tg.client, "Budi")
    online(tg.client, sari)
    tg.say(CUSTOMER, "Hi")
    r = tg.client.get(f"{API}/agent/inbox", headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_input")
    r = tg.client.get(f"{API}/agent/inbox", params={"agent_id": sari["id"]}, headers=ADMIN)
    assert r.status_code == 200 and r.json() == inbox(tg, sari)
    r = tg.client.get(f"{API}/agent/inbox", params={"agent_id": sari["id"]},
                      headers=bearer(budi["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    assert inbox(tg, budi, agent_id=budi["id"])["items"] == []
    for bad in ({"view": "everything"}, {"agent_id": 0}):
        assert tg.client.get(f"{API}/agent/inbox", params=bad,
                             headers=bearer(sari["token"])).status_code == 422
    assert tg.client.get(f"{API}/agent/inbox", params={"agent_id": 999999},
                         headers=ADMIN).status_code == 404
