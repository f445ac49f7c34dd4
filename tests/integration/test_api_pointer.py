"""A rotation's turn set by a supervisor, on SQLite and PostgreSQL: the assignment or the claim
in turn that follows says the supervisor set it (not "after" someone whose turn it never was),
and the one after that is explained as usual again."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from tests.integration.test_api_lead_desk import LeadDesk


@pytest.fixture
def desk(client: TestClient, container: Container, clock: FakeClock) -> LeadDesk:
    return LeadDesk(client, container, clock)


def assigned(desk: LeadDesk, ticket: dict[str, Any]) -> dict[str, Any]:
    return [h for h in desk.history(ticket) if h["event"] == "assigned"][-1]


def test_an_assignment_after_a_pointer_move_says_a_supervisor_set_the_turn(
    desk: LeadDesk,
) -> None:
    desk.ok("PATCH", "/queues/sales", json={"strategy": "rotation"})
    a, b, c, d = desk.agents("ABCD")
    assert desk.lead()["assigned_agent_id"] == a["id"]
    desk.ok("PATCH", "/queues/sales", json={"next_agent_id": d["id"]})
    desk.ok("POST", "/agent/go-offline", d["token"])  # passed over, from where the turn was set
    moved = desk.lead()
    assert moved["assigned_agent_id"] == a["id"]
    entry = assigned(desk, moved)
    assert entry["note"] == "rotation: next in turn, set by a supervisor; D skipped: not online"
    assert (entry["detail"]["set_by_hand"], entry["detail"]["after"]) == (True, None)
    usual = assigned(desk, desk.lead())
    assert (usual["to_agent_id"], usual["note"]) == (b["id"], "rotation: next in turn after A")
    assert usual["detail"]["set_by_hand"] is False
    assert assigned(desk, desk.lead())["to_agent_id"] == c["id"]


def test_a_claim_in_turn_after_a_pointer_move_says_a_supervisor_set_the_turn(
    desk: LeadDesk,
) -> None:
    desk.ok("PATCH", "/queues/sales", json={"preset": "lead_rotation"})
    a, b, c = desk.agents("ABC", auto_assign=False)  # they pick leads up by hand, in turn
    first = desk.ok("POST", f"/tickets/{desk.lead()['id']}/pickup", a["token"])
    desk.ok("POST", f"/tickets/{first['id']}/accept", a["token"])  # its slot frees on accept
    desk.ok("PATCH", "/queues/sales", json={"next_agent_id": c["id"]})
    waiting = desk.lead()
    desk.refused("POST", f"/tickets/{waiting['id']}/pickup", b["token"], "not_your_turn")
    taken = desk.ok("POST", f"/tickets/{waiting['id']}/pickup", c["token"])
    entry = assigned(desk, taken)
    assert entry["note"] == "rotation: picked up in turn, set by a supervisor"
    assert entry["detail"]["set_by_hand"] is True
    again = desk.lead()
    desk.ok("POST", f"/tickets/{again['id']}/pickup", a["token"])
    assert assigned(desk, again)["note"] == "rotation: picked up in turn after C"
