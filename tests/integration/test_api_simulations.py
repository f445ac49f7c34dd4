"""What if, through the API, on SQLite and PostgreSQL: the desk's own last days replayed as it
is and with one change, side by side; a whole scenario; and the refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.domain.errors import SimulationRunning
from giliran.entrypoints.api.root import root_of
from giliran.entrypoints.api.routes_simulation import Simulations
from giliran.simulation.scenario import parse
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def busy_days(client: TestClient, clock: FakeClock) -> None:
    """Two agents working through a day's tickets: created, accepted, completed."""
    agents = [make_agent(client, name, max_tickets=2) for name in ("Sari", "Budi")]
    for agent in agents:
        online(client, agent)
    for i in range(12):
        clock.advance(900)
        ticket = post_ticket(client, f"question {i}")
        holder = next(a for a in agents if a["id"] == ticket["assigned_agent_id"])
        clock.advance(30)
        assert client.post(f"{API}/tickets/{ticket['id']}/accept",
                           headers=bearer(holder["token"])).status_code == 200
        clock.advance(600)
        assert client.post(f"{API}/tickets/{ticket['id']}/complete",
                           headers=bearer(holder["token"])).status_code == 200


def test_the_desks_last_week_as_it_is_and_with_one_change(
    client: TestClient, clock: FakeClock,
) -> None:
    busy_days(client, clock)
    r = client.post(f"{API}/simulations", headers=ADMIN, json={
        "days": 7, "change": {"queue": "default", "setting": "strategy", "value": "random"},
        "replications": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    names = [p["name"] for p in body["report"]["policies"]]
    assert names == ["as it is", "default: strategy random"]
    for policy in body["report"]["policies"]:
        assert policy["figures"]["tickets"]["mean"] == 12  # the same twelve, replayed
        assert policy["figures"]["orphans"]["mean"] == 0
        assert set(policy["utilization_by_agent"]) == {"Sari", "Budi"}
    assert body["simulated_tickets"] == 12 * 2 * 2


def test_the_what_ifs_record_of_the_desk_is_the_dashboards(
    client: TestClient, clock: FakeClock,
) -> None:
    """The What-if's first column (what the desk really did) and GET /stats over the same days
    share one definition of each figure: a desk with quick, late and unanswered tickets."""
    busy_days(client, clock)
    sari = make_agent(client, "Late Lia", max_tickets=1)
    online(client, sari)
    for i in range(3):
        post_ticket(client, f"late {i}")  # Lia takes the first; the rest wait
    clock.advance(900)
    r = client.post(f"{API}/simulations", headers=ADMIN, json={
        "days": 7, "change": {"queue": "default", "setting": "strategy", "value": "random"},
        "replications": 1})
    assert r.status_code == 200, r.text
    record = r.json()["recorded"]
    until = clock.now()
    stats = client.get(f"{API}/stats", headers=ADMIN, params={
        "from": (until - timedelta(days=7)).isoformat(), "to": until.isoformat()}).json()
    levels = stats["service_levels"].values()
    assert record["tickets"] == stats["created"] == 15
    assert record["within_target"] == round(
        sum(q["within_target"] for q in levels) / sum(q["counted"] for q in levels), 4)
    assert record["within_target"] < 1, "the late and the unanswered count against it"
    assert record["utilization"] == pytest.approx(stats["floor_utilization"], abs=1e-4)
    assert record["assign_mean"] == pytest.approx(stats["assignment_time"]["mean"])
    assert (record["escalations"], record["orphans"]) == (stats["escalations"],
                                                          stats["orphans_requeued"])
    assert record["fairness_gini"] == pytest.approx(stats["gini"], abs=1e-4)


@pytest.mark.parametrize(("body", "says"), [
    ({"days": 7}, "compares it with one change"),
    ({"days": 7, "change": {"queue": "default", "setting": "colour", "value": "red"}},
     "unknown setting"),
    ({"days": 7, "change": {"queue": "nope", "setting": "strategy", "value": "random"}},
     "no queue named"),
    ({"scenario": {"arrivals": {"kind": "csv", "file": "/etc/passwd"}}}, "Poisson arrivals"),
    ({"scenario": {"days": 30, "arrivals": {"per_hour": 5000}}}, "giliran simulate"),
    ({"scenario": {"days": -1}}, "days"),
])
def test_what_cannot_run_is_refused_clearly(
    client: TestClient, clock: FakeClock, body: dict[str, Any], says: str,
) -> None:
    if "days" in body:
        busy_days(client, clock)
    r = client.post(f"{API}/simulations", headers=ADMIN, json=body)
    assert r.status_code == 422, r.text
    assert says in r.text


def test_a_whole_scenario_runs_and_agents_may_not(client: TestClient) -> None:
    scenario = {"days": 0.25, "arrivals": {"per_hour": 12},
                "agents": [{"count": 2, "max_tickets": 1}],
                "policies": [{"name": "round robin"},
                             {"name": "least loaded",
                              "queues": {"default": {"strategy": "least_loaded"}}}]}
    r = client.post(f"{API}/simulations", headers=ADMIN,
                    json={"scenario": scenario, "replications": 1, "seed": 3})
    assert r.status_code == 200, r.text
    again = client.post(f"{API}/simulations", headers=ADMIN,
                        json={"scenario": scenario, "replications": 1, "seed": 3})
    assert again.json()["report"] == r.json()["report"]  # the same seed, the same report
    agent = make_agent(client, "curious")
    refused = client.post(f"{API}/simulations", headers=bearer(agent["token"]),
                          json={"scenario": scenario})
    assert refused.status_code == 403


def test_one_simulation_at_a_time_per_process() -> None:
    async def second_while_first_runs() -> None:
        pool = Simulations()
        async with pool._busy:  # as if one were running
            with pytest.raises(SimulationRunning):
                await pool.run(parse({}), None)
        pool.close()
    asyncio.run(second_while_first_runs())


def test_a_simulation_past_the_time_limit_is_stopped(client: TestClient) -> None:
    """GILIRAN_SIMULATION_SECONDS bounds what one request may cost; the next one runs."""
    root_of(client.app).simulations.seconds = 0.001
    scenario = {"days": 2, "arrivals": {"per_hour": 60}, "agents": [{"count": 3}]}
    r = client.post(f"{API}/simulations", headers=ADMIN,
                    json={"scenario": scenario, "replications": 1})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "simulation_too_long"
    assert "giliran simulate" in r.json()["error"]["message"]
    root_of(client.app).simulations.seconds = 60
    small = {"days": 0.1, "arrivals": {"per_hour": 6}, "agents": [{"count": 1}]}
    assert client.post(f"{API}/simulations", headers=ADMIN,
                       json={"scenario": small, "replications": 1}).status_code == 200
