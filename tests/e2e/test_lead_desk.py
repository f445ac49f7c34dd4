"""A WhatsApp lead-rotation desk on a real `giliran serve`, as its supervisor sets it up and its
agents work it: the seed's story (leads 1-3 go to A, B, C; lead 1, unanswered for the timeout,
moves to D, not back to A, and the turn moves on to E), and concurrent claims in turn against
two worker processes on PostgreSQL, of which exactly one wins.

The timeout is a real second. The timers run from cron here (`GILIRAN_SCHEDULER=false` and
`giliran tick`), so the test decides when the pass runs: after lead 1's deadline, which the API
reports, has passed, and after B and C have answered theirs. Nothing then depends on how fast
this machine is."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.postgres import Cluster
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CRON = {"GILIRAN_SCHEDULER": "false", "GILIRAN_PRESENCE_GRACE_SECONDS": "0"}


class Desk:
    def __init__(self, base_url: str) -> None:
        self.base = base_url + API
        self.http = httpx.Client(timeout=30.0)

    def ok(self, method: str, path: str, token: str = ADMIN_TOKEN, **kw: Any) -> Any:
        r = self.http.request(method, self.base + path,
                              headers={"Authorization": f"Bearer {token}"}, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json()

    def agents(self, names: str, **fields: Any) -> list[dict[str, Any]]:
        made = [self.ok("POST", "/agents", json={"name": n, "rotation_order": i,
                                                 "queues": ["sales"]} | fields)
                for i, n in enumerate(names, start=1)]
        for agent in made:
            self.ok("POST", "/agent/go-online", agent["token"])
        return made

    def next_in_turn(self) -> int | None:
        queues = self.ok("GET", "/workload")["queues"]
        return next(q["next_agent_id"] for q in queues if q["name"] == "sales")


def giliran(database_url: str, *args: str) -> str:
    env = {**os.environ, "GILIRAN_DATABASE_URL": database_url, "GILIRAN_ADMIN_TOKEN": ADMIN_TOKEN}
    done = subprocess.run([sys.executable, "-m", "giliran", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_seed_story_on_a_real_server(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with running_server(database_url, log, workers=1, env=CRON) as server:
        desk = Desk(server.base_url)
        desk.ok("POST", "/queues", json={"name": "sales"})
        said = giliran(database_url, "queue-preset", "sales", "lead_rotation")
        assert "strategy rotation" in said and "claim turn" in said
        desk.ok("PATCH", "/queues/sales", json={"accept_timeout_seconds": 1})
        a, b, c, d, e = desk.agents("ABCDE")
        leads = [desk.ok("POST", "/tickets", json={"title": f"lead {n}", "queue": "sales"})
                 for n in (1, 2, 3)]
        assert [t["assigned_agent_id"] for t in leads] == [a["id"], b["id"], c["id"]]
        for agent, lead in ((b, leads[1]), (c, leads[2])):
            desk.ok("POST", f"/tickets/{lead['id']}/accept", agent["token"])
        deadline = datetime.fromisoformat(leads[0]["accept_deadline"])
        wait_until(lambda: datetime.now(UTC) > deadline, timeout=10,
                   what="lead 1's deadline to pass")
        assert "escalated 1," in giliran(database_url, "tick")
        moved = desk.ok("GET", f"/tickets/{leads[0]['id']}")
        assert (moved["assigned_agent_id"], moved["escalations"]) == (d["id"], 1), (
            "lead 1 went to D, not back to A")
        assert desk.next_in_turn() == e["id"], "the turn followed: E is next"
        history = desk.ok("GET", f"/tickets/{leads[0]['id']}/history")
        assert [(h["event"], h["to_agent_id"] or h["from_agent_id"]) for h in history] == [
            ("created", None), ("assigned", a["id"]), ("escalated", a["id"]),
            ("assigned", d["id"])]
        assert history[-1]["note"] == "rotation: next in turn after C"
        late = desk.http.post(f"{desk.base}/tickets/{leads[0]['id']}/accept",
                              headers={"Authorization": f"Bearer {a['token']}"})
        assert late.status_code == 409 and late.json()["error"]["code"] == "assignment_revoked"
    assert not logged_errors(log), log_tail(log)


@pytest.mark.postgres
def test_of_concurrent_claims_exactly_one_wins_across_two_workers(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    database_url = pg_cluster.fresh_database()
    log = tmp_path / "server.log"
    with running_server(database_url, log, workers=2, env=CRON) as server:
        desk = Desk(server.base_url)
        desk.ok("POST", "/queues", json={"name": "sales", "preset": "lead_rotation",
                                         "max_per_agent": 5})
        agents = desk.agents("ABCD", auto_assign=False, max_tickets=5)
        outcomes: Counter[str] = Counter()
        for round_ in range(3):
            lead = desk.ok("POST", "/tickets", json={"title": f"lead {round_}",
                                                    "queue": "sales"})
            turn = desk.next_in_turn()
            claimants = [a for a in agents for _ in range(3)]
            start = threading.Barrier(len(claimants))
            got: list[tuple[int, int, str]] = []

            def claim(agent: dict[str, Any], lead_id: int = lead["id"],
                      barrier: threading.Barrier = start,
                      results: list[tuple[int, int, str]] = got) -> None:
                with httpx.Client(timeout=30.0) as http:
                    barrier.wait()
                    r = http.post(f"{desk.base}/tickets/{lead_id}/pickup",
                                  headers={"Authorization": f"Bearer {agent['token']}"})
                code = "" if r.status_code == 200 else r.json()["error"]["code"]
                results.append((agent["id"], r.status_code, code))

            threads = [threading.Thread(target=claim, args=(x,)) for x in claimants]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            winners = [who for who, status, _ in got if status == 200]
            assert winners == [turn], got
            assert {(s, c) for _, s, c in got if s != 200} <= {
                (409, "not_your_turn"), (409, "invalid_transition")}, got
            outcomes.update(c or "won" for _, _, c in got)
        held = {x["id"]: x["active_tickets"] for x in desk.ok("GET", "/agents")}
        assert sorted(held.values()) == [0, 1, 1, 1], "three leads, three claims in turn"
        assert outcomes["won"] == 3
    assert not logged_errors(log), log_tail(log)
