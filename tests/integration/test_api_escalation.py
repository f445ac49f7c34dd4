"""Escalation, flags, away and presence through the HTTP API, on SQLite and PostgreSQL, with a
fake clock: time moves only when the test says so, and the timer pass runs when it says so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.service.assignment.timers import TickReport, tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


class Floor:
    """The API as a supervisor and agents use it, plus the passing of time."""

    def __init__(self, client: TestClient, container: Container, clock: FakeClock) -> None:
        self.client = client
        self.container = container
        self.clock = clock

    def policy(self, **fields: Any) -> dict[str, Any]:
        r = self.client.patch(f"{API}/queues/default", json=fields, headers=ADMIN)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def agents(self, names: str, **fields: Any) -> list[dict[str, Any]]:
        made = [make_agent(self.client, n, rotation_order=i, **fields)
                for i, n in enumerate(names, start=1)]
        for agent in made:
            online(self.client, agent)
        return made

    def later(self, seconds: float) -> TickReport:
        self.clock.advance(seconds)
        return tick(self.container.ctx)

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        r = self.client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def holder(self, ticket_id: int) -> int | None:
        return self.ticket(ticket_id)["assigned_agent_id"]  # type: ignore[no-any-return]

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        r = self.client.get(f"{API}/tickets/{ticket_id}/history", headers=ADMIN)
        assert r.status_code == 200, r.text
        return list(r.json())

    def accept(self, agent: dict[str, Any], ticket_id: int) -> Any:
        return self.client.post(f"{API}/tickets/{ticket_id}/accept",
                                headers=bearer(agent["token"]))

    def me(self, agent: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.get(f"{API}/agent/me", headers=bearer(agent["token"])).json())

    def workload(self) -> dict[str, Any]:
        return dict(self.client.get(f"{API}/workload", headers=ADMIN).json())


    def grace(self, seconds: int) -> None:
        r = self.client.patch(f"{API}/settings", json={"presence_grace_seconds": seconds},
                              headers=ADMIN)
        assert r.status_code == 200, r.text


@pytest.fixture
def floor(client: TestClient, container: Container, clock: FakeClock) -> Floor:
    """Presence never expires here unless a test turns it on: escalation tests let hours pass
    without heartbeats."""
    made = Floor(client, container, clock)
    made.grace(0)
    return made


def test_an_unaccepted_lead_moves_to_the_next_agent_and_a_late_accept_is_refused(
    floor: Floor,
) -> None:
    a, b, *_ = floor.agents("ABCDE", max_tickets=1)
    floor.policy(accept_timeout_seconds=300)
    lead = post_ticket(floor.client, "lead")
    assert lead["assigned_agent_id"] == a["id"]

    assert floor.later(299).escalated == 0, "escalated before its time"
    assert floor.holder(lead["id"]) == a["id"]
    assert floor.later(1).escalated == 1
    assert floor.holder(lead["id"]) == b["id"]

    assert floor.accept(b, lead["id"]).status_code == 200
    late = floor.accept(a, lead["id"])
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "assignment_revoked"
    assert "taken back" in late.json()["error"]["message"]
    late_done = floor.client.post(f"{API}/tickets/{lead['id']}/complete",
                                  headers=bearer(a["token"]))
    assert (late_done.status_code, late_done.json()["error"]["code"]) == (
        409, "assignment_revoked")
    now = floor.ticket(lead["id"])
    assert (now["assigned_agent_id"], now["status"], now["escalations"]) == (
        b["id"], "in_progress", 1)
    escalated = [h for h in floor.history(lead["id"]) if h["event"] == "escalated"]
    assert [(h["reason"], h["from_agent_id"]) for h in escalated] == [("escalation", a["id"])]


def test_a_lead_nobody_accepts_visits_everyone_once_then_is_flagged_and_stops(
    floor: Floor,
) -> None:
    agents = floor.agents("ABCDE", max_tickets=1)
    floor.policy(accept_timeout_seconds=60)
    lead = post_ticket(floor.client, "cold lead")
    visited = [floor.holder(lead["id"])]
    for _ in range(5):
        floor.later(60)
        visited.append(floor.holder(lead["id"]))
    assert visited == [a["id"] for a in agents] + [None]
    flagged = floor.ticket(lead["id"])
    assert (flagged["status"], flagged["flag"], flagged["escalations"]) == (
        "queued", "exhausted", 5)

    later = floor.later(3600)
    assert (later.escalated, later.exhausted) == (0, 0), "an exhausted ticket kept moving"
    assert floor.holder(lead["id"]) is None
    # It waits for a supervisor without blocking newer work.
    newer = post_ticket(floor.client, "newer")
    assert newer["assigned_agent_id"] is not None
    workload = floor.workload()
    assert [t["id"] for t in workload["flagged"]] == [lead["id"]]
    assert workload["flagged"][0]["flag"] == "exhausted"
    assert workload["queues"][0]["flagged"] == 1
    events = [h["event"] for h in floor.history(lead["id"])]
    moves = [e for e in events if not e.startswith("priority_")]  # aging goes on meanwhile
    assert events.count("escalated") == 5 and moves[-1] == "flagged"


def test_max_escalations_flags_the_ticket_sooner(floor: Floor) -> None:
    floor.agents("ABCDE", max_tickets=1)
    floor.policy(accept_timeout_seconds=60, max_escalations=2)
    lead = post_ticket(floor.client, "lead")
    floor.later(60)
    floor.later(60)
    after = floor.ticket(lead["id"])
    assert (after["status"], after["flag"], after["escalations"]) == ("queued", "exhausted", 2)


def test_with_nobody_new_free_the_ticket_returns_to_its_original_place(floor: Floor) -> None:
    a, b = floor.agents("AB", max_tickets=1)
    floor.policy(accept_timeout_seconds=60)
    first = post_ticket(floor.client, "first")
    second = post_ticket(floor.client, "second")
    assert floor.accept(b, second["id"]).status_code == 200
    floor.later(60)  # A misses `first`; B, the only other agent, is full
    back = floor.ticket(first["id"])
    assert (back["status"], back["queue_position"]) == ("queued", 1)
    third = post_ticket(floor.client, "third")
    assert third["assigned_agent_id"] == a["id"], "A is free for tickets it did not miss"
    assert floor.ticket(first["id"])["queue_position"] == 1, "newer work overtook it in line"
    r = floor.client.post(f"{API}/tickets/{second['id']}/complete", headers=bearer(b["token"]))
    assert r.status_code == 200
    assert floor.holder(first["id"]) == b["id"], "the freed slot went to the waiting ticket"


def test_an_agent_who_keeps_missing_is_paused_in_the_queue_keeps_its_work_and_resumes(
    floor: Floor,
) -> None:
    a, b = floor.agents("AB", max_tickets=3)
    floor.policy(accept_timeout_seconds=60, away_after_misses=2)
    kept = post_ticket(floor.client, "kept")  # A, who accepts it
    assert floor.accept(a, kept["id"]).status_code == 200
    # Rotation: B, A, B, A. Nobody accepts these.
    b1, a1, b2, a2 = (post_ticket(floor.client, f"t{i}")["id"] for i in range(4))
    assert floor.later(60).paused == 2
    me_a = floor.me(a)
    assert (me_a["presence"], me_a["online"], me_a["active_tickets"]) == ("online", True, 1)
    assert me_a["paused"] == [{"queue": "default", "since": "2026-01-05T10:01:00Z",
                               "reason": "missed 2 tickets in a row", "missed_in_row": 2}]
    assert [p["queue"] for p in floor.me(b)["paused"]] == ["default"]
    assert floor.holder(kept["id"]) == a["id"], "paused agents keep what they accepted"
    assert post_ticket(floor.client, "while paused")["status"] == "queued", (
        "a paused agent received new work of the queue")
    workload = {w["id"]: w for w in floor.workload()["agents"]}
    assert workload[a["id"]]["paused"][0]["reason"] == "missed 2 tickets in a row"

    online(floor.client, a)  # going online again is not what lifts a pause
    assert floor.me(a)["paused"] != []
    r = floor.client.post(f"{API}/agent/queues/default/resume", headers=bearer(a["token"]))
    assert r.status_code == 200, r.text
    assert (r.json()["paused"], r.json()["missed_in_row"]) == ([], 0)
    # Back with two free slots: it gets the tickets B missed, never the ones it missed itself.
    assert [floor.holder(t) for t in (b1, b2)] == [a["id"], a["id"]]
    assert [floor.holder(t) for t in (a1, a2)] == [None, None]


def test_a_backlog_ticket_is_flagged_once_and_keeps_its_place(floor: Floor) -> None:
    floor.policy(max_wait_seconds=600)
    a = make_agent(floor.client, "A")  # a member, offline: the ticket waits for her
    waiting = post_ticket(floor.client, "nobody online")
    assert floor.later(599).waiting_too_long == 0
    assert floor.later(1).waiting_too_long == 1
    assert floor.later(600).waiting_too_long == 0, "flagged twice"
    post_ticket(floor.client, "newer")
    flagged = floor.ticket(waiting["id"])
    assert (flagged["flag"], flagged["queue_position"]) == ("waiting_too_long", 1)
    assert floor.workload()["flagged"][0]["id"] == waiting["id"]
    online(floor.client, a)
    assigned = floor.ticket(waiting["id"])
    assert (assigned["assigned_agent_id"], assigned["flag"]) == (a["id"], None)


@pytest.mark.parametrize(("policy", "moved"), [
    ("keep", set()), ("requeue", {"pending"}), ("requeue_all", {"pending", "started"}),
])
def test_a_silent_agent_goes_offline_after_the_grace_period_and_its_work_follows_policy(
    floor: Floor, policy: str, moved: set[str],
) -> None:
    a, b = floor.agents("AB", max_tickets=3)
    floor.grace(300)
    floor.policy(offline_policy=policy)
    started = post_ticket(floor.client, "started")  # A, accepted
    post_ticket(floor.client, "b's own")  # B
    pending = post_ticket(floor.client, "pending")  # A, not accepted
    assert floor.accept(a, started["id"]).status_code == 200
    floor.clock.advance(250)
    beat = floor.client.post(f"{API}/agent/heartbeat", headers=bearer(b["token"]))
    assert beat.status_code == 200
    assert (beat.json()["presence"], beat.json()["grace_seconds"]) == ("online", 300)
    assert floor.later(49).went_offline == 0, "went offline inside the grace period"
    assert floor.later(1).went_offline == 1  # A: 300 s since its last sign of life (accept)
    assert floor.me(a)["presence"] == "offline"
    assert floor.me(b)["presence"] == "online", "a heartbeat inside the grace kept B online"

    tickets = {"started": started["id"], "pending": pending["id"]}
    holders = {name: floor.holder(tid) for name, tid in tickets.items()}
    assert holders == {name: b["id"] if name in moved else a["id"] for name in tickets}
    requeued = [h for tid in tickets.values() for h in floor.history(tid)
                if h["reason"] == "agent_offline"]
    assert len(requeued) == len(moved)


def test_going_offline_is_immediate_and_requeues_by_policy(floor: Floor) -> None:
    a, b = floor.agents("AB", max_tickets=1)
    floor.policy(offline_policy="requeue")
    mine = post_ticket(floor.client, "mine")
    assert mine["assigned_agent_id"] == a["id"]
    r = floor.client.post(f"{API}/agent/go-offline", headers=bearer(a["token"]))
    assert (r.status_code, r.json()["presence"]) == (200, "offline")
    assert floor.holder(mine["id"]) == b["id"]


def test_admins_change_the_grace_period_at_run_time(floor: Floor) -> None:
    (a,) = floor.agents("A")
    assert floor.later(3600).went_offline == 0
    r = floor.client.patch(f"{API}/settings", json={"presence_grace_seconds": 30}, headers=ADMIN)
    assert (r.status_code, r.json()) == (200, {"presence_grace_seconds": 30})
    assert floor.later(30).went_offline == 1
    assert floor.me(a)["presence"] == "offline"
    for bad in ({"presence_grace_seconds": -1}, {"presence_grace_seconds": "soon"},
                {"grace": 5}):
        r = floor.client.patch(f"{API}/settings", json=bad, headers=ADMIN)
        assert r.status_code == 422, bad
    r = floor.client.patch(f"{API}/settings", json={"presence_grace_seconds": 1},
                           headers=bearer(a["token"]))
    assert r.status_code == 403
    assert floor.client.get(f"{API}/settings", headers=ADMIN).json() == {
        "presence_grace_seconds": 30}


def test_admins_set_who_is_next_and_the_rotation_follows_from_there(floor: Floor) -> None:
    agents = floor.agents("ABCDE", max_tickets=5)
    post_ticket(floor.client, "to A")
    assert floor.workload()["queues"][0]["next_agent_id"] == agents[1]["id"]
    c = agents[2]
    policy = floor.policy(next_agent_id=c["id"])
    assert "next_agent_id" not in policy
    assert floor.workload()["queues"][0]["next_agent_id"] == c["id"]
    got = [post_ticket(floor.client, f"t{i}")["assigned_agent_id"] for i in range(5)]
    assert got == [agents[i]["id"] for i in (2, 3, 4, 0, 1)]


def test_queue_policy_is_validated_and_bad_requests_change_nothing(floor: Floor) -> None:
    before = floor.policy()
    for bad in ({"accept_timeout_seconds": -1}, {"accept_timeout_seconds": 1.5},
                {"max_escalations": -2}, {"offline_policy": "vanish"},
                {"max_wait_seconds": 10**9}, {"away_after_misses": "often"},
                {"next_agent_id": 0}, {"colour": "red"}):
        r = floor.client.patch(f"{API}/queues/default", json=bad, headers=ADMIN)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
    r = floor.client.patch(f"{API}/queues/default", json={"next_agent_id": 999,
                                                          "accept_timeout_seconds": 5},
                           headers=ADMIN)
    assert r.status_code == 404
    assert floor.policy() == before, "a refused change was half applied"
    r = floor.client.patch(f"{API}/queues/nowhere", json={"strategy": "random"}, headers=ADMIN)
    assert r.status_code == 404


def test_heartbeats_need_an_agent_token(floor: Floor) -> None:
    assert floor.client.post(f"{API}/agent/heartbeat").status_code == 401
    assert floor.client.post(f"{API}/agent/heartbeat", headers=ADMIN).status_code == 403
