"""Timers against real `giliran serve` processes and the real clock, made short: a 1-second
accept timeout, a scheduler ticking every 0.1 s, a presence grace of a few seconds. Tests wait
on what the server does (polling its API), never for a fixed time, except to let a deadline
pass while no server is running, which is the point of the restart test."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.e2e_invariants import Snapshot, violations
from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

FAST = {"GILIRAN_TICK_SECONDS": "0.1", "GILIRAN_PRESENCE_GRACE_SECONDS": "0"}
WAIT = 15.0  # generous: a 1 s timer on a loaded CI machine


class Desk:
    """A supervisor's and the agents' HTTP clients against one server."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url + API
        self.http = httpx.Client(timeout=30.0)
        self.admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else self.admin
        return self.http.request(method, self.base + path, headers=headers, **kw)

    def ok(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        r = self.call(method, path, token, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json()

    def agents(self, names: str, **fields: Any) -> list[dict[str, Any]]:
        made = [self.ok("POST", "/agents", json={"name": n, "rotation_order": i} | fields)
                for i, n in enumerate(names, start=1)]
        for agent in made:
            self.ok("POST", "/agent/go-online", agent["token"])
        return made

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        return dict(self.ok("GET", f"/tickets/{ticket_id}"))

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.ok("GET", f"/tickets/{ticket_id}/history"))

    def close(self) -> None:
        self.http.close()


@contextmanager
def desk_on(database_url: str, log: Path, env: dict[str, str],
            workers: int = 1) -> Iterator[Desk]:
    with running_server(database_url, log, workers=workers, env=env) as server:
        desk = Desk(server.base_url)
        try:
            yield desk
        finally:
            desk.close()
    assert not logged_errors(log), log_tail(log)


def test_rotation_with_a_one_second_timeout(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with desk_on(database_url, log, FAST) as desk:
        a, b, c, d, e = desk.agents("ABCDE", max_tickets=1)
        desk.ok("PATCH", "/queues/default", json={"accept_timeout_seconds": 1})

        lead = desk.ok("POST", "/tickets", json={"title": "lead 1"})
        assert lead["assigned_agent_id"] == a["id"]
        wait_until(lambda: desk.ticket(lead["id"])["assigned_agent_id"] == b["id"],
                   timeout=WAIT, what="the lead to move from A to B")
        assert desk.call("POST", f"/tickets/{lead['id']}/accept", b["token"]).status_code == 200
        late = desk.call("POST", f"/tickets/{lead['id']}/accept", a["token"])
        assert late.status_code == 409 and late.json()["error"]["code"] == "assignment_revoked"
        kept = desk.ticket(lead["id"])
        assert (kept["assigned_agent_id"], kept["status"]) == (b["id"], "in_progress")

        # Nobody accepts the second lead: C, D, E, A miss it; B is busy, so it waits in the
        # queue until B's slot frees; B misses it too, and it is flagged and stops moving.
        cold = desk.ok("POST", "/tickets", json={"title": "lead 2"})
        wait_until(lambda: desk.ticket(cold["id"])["escalations"] == 4,
                   timeout=4 * WAIT, what="four escalations of lead 2")
        waiting = desk.ticket(cold["id"])
        assert (waiting["status"], waiting["flag"]) == ("queued", None)
        desk.ok("POST", f"/tickets/{lead['id']}/complete", b["token"])
        flagged = wait_until(lambda: (t := desk.ticket(cold["id"]))["flag"] and t,
                             timeout=WAIT, what="lead 2 to be flagged")
        assert (flagged["status"], flagged["flag"], flagged["escalations"]) == (
            "queued", "exhausted", 5)
        history = desk.history(cold["id"])
        visits = [h["to_agent_id"] for h in history if h["event"] == "assigned"]
        assert visits == [c["id"], d["id"], e["id"], a["id"], b["id"]], history
        # Proof that the timers kept running after the flag: a fresh lead that nobody accepts
        # escalates. By then the flagged lead would have moved, had it been going to.
        sentinel = desk.ok("POST", "/tickets", json={"title": "sentinel"})
        wait_until(lambda: desk.ticket(sentinel["id"])["escalations"] >= 1,
                   timeout=WAIT, what="the sentinel lead to escalate")
        assert desk.ticket(cold["id"])["assigned_agent_id"] is None
        assert desk.history(cold["id"]) == history
        assert any(t["id"] == cold["id"] for t in desk.ok("GET", "/workload")["flagged"])


class Heartbeats:
    """An agent's browser tab: a heartbeat every `every` seconds until stopped."""

    def __init__(self, desk: Desk, token: str, every: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(desk.base, token, every))
        self._thread.start()
        self.beats = 0

    def _run(self, base: str, token: str, every: float) -> None:
        with httpx.Client(timeout=10.0) as http:
            while not self._stop.wait(every):
                r = http.post(base + "/agent/heartbeat",
                              headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 200
                self.beats += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def test_silent_agents_go_offline_after_the_grace_and_their_work_follows_policy(
    database_url: str, tmp_path: Path
) -> None:
    env = {**FAST, "GILIRAN_PRESENCE_GRACE_SECONDS": "2"}
    with desk_on(database_url, tmp_path / "server.log", env) as desk:
        keeper, beating = desk.agents("KB")
        tab = Heartbeats(desk, beating["token"], every=0.3)
        try:
            mine = desk.ok("POST", "/tickets", json={"title": "kept"})
            assert mine["assigned_agent_id"] == keeper["id"]
            wait_until(lambda: desk.ok("GET", "/agent/me", keeper["token"])["presence"]
                       == "offline", timeout=WAIT, what="the silent agent to go offline")
            assert desk.ticket(mine["id"])["assigned_agent_id"] == keeper["id"], (
                "offline_policy keep: the ticket stays")

            desk.ok("PATCH", "/queues/default", json={"offline_policy": "requeue"})
            (leaver,) = desk.agents("R", rotation_order=0)
            taken = desk.ok("POST", "/tickets", json={"title": "requeued"})
            assert taken["assigned_agent_id"] == leaver["id"]
            wait_until(lambda: desk.ticket(taken["id"])["assigned_agent_id"] == beating["id"],
                       timeout=WAIT, what="the unaccepted ticket to move to the live agent")
            assert desk.ok("GET", "/agent/me", leaver["token"])["presence"] == "offline"
            assert desk.ok("GET", "/agent/me", beating["token"])["presence"] == "online", (
                "heartbeats inside the grace period kept the agent online")
            moves = [h for h in desk.history(taken["id"]) if h["reason"] == "agent_offline"]
            assert [h["from_agent_id"] for h in moves] == [leaver["id"]]
        finally:
            tab.stop()
        assert tab.beats >= 5


def test_a_timeout_that_passes_while_the_server_is_down_fires_once_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    timeout_s = 2
    server = ServerProcess(database_url, log_path=log, env=FAST)
    server.start()
    try:
        desk = Desk(server.base_url)
        a, b = desk.agents("AB", max_tickets=1)
        desk.ok("PATCH", "/queues/default", json={"accept_timeout_seconds": timeout_s})
        lead = desk.ok("POST", "/tickets", json={"title": "lead"})
        assigned = time.monotonic()
        assert lead["assigned_agent_id"] == a["id"]
    finally:
        server.stop()
    desk.close()
    # Let the deadline pass with no server running: nothing holds the timer in memory.
    time.sleep(max(0.0, assigned + timeout_s + 0.5 - time.monotonic()))

    restarted = ServerProcess(database_url, log_path=log, env=FAST)
    restarted.start()
    try:
        desk = Desk(restarted.base_url)
        wait_until(lambda: desk.ticket(lead["id"])["assigned_agent_id"] == b["id"],
                   timeout=WAIT, what="the overdue lead to move to B after the restart")
        desk.ok("POST", f"/tickets/{lead['id']}/accept", b["token"])
        escalations = [h for h in desk.history(lead["id"]) if h["event"] == "escalated"]
        assert [h["from_agent_id"] for h in escalations] == [a["id"]]
        desk.close()
    finally:
        restarted.stop()
    assert not logged_errors(log), log_tail(log)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_servers_on_one_database_escalate_each_ticket_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    """Two independent server processes (each with its own scheduler) tick every 0.05 s on
    one PostgreSQL database while timeouts fire constantly; the history must show every
    escalation once, and never twice from the same agent."""
    env = {**FAST, "GILIRAN_TICK_SECONDS": "0.05", "GILIRAN_LOG_LEVEL": "info"}
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    servers = [ServerProcess(database_url, log_path=log, env=env) for log in logs]
    for server in servers:
        server.start()
    try:
        desks = [Desk(s.base_url) for s in servers]
        agents = desks[0].agents("ABCDEFGH", max_tickets=2)
        desks[0].ok("PATCH", "/queues/default",
                    json={"accept_timeout_seconds": 1, "max_escalations": 3})
        created: list[int] = []
        for i in range(40):  # arrivals spread over ~2 s, so timers keep firing throughout
            created.append(desks[i % 2].ok("POST", "/tickets", json={"title": f"t{i}"})["id"])
            time.sleep(0.05)  # pacing the load, not synchronising with the server

        def all_flagged() -> bool:
            page = desks[1].ok("GET", "/tickets", params={"flagged": "true", "limit": 500})
            return bool(page["total"] == len(created))

        wait_until(all_flagged, timeout=90, what="every ticket to exhaust its 3 escalations")
        for desk in desks:
            desk.close()
    finally:
        for server in servers:
            server.stop()
    snap = Snapshot.load(database_url)
    assert violations(snap) == []
    escalated = snap.events("escalated")
    per_ticket = Counter(h.ticket_id for h in escalated)
    assert per_ticket == {tid: 3 for tid in created}, "an escalation fired twice or never"
    per_assignment = Counter((h.ticket_id, h.from_agent_id) for h in escalated)
    assert max(per_assignment.values()) == 1
    assert {h.from_agent_id for h in escalated} <= {a["id"] for a in agents}
    passes = [sum("timer pass" in line for line in log.read_text().splitlines())
              for log in logs]
    # Both schedulers did real work, so the exactly-once above held under a real race.
    assert all(passes), f"timer passes that moved something, per server: {passes}"
    for log in logs:
        assert not logged_errors(log), log_tail(log)
