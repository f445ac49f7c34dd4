"""Nothing waits that nobody can take, on a real `giliran serve` (SQLite, two workers):

- the end of a migration: a queue at 50 % leaves tickets for a pick-up; switching pick-up off
  and raising the share to 100 % hands every one of them out while agents have room, in the
  same transaction as the switch (so by the time the PATCH answers);
- a queue nobody serves: its tickets are flagged `unreachable` with the reason, shown on the
  workload, and released (then assigned) when a member joins and comes online."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.e2e_server import API, log_tail, logged_errors, running_server
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


class Floor:
    def __init__(self, base_url: str) -> None:
        self.base = base_url + API
        # No keep-alive: consecutive calls land on either worker.
        self.http = httpx.Client(timeout=30.0, limits=httpx.Limits(max_keepalive_connections=0))

    def ok(self, method: str, path: str, token: str = ADMIN_TOKEN, **kw: Any) -> Any:
        r = self.http.request(method, self.base + path,
                              headers={"Authorization": f"Bearer {token}"}, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json()


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[Floor]:
    log = tmp_path / "server.log"
    with running_server(f"sqlite:///{tmp_path / 'floor.db'}", log, workers=2) as server:
        f = Floor(server.base_url)
        try:
            yield f
        finally:
            f.http.close()
    assert not logged_errors(log), log_tail(log)


def test_switching_pickup_off_hands_out_every_ticket_left_for_it(floor: Floor) -> None:
    floor.ok("PATCH", "/queues/default", json={"auto_assign_percent": 50})
    agents = [floor.ok("POST", "/agents", json={"name": n, "max_tickets": 20})
              for n in ("Ani", "Budi")]
    for a in agents:
        floor.ok("POST", "/agent/go-online", a["token"])
    made = [floor.ok("POST", "/tickets", json={"title": f"lead {i}", "external_id": f"l{i}"})
            for i in range(24)]
    left = [t["id"] for t in made if t["status"] == "queued"]
    assert len(left) >= 5, "a 50 % rollout leaves some for a pick-up"

    started = time.monotonic()
    floor.ok("PATCH", "/queues/default", json={"pickup": "off", "auto_assign_percent": 100})
    took = time.monotonic() - started
    seen = [floor.ok("GET", f"/tickets/{i}") for i in left]
    assert all(t["status"] == "assigned" for t in seen), [t["status"] for t in seen]
    print(f"\n{len(left)} tickets left for a pick-up, all assigned by the switch's answer "
          f"({took * 1000:.0f} ms)")
    reasons = {(e["event"], e["reason"]) for i in left
               for e in floor.ok("GET", f"/tickets/{i}/history")}
    assert ("released", "pickup_off") in reasons
    w = floor.ok("GET", "/workload")
    assert (w["queue"]["pending"], w["queue"]["unreachable"]) == (0, 0)


def test_a_queue_nobody_serves_is_flagged_and_released_when_a_member_joins(
    floor: Floor,
) -> None:
    floor.ok("POST", "/queues", json={"name": "billing"})
    waiting = [floor.ok("POST", "/tickets", json={"title": f"invoice {i}", "queue": "billing"})
               for i in range(3)]
    w = floor.ok("GET", "/workload")
    billing = next(q for q in w["queues"] if q["name"] == "billing")
    assert (billing["pending"], billing["unreachable"]) == (3, 3)
    assert sorted((t["id"], t["flag"], t["flag_reason"]) for t in w["flagged"]) == [
        (t["id"], "unreachable", "no_members") for t in waiting]
    assert floor.ok("GET", "/stats")["unreachable_tickets"] == 3

    citra = floor.ok("POST", "/agents", json={"name": "Citra", "queues": ["billing"]})
    w = floor.ok("GET", "/workload")
    assert (w["queue"]["unreachable"], w["flagged"]) == (0, []), "a member joined: a way in"
    floor.ok("POST", "/agent/go-online", citra["token"])
    seen = [floor.ok("GET", f"/tickets/{t['id']}") for t in waiting]
    assert [t["assigned_agent_id"] for t in seen] == [citra["id"]] * 3
