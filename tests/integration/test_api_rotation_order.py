"""PUT /queues/{name}/rotation on SQLite and PostgreSQL: a queue's members put in a new turn
order in one change, which the next assignments follow; the agents of other queues keep their
places; the log says it; a wrong list changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from tests.integration.test_api_lead_desk import LeadDesk


@pytest.fixture
def desk(client: TestClient, container: Container, clock: FakeClock) -> LeadDesk:
    desk = LeadDesk(client, container, clock)
    desk.ok("PATCH", "/queues/sales", json={"strategy": "rotation"})
    return desk


def order(desk: LeadDesk) -> list[str]:
    agents = [a for a in desk.ok("GET", "/agents") if a["active"]]
    return [a["name"] for a in sorted(agents, key=lambda a: (a["rotation_order"], a["id"]))]


def test_the_next_assignments_follow_the_order_set_in_one_change(desk: LeadDesk) -> None:
    a, b, c, d = desk.agents("ABCD")
    x = desk.agents("X", queues=("default",), rotation_order=25)[0]  # between B and C
    answer = desk.ok("PUT", "/queues/sales/rotation", json={"agent_ids": [
        c["id"], a["id"], d["id"], b["id"]]})
    assert answer == {"queue": "sales", "agent_ids": [c["id"], a["id"], d["id"], b["id"]]}
    assert order(desk) == ["C", "A", "X", "D", "B"], "X keeps its place among the others"
    assert desk.next_in_turn() == c["id"], "no turn taken yet: the first member is next"
    names = {a["id"]: n for n, a in zip("ABCDX", (a, b, c, d, x), strict=True)}
    assert [names[desk.holder(desk.lead())] for _ in range(4)] == ["C", "A", "D", "B"]
    entry = desk.ok("GET", "/audit?kind=queue&subject=sales")["items"][0]
    assert (entry["action"], entry["before"], entry["after"]) == (
        "rotation", {"rotation": [a["id"], b["id"], c["id"], d["id"]]},
        {"rotation": [c["id"], a["id"], d["id"], b["id"]]})


def test_the_turn_stays_with_its_agent_when_the_order_changes(desk: LeadDesk) -> None:
    a, b, c = desk.agents("ABC")
    desk.ok("PATCH", "/queues/sales", json={"next_agent_id": b["id"]})
    desk.ok("PUT", "/queues/sales/rotation", json={"agent_ids": [b["id"], c["id"], a["id"]]})
    assert desk.next_in_turn() == b["id"]
    assert [desk.holder(desk.lead()) for _ in range(3)] == [b["id"], c["id"], a["id"]]


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda a, b: [a], id="a member left out"),
    pytest.param(lambda a, b: [a, b, a], id="a member twice"),
    pytest.param(lambda a, b: [a, b, 999999], id="someone not a member"),
])
def test_a_list_that_is_not_the_members_once_changes_nothing(
    desk: LeadDesk, wrong: Any,
) -> None:
    a, b = desk.agents("AB")
    r = desk.call("PUT", "/queues/sales/rotation", json={"agent_ids": wrong(a["id"], b["id"])})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_input"), r.text
    assert order(desk) == ["A", "B"]
    r = desk.call("PUT", "/queues/nowhere/rotation", json={"agent_ids": []})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
