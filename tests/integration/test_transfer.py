"""Handing a ticket on, through the HTTP API on SQLite and PostgreSQL: to a colleague within
their room (a full one is refused and nothing moves), to another queue, back to its own queue;
only the holder or a supervisor may; the history says why and who, and the new holder hears
of it on its page (the event stream) and in its Telegram chat (the fake Bot API)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.test_api_queues import make_queue
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket
from tests.integration.test_event_stream import connect, next_of
from tests.support.desks import AGENT_CHAT, API, Bot

COLLEAGUE_CHAT = AGENT_CHAT + 1


def transfer(client: TestClient, ticket_id: int, who: dict[str, Any] | None = None,
             **body: Any) -> Any:
    headers = bearer(who["token"]) if who else ADMIN
    return client.post(f"{API}/tickets/{ticket_id}/transfer", json=body, headers=headers)


def colleagues(client: TestClient, ticket_id: int, who: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.get(f"{API}/tickets/{ticket_id}/colleagues", headers=bearer(who["token"]))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def ticket(client: TestClient, ticket_id: int) -> dict[str, Any]:
    return dict(client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN).json())


def history(client: TestClient, ticket_id: int) -> list[dict[str, Any]]:
    return list(client.get(f"{API}/tickets/{ticket_id}/history", headers=ADMIN).json())


def agent(client: TestClient, who: dict[str, Any]) -> dict[str, Any]:
    return dict(client.get(f"{API}/agents/{who['id']}", headers=ADMIN).json())


def test_to_a_colleague_who_is_told_on_its_page_and_in_its_chat(tg: Bot) -> None:
    client = tg.client
    sari = make_agent(client, "Sari")
    budi = make_agent(client, "Budi", auto_assign=False, language="id")
    tg.link(budi["id"], COLLEAGUE_CHAT, language_code="id")
    online(client, sari)
    lead = post_ticket(client, "Paket premium untuk 10 orang", priority="high")
    assert lead["assigned_agent_id"] == sari["id"]
    assert client.post(f"{API}/tickets/{lead['id']}/accept",
                       headers=bearer(sari["token"])).status_code == 200
    with connect(client, budi["token"]) as (session, _):
        r = transfer(client, lead["id"], sari, agent_id=budi["id"],
                     reason="Budi handles corporate plans")
        assert r.status_code == 200, r.text
        assigned = next_of(session, "ticket.assigned")
    moved = r.json()
    assert (moved["assigned_agent_id"], moved["status"], moved["priority"]) == (
        budi["id"], "assigned", "high")
    assert (assigned["to_agent_id"], assigned["reason"], assigned["because"]) == (
        budi["id"], "transferred", "Budi handles corporate plans")
    left, came = history(client, lead["id"])[-2:]
    assert (left["event"], left["reason"], left["actor"], left["from_agent_id"],
            left["to_agent_id"]) == ("transferred", "transferred", f"agent:{sari['id']}",
                                     sari["id"], budi["id"])
    assert left["by"]["name"] == "Sari"
    assert left["detail"] == {"reason": "Budi handles corporate plans", "queue": "default"}
    assert (came["event"], came["reason"], came["to_agent_id"]) == (
        "assigned", "transferred", budi["id"])
    assert (agent(client, sari)["active_tickets"], agent(client, budi)["active_tickets"]) == (
        0, 1)
    tg.deliver()
    (told,) = [t for t in tg.fake.sent_to(COLLEAGUE_CHAT) if t.startswith("🎫")]
    assert lead["number"] in told
    assert told.endswith("↪️ Dialihkan kepada Anda oleh Sari: Budi handles corporate plans")


def test_a_full_colleague_is_refused_and_nothing_moves(client: TestClient) -> None:
    make_queue(client, "sales", max_per_agent=1)
    sari = make_agent(client, "Sari", queues=["default", "sales"], rotation_order=1)
    budi = make_agent(client, "Budi", max_tickets=1, queues=["default", "sales"],
                      rotation_order=2)
    online(client, budi)
    budis = post_ticket(client, "Budi's own")
    assert budis["assigned_agent_id"] == budi["id"]
    online(client, sari)
    mine = post_ticket(client, "Sari's")
    assert mine["assigned_agent_id"] == sari["id"]
    before = history(client, mine["id"])
    r = transfer(client, mine["id"], sari, agent_id=budi["id"], reason="please")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "agent_full")
    assert "1/1" in r.json()["error"]["message"]
    # The dialog's list says so before anyone tries: Budi, full; nobody outside the queue.
    (listed,) = colleagues(client, mine["id"], sari)
    assert (listed["name"], listed["available"], listed["active_tickets"]) == ("Budi", False, 1)
    assert "1/1" in listed["why_not"]
    assert ticket(client, mine["id"])["assigned_agent_id"] == sari["id"]
    assert history(client, mine["id"]) == before
    assert (agent(client, sari)["active_tickets"], agent(client, budi)["active_tickets"]) == (
        1, 1)
    # Room overall, but not within the queue's limit per agent: full all the same.
    client.patch(f"{API}/agents/{budi['id']}", json={"max_tickets": 5}, headers=ADMIN)
    joko = make_agent(client, "Joko", queues=["sales"], auto_assign=False)
    held = post_ticket(client, "sales 1", queue="sales")
    assert held["assigned_agent_id"] in (sari["id"], budi["id"])
    other = sari if held["assigned_agent_id"] == budi["id"] else budi
    second = post_ticket(client, "sales 2", queue="sales")
    assert second["assigned_agent_id"] == other["id"]
    r = transfer(client, second["id"], other, agent_id=held["assigned_agent_id"],
                 reason="you know this customer")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "agent_full")
    # Sales has Joko (room) and the colleague at the queue's limit, who is not available.
    listed = {c["name"]: c for c in colleagues(client, second["id"], other)}
    assert listed["Joko"]["available"] and listed["Joko"]["why_not"] is None
    assert not listed[agent(client, {"id": held["assigned_agent_id"]})["name"]]["available"]
    assert other["id"] not in {c["agent_id"] for c in listed.values()}
    # Someone who does not serve the queue, a deactivated colleague, a bad request.
    r = transfer(client, mine["id"], sari, agent_id=joko["id"], reason="x")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_a_member")
    client.delete(f"{API}/agents/{joko['id']}", headers=ADMIN)
    r = transfer(client, second["id"], other, agent_id=joko["id"], reason="x")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "agent_inactive")
    for bad in ({"agent_id": budi["id"], "queue": "sales", "reason": "x"}, {},
                {"reason": ""}, {"reason": "x" * 501}, {"queue": "nowhere", "reason": "x"}):
        r = client.post(f"{API}/tickets/{mine['id']}/transfer", json=bad,
                        headers=bearer(sari["token"]))
        assert r.status_code in (404, 422), (bad, r.text)
    assert ticket(client, mine["id"])["assigned_agent_id"] == sari["id"]


def test_back_to_its_queue_or_to_another_keeping_its_priority(client: TestClient) -> None:
    make_queue(client, "billing")
    sari = make_agent(client, "Sari")
    ayu = make_agent(client, "Ayu", queues=["billing"])
    online(client, sari)
    first = post_ticket(client, "refund", priority="urgent")
    r = transfer(client, first["id"], sari, reason="wrong desk, I cannot help")
    assert r.status_code == 200, r.text
    back = r.json()
    # Not sent straight back to the agent who handed it on, though it has room.
    assert (back["status"], back["assigned_agent_id"], back["queue"], back["priority"]) == (
        "queued", None, "default", "urgent")
    assert history(client, first["id"])[-1]["detail"] == {
        "reason": "wrong desk, I cannot help", "queue": "default"}
    assert agent(client, sari)["active_tickets"] == 0

    second = post_ticket(client, "invoice question", priority="high")
    assert second["assigned_agent_id"] == sari["id"]
    online(client, ayu)
    r = transfer(client, second["id"], sari, queue="billing", reason="billing answers invoices")
    assert r.status_code == 200, r.text
    moved = ticket(client, second["id"])
    # Queued in billing at its priority, and dispatched there as usual.
    assert (moved["queue"], moved["priority"], moved["assigned_agent_id"], moved["status"]) == (
        "billing", "high", ayu["id"], "assigned")
    left = [h for h in history(client, second["id"]) if h["event"] == "transferred"][-1]
    assert (left["from_agent_id"], left["to_agent_id"], left["detail"]) == (
        sari["id"], None, {"reason": "billing answers invoices", "queue": "billing",
                           "from_queue": "default"})


def test_only_the_holder_or_a_supervisor_may_hand_it_on(client: TestClient) -> None:
    sari, budi = make_agent(client, "Sari"), make_agent(client, "Budi", auto_assign=False)
    online(client, sari)
    hers = post_ticket(client, "hers")
    r = transfer(client, hers["id"], budi, agent_id=budi["id"], reason="mine now")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    r = client.get(f"{API}/tickets/{hers['id']}/colleagues", headers=bearer(budi["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    client.post(f"{API}/agent/go-offline", headers=bearer(sari["token"]))
    waiting = post_ticket(client, "waiting")
    assert waiting["status"] == "queued"
    r = transfer(client, waiting["id"], budi, reason="x")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    assert ticket(client, hers["id"])["assigned_agent_id"] == sari["id"]
    # A supervisor may move anyone's, and the holder hears it was moved away.
    r = transfer(client, hers["id"], None, agent_id=budi["id"], reason="Sari is off")
    assert r.status_code == 200 and r.json()["assigned_agent_id"] == budi["id"]
    left = [h for h in history(client, hers["id"]) if h["event"] == "transferred"][-1]
    assert left["actor"] == "admin"
    # A ticket that is done is not handed on.
    client.post(f"{API}/tickets/{hers['id']}/accept", headers=bearer(budi["token"]))
    client.post(f"{API}/tickets/{hers['id']}/complete", headers=bearer(budi["token"]))
    r = transfer(client, hers["id"], budi, reason="x")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "invalid_transition")
