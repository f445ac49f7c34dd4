"""An agent is told when a ticket leaves its queue by someone else's hand, on SQLite and
PostgreSQL: its page through the event stream (`left_queue` on the event, with why), its
Telegram chat through the fake Bot API server, unless it switched that off."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.entrypoints.api.root import root_of
from giliran.service.assignment.timers import tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket
from tests.integration.test_event_stream import connect, next_of
from tests.support.desks import AGENT_CHAT, API, Bot

LEAVING = ("ticket.escalated", "ticket.unassigned", "ticket.cancelled", "ticket.completed")


def left(session: Any) -> tuple[str, dict[str, Any] | None]:
    event = next_of(session, *LEAVING)
    return event["ticket"]["number"], event.get("left_queue")


def test_the_agents_stream_says_which_ticket_left_its_queue_and_why(
    client: TestClient, clock: FakeClock
) -> None:
    client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 60,
                                                "offline_policy": "requeue"}, headers=ADMIN)
    sari, budi = make_agent(client, "Sari"), make_agent(client, "Budi", auto_assign=False)
    me = bearer(sari["token"])
    online(client, sari)
    online(client, budi)
    tickets = [post_ticket(client, f"t{i}") for i in range(5)]
    ids = [t["id"] for t in tickets]
    for done in ids[3:]:  # two she works on: one a supervisor completes, one she does
        assert client.post(f"{API}/tickets/{done}/accept", headers=me).status_code == 200
    with connect(client, sari["token"]) as (session, _):
        client.post(f"{API}/tickets/{ids[0]}/cancel", headers=ADMIN)
        client.post(f"{API}/tickets/{ids[1]}/reassign", json={"agent_id": budi["id"],
                                                            "force": True}, headers=ADMIN)
        client.post(f"{API}/tickets/{ids[3]}/complete", headers=ADMIN)
        client.post(f"{API}/tickets/{ids[4]}/complete", headers=me)  # her own: nothing to say
        client.post(f"{API}/agent/go-offline", headers=me)  # t2, unaccepted, goes back
        seen = [left(session) for _ in range(5)]
        me_id = sari["id"]
        assert seen == [
            (tickets[0]["number"], {"agent_id": me_id, "why": "cancelled"}),
            (tickets[1]["number"], {"agent_id": me_id, "why": "moved"}),
            (tickets[3]["number"], {"agent_id": me_id, "why": "completed"}),
            (tickets[4]["number"], None),
            (tickets[2]["number"], {"agent_id": me_id, "why": "offline"}),
        ]
        # Back online, t2 comes back. Neither Budi nor she accepts in time: Budi's t1 is taken
        # back and comes to her (she hears of it, but it left Budi's queue, not hers), and
        # her t2 is taken back.
        online(client, sari)
        clock.advance(61)
        tick(root_of(client.app).ctx)
        assert [left(session) for _ in range(2)] == [
            (tickets[1]["number"], {"agent_id": budi["id"], "why": "escalated"}),
            (tickets[2]["number"], {"agent_id": me_id, "why": "escalated"})]


def told(tg: Bot) -> list[str]:
    return [t for t in tg.fake.sent_to(AGENT_CHAT) if not t.startswith(("🔗", "🎫"))]


def test_telegram_tells_the_agent_unless_it_switched_that_off(tg: Bot) -> None:
    """On by default (the chat already heard of escalations and a supervisor's moves); in the
    agent's language; off, the chat hears nothing of it (the page still shows it)."""
    tg.client.patch(f"{API}/queues/default", json={"offline_policy": "requeue"}, headers=ADMIN)
    sari = make_agent(tg.client, "Sari", language="id")
    assert sari["telegram_ticket_left"] is True
    me = bearer(sari["token"])
    tg.link(sari["id"])
    online(tg.client, sari)
    first, second, third = (post_ticket(tg.client, f"t{i}") for i in range(3))
    assert tg.client.post(f"{API}/tickets/{second['id']}/accept", headers=me).status_code == 200
    tg.client.post(f"{API}/tickets/{first['id']}/cancel", headers=ADMIN)
    tg.client.post(f"{API}/tickets/{second['id']}/complete", headers=ADMIN)
    tg.client.post(f"{API}/agent/go-offline", headers=me)
    tg.deliver()
    assert told(tg) == [
        f"❌ Tiket {first['number']} dibatalkan oleh supervisor; tiket itu keluar dari "
        "antrean Anda.",
        f"🏁 Tiket {second['number']} diselesaikan oleh supervisor; tiket itu keluar dari "
        "antrean Anda.",
        f"↩️ Tiket {third['number']} kembali ke antrean karena Anda offline."]

    switched = tg.client.patch(f"{API}/agent/me", json={"telegram_ticket_left": False},
                               headers=me)
    assert switched.status_code == 200 and switched.json()["telegram_ticket_left"] is False
    online(tg.client, sari)  # the third comes back to her
    tg.client.post(f"{API}/tickets/{third['id']}/unassign", headers=ADMIN)
    tg.deliver()
    assert len(told(tg)) == 3
    assert tg.client.patch(f"{API}/agent/me", json={"telegram_ticket_left": "no"},
                           headers=me).status_code == 422
