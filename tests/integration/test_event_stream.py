"""The WebSocket event stream, in-process, on SQLite and PostgreSQL: authentication, who sees
what, and resuming after a disconnect with exactly the missed events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from giliran.service.assignment import presence
from giliran.service.events import stream
from tests.integration.test_api_seed import ADMIN, make_agent, online, post_ticket
from tests.support.server import ADMIN_TOKEN

WS = "/api/v1/ws"


@contextmanager
def connect(client: TestClient, token: str,
            since: int | None = None) -> Iterator[tuple[WebSocketTestSession, dict[str, Any]]]:
    with client.websocket_connect(WS) as session:
        auth: dict[str, Any] = {"type": "auth", "token": token}
        if since is not None:
            auth["since"] = since
        session.send_json(auth)
        hello = session.receive_json()
        assert hello["type"] == "hello", hello
        yield session, hello


def next_of(session: WebSocketTestSession, *types: str) -> dict[str, Any]:
    """The next event of one of these types (events of other kinds pass by)."""
    while True:
        msg: dict[str, Any] = session.receive_json()
        if msg["type"] in types:
            return msg


def test_a_bad_token_or_first_message_is_refused(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        ws.send_json({"type": "auth", "token": "not-a-token"})
        assert ws.receive_json()["code"] == "unauthorized"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
    with client.websocket_connect(WS) as ws:
        ws.send_json({"hello": "there"})
        assert ws.receive_json()["code"] == "bad_request"
    with client.websocket_connect(WS) as ws:
        ws.send_json({"type": "auth", "token": ADMIN_TOKEN, "since": "yesterday"})
        assert ws.receive_json()["code"] == "bad_request"


def test_an_agent_sees_its_own_work_live_and_never_another_agents(client: TestClient) -> None:
    a = make_agent(client, "A", max_tickets=1)
    b = make_agent(client, "B", max_tickets=1)
    online(client, a)
    online(client, b)
    with connect(client, a["token"]) as (sa, _), connect(client, b["token"]) as (sb, _):
        assert next_of(sa, "snapshot")["agent"]["id"] == a["id"]
        assert next_of(sb, "snapshot")["agent"]["id"] == b["id"]
        mine = post_ticket(client, "for A")
        theirs = post_ticket(client, "for B")
        got_a = next_of(sa, "ticket.assigned")
        assert (got_a["ticket"]["id"], got_a["to_agent_id"]) == (mine["id"], a["id"])
        got_b = next_of(sb, "ticket.assigned")
        assert got_b["ticket"]["id"] == theirs["id"]
        # A round trip through A's own socket: nothing about B's ticket arrived before it.
        client.post(f"/api/v1/tickets/{mine['id']}/accept",
                    headers={"Authorization": f"Bearer {a['token']}"})
        seen = []
        while (msg := sa.receive_json())["type"] != "ticket.accepted":
            seen.append(msg)
        assert all(m.get("ticket", {}).get("id") != theirs["id"] for m in seen), seen
        assert msg["id"] > got_a["id"]


def test_a_client_that_reconnects_gets_exactly_what_it_missed(client: TestClient) -> None:
    agent = make_agent(client, "A", max_tickets=10)
    online(client, agent)
    with connect(client, ADMIN_TOKEN) as (session, _):
        post_ticket(client, "seen live")
        last = next_of(session, "ticket.assigned")["id"]
    missed = [post_ticket(client, f"missed {i}")["id"] for i in range(3)]

    with connect(client, ADMIN_TOKEN, since=last) as (session, hello):
        assert hello["resumed"] is True
        replayed: list[dict[str, Any]] = []
        while len([m for m in replayed if m["type"] == "ticket.assigned"]) < 3:
            replayed.append(session.receive_json())
        ids = [m["id"] for m in replayed]
        assert ids == sorted(ids) and ids[0] == last + 1, "a gap or a repeat"
        assert [m["ticket"]["id"] for m in replayed
                if m["type"] == "ticket.assigned"] == missed
        assert {m["type"] for m in replayed} == {"ticket.created", "ticket.assigned"}
        session.send_json({"type": "ping"})
        assert session.receive_json() == {"type": "pong"}


def test_admins_see_presence_and_queue_changes(client: TestClient) -> None:
    with connect(client, ADMIN_TOKEN) as (session, _):
        assert next_of(session, "snapshot")["queues"][0]["name"] == "default"
        agent = make_agent(client, "A")
        assert next_of(session, "agent.changed")["agent"]["id"] == agent["id"]
        online(client, agent)
        presence = next_of(session, "agent.presence")
        assert (presence["agent"]["id"], presence["agent"]["presence"]) == (
            agent["id"], "online")
        client.patch("/api/v1/queues/default", json={"strategy": "random"}, headers=ADMIN)
        assert next_of(session, "queue.changed")["queue"]["strategy"] == "random"


def test_an_open_socket_keeps_an_agent_alive(client: TestClient) -> None:
    agent = make_agent(client, "A")
    me = {"Authorization": f"Bearer {agent['token']}"}
    assert client.get("/api/v1/agent/me", headers=me).json()["last_seen_at"] is None
    with connect(client, agent["token"]):  # the heartbeat comes before hello
        after = client.get("/api/v1/agent/me", headers=me).json()
    assert after["last_seen_at"] is not None, "connecting did not count as a sign of life"


def test_a_sockets_heartbeat_writes_on_the_writer_path(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers run on the dedicated writer threads, in arrival order; the heartbeat writes."""
    agent = make_agent(client, "A")
    threads = []
    original = presence.heartbeat

    def noted(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(presence, "heartbeat", noted)
    with connect(client, agent["token"]):
        pass
    assert threads and all(name.startswith("giliran-writer") for name in threads), threads


def test_a_client_too_far_behind_gets_a_snapshot(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    agent = make_agent(client, "A")
    online(client, agent)
    ticket = post_ticket(client, "old news")
    clock.advance(7200)
    assert stream.prune(container.ctx, timedelta(hours=1)) > 0
    post_ticket(client, "after the cut")
    with connect(client, agent["token"], since=1) as (session, hello):
        assert hello["resumed"] is False
        snap = next_of(session, "snapshot")
    assert ticket["id"] in {t["id"] for t in snap["tickets"]}
    assert snap["last_event_id"] == hello["last_event_id"]


def test_a_new_socket_starts_at_the_latest_event_while_the_poller_is_behind(
    database_url: str, clock: FakeClock
) -> None:
    # With no socket open a process reads events only at its poll, here once an hour.
    c = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False, event_poll_seconds=3600), clock=clock)
    try:
        with TestClient(create_app(c)) as client:
            post_ticket(client, "one")
            post_ticket(client, "two")
            latest = stream.bounds(c.ctx)[1]
            with connect(client, ADMIN_TOKEN) as (session, hello):
                snap = next_of(session, "snapshot")
        # A client resumes from here later: an older id would replay what the snapshot has.
        assert hello["last_event_id"] == snap["last_event_id"] == latest
    finally:
        c.close()


def test_a_deactivated_agents_stream_is_closed_as_a_revoked_login(client: TestClient) -> None:
    agent = make_agent(client, "Gone soon")
    with connect(client, agent["token"]) as (ws, _):
        next_of(ws, "snapshot")
        r = client.patch(f"/api/v1/agents/{agent['id']}", json={"active": False},
                         headers=ADMIN)
        assert r.status_code == 200
        refused = next_of(ws, "error")
        assert refused["code"] == "unauthorized"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
