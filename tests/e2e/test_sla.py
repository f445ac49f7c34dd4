"""SLA clocks against one real `giliran serve` and the real clock, made short (targets of two
seconds, a scheduler ticking every 0.1 s): a warning and then a breach reach a supervisor's
WebSocket and a webhook receiver, each once; a breach action `reassign` takes an accepted
ticket from its holder to the next agent, as the API and both agents' sockets tell. The tests
wait on what the server sends, never for a fixed time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.receiver import Receiver
from tests.support.server import ADMIN_TOKEN
from tests.support.sqlite_template import migrated_sqlite

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ENV = {"GILIRAN_TICK_SECONDS": "0.1", "GILIRAN_EVENT_POLL_SECONDS": "0.05",
       "GILIRAN_WEBHOOK_ALLOW_PRIVATE": "true"}
WAIT = 20.0  # generous: a 2 s target on a loaded CI machine
Frame = dict[str, Any]


class Socket:
    """A WebSocket that keeps every frame it received."""

    def __init__(self, ws: ClientConnection, token: str) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"

    def until(self, wanted: Callable[[Frame], bool], what: str) -> Frame:
        for frame in self.frames:
            if wanted(frame):
                return frame
        while True:
            try:
                frame = json.loads(self.ws.recv(timeout=WAIT))
            except TimeoutError as exc:
                raise AssertionError(f"no frame for {what}") from exc
            self.frames.append(frame)
            if wanted(frame):
                return frame

    def about(self, kind: str, ticket_id: int) -> list[Frame]:
        return [f for f in self.frames if f.get("type") == kind
                and (f.get("ticket") or {}).get("id") == ticket_id]


class Desk:
    def __init__(self, base_url: str, receiver: Receiver) -> None:
        self.base_url, self.receiver = base_url, receiver
        self.http = httpx.Client(base_url=base_url + API, headers=ADMIN, timeout=30.0)

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json() if r.content else None

    def socket(self, stack: ExitStack, token: str) -> Socket:
        url = self.base_url.replace("http://", "ws://") + API + "/ws"
        return Socket(stack.enter_context(connect(url, open_timeout=10)), token)

    def hooks(self, kind: str, ticket_id: int) -> list[Frame]:
        bodies = [json.loads(r.body) for r in self.receiver.received]
        return [b for b in bodies if b["type"] == kind and b["ticket"]["id"] == ticket_id]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """One server for the module, on SQLite (the timer pass on PostgreSQL is
    tests/integration/test_sla_timers.py)."""
    where = tmp_path_factory.mktemp("sla")
    log = where / "server.log"
    database_url = migrated_sqlite(where / "giliran.db")
    with Receiver() as receiver, running_server(database_url, log, workers=1, env=ENV) as srv:
        found = Desk(srv.base_url, receiver)
        found.ok("POST", "/webhooks", json={"url": receiver.url,
                                            "secret": "sla-receiver-secret-0123",
                                            "events": ["sla.warning", "sla.breached"]})
        try:
            yield found
        finally:
            found.http.close()
    assert not logged_errors(log), log_tail(log)


def test_a_warning_then_a_breach_reach_the_supervisor_and_the_webhook_once(desk: Desk) -> None:
    desk.ok("POST", "/queues", json={"name": "watch"})
    desk.ok("POST", "/sla-policies", json={
        "name": "Watch", "conditions": {"queues": ["watch"]}, "warn_percent": 50,
        "targets": {"first_response_seconds": 2}})
    with ExitStack() as stack:
        supervisor = desk.socket(stack, ADMIN_TOKEN)
        ticket = desk.ok("POST", "/tickets", json={"title": "Nobody answers", "queue": "watch"})
        key = ticket["id"]
        warned = supervisor.until(lambda f: f.get("type") == "sla.warning", "the warning")
        breached = supervisor.until(lambda f: f.get("type") == "sla.breached", "the breach")
        assert (warned["ticket"]["id"], warned["target"], warned["policy"]) == (
            key, "first_response", "Watch")
        assert breached["ticket"]["id"] == key
        assert breached["ticket"]["sla"]["targets"][0]["state"] == "breached"
        wait_until(lambda: desk.hooks("sla.breached", key), timeout=WAIT,
                   what="the breach's webhook")
        # Once each: a later ticket's breach is heard after anything the first could repeat.
        later = desk.ok("POST", "/tickets", json={"title": "Sentinel", "queue": "watch"})
        supervisor.until(lambda f: f.get("type") == "sla.breached"
                         and f["ticket"]["id"] == later["id"], "the sentinel's breach")
        wait_until(lambda: desk.hooks("sla.breached", later["id"]), timeout=WAIT,
                   what="the sentinel's webhook")
        for kind in ("sla.warning", "sla.breached"):
            assert len(supervisor.about(kind, key)) == 1, kind
            assert len(desk.hooks(kind, key)) == 1, kind
        bodies = (json.loads(r.body) for r in desk.receiver.received)
        order = [b["type"] for b in bodies if b["ticket"]["id"] == key]
        assert order == ["sla.warning", "sla.breached"]


def test_a_breach_reassigns_an_accepted_ticket_to_the_next_agent(desk: Desk) -> None:
    desk.ok("POST", "/queues", json={"name": "answer"})
    desk.ok("POST", "/sla-policies", json={
        "name": "Answer", "conditions": {"queues": ["answer"]},
        "targets": {"first_response_seconds": 2}, "breach_actions": [{"action": "reassign"}]})
    a, b = (desk.ok("POST", "/agents", json={"name": n, "rotation_order": i,
                                             "queues": ["answer"]})
            for i, n in ((1, "Ayu"), (2, "Budi")))
    sockets = {}
    with ExitStack() as stack:
        for agent in (a, b):
            sockets[agent["id"]] = desk.socket(stack, agent["token"])
            desk.ok("POST", "/agent/go-online",
                    headers={"Authorization": f"Bearer {agent['token']}"})
        ticket = desk.ok("POST", "/tickets", json={"title": "Where is it", "queue": "answer"})
        assert ticket["assigned_agent_id"] == a["id"]
        desk.ok("POST", f"/tickets/{ticket['id']}/accept",
                headers={"Authorization": f"Bearer {a['token']}"})
        moved = sockets[b["id"]].until(
            lambda f: f.get("type") == "ticket.assigned" and f["ticket"]["id"] == ticket["id"],
            "the ticket reaching the next agent")
        assert moved["ticket"]["assigned_agent_id"] == b["id"]
        sockets[a["id"]].until(
            lambda f: f.get("type") == "ticket.unassigned" and f["ticket"]["id"] == ticket["id"],
            "the ticket leaving its first holder")
        now = desk.ok("GET", f"/tickets/{ticket['id']}")
        assert (now["assigned_agent_id"], now["status"]) == (b["id"], "assigned")
        history = desk.ok("GET", f"/tickets/{ticket['id']}/history")
        history = history["items"] if isinstance(history, dict) else history
        assert [e["event"] for e in history if e["reason"] == "sla_breach"] == ["unassigned"]
