"""The SLA report (GET /reports/sla) on SQLite and PostgreSQL: clocks that ended, seeded in
`sla_outcomes`, give the figures computed by hand below, as JSON and as CSV; a clock that
ends through the desk (a ticket completed under a policy) is counted too."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.domain.sla import Outcome, Target
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket
from tests.integration.test_ws_people import make_user, sign_in

API = "/api/v1"


def seed(container: Container, start: datetime, ana: int, budi: int) -> None:
    """Seven clocks that ended in the day after `start`, and one the day before."""
    rows = [
        # target, queue, holder, outcome, elapsed seconds, hours after start
        ("first_response", "sales", ana, "met", 20, 1),
        ("first_response", "sales", budi, "met", 50, 2),
        ("first_response", "default", ana, "breached", 200, 3),
        ("first_response", "default", None, "breached", 400, 4),
        ("resolution", "sales", ana, "met", 3000, 5),
        ("resolution", "default", budi, "breached", 9000, 6),
        ("next_response", "sales", ana, "met", 100, 7),
        ("first_response", "sales", ana, "met", 10, -1),  # before the period
    ]
    with container.ctx.uow(write=True) as uow:
        for i, (target, queue, agent, outcome, elapsed, hours) in enumerate(rows, start=1):
            ended = start + timedelta(hours=hours)
            uow.sla_clocks.add_outcome(Outcome(
                ticket_id=i, target=Target(target), policy_id=1, queue=queue, agent_id=agent,
                priority="normal", channel=None, started_at=ended - timedelta(seconds=elapsed),
                due_at=ended, ended_at=ended, outcome=outcome, elapsed_seconds=elapsed,
                breached_at=ended if outcome == "breached" else None))
        uow.commit()


def period(start: datetime) -> dict[str, str]:
    return {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}


def floor(client: TestClient, container: Container, clock: FakeClock) -> tuple[int, int,
                                                                               datetime]:
    assert client.post(f"{API}/queues", headers=ADMIN, json={"name": "sales"}).status_code == 201
    ana, budi = make_agent(client, "Ana")["id"], make_agent(client, "Budi")["id"]
    start = clock.now()
    seed(container, start, ana, budi)
    return ana, budi, start


def shares(group: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {s["target"]: (s["clocks"], s["met"], s["breached"]) for s in group["targets"]}


def levels(group: dict[str, Any]) -> list[tuple[int, int, int, float | None]]:
    return [(w["seconds"], w["answered"], w["within"], w["share"])
            for w in group["service_levels"]]


def test_the_report_gives_the_hand_computed_figures(client: TestClient, container: Container,
                                                     clock: FakeClock) -> None:
    ana, budi, start = floor(client, container, clock)
    r = client.get(f"{API}/reports/sla", headers=ADMIN, params=period(start))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["thresholds"] == [30, 60, 300]
    groups = {(g["scope"], g["key"]): g for g in report["groups"]}
    assert list(groups) == [("all", ""), ("queue", "default"), ("queue", "sales"),
                            ("agent", str(ana)), ("agent", str(budi)), ("agent", "-")]
    every = groups["all", ""]
    assert shares(every) == {"first_response": (4, 2, 2), "next_response": (1, 1, 0),
                             "resolution": (2, 1, 1)}
    assert every["targets"][0]["met_share"] == 0.5
    # first responses 20, 50, 200, 400: nearest-rank median the 2nd, p90 the 4th
    assert every["first_response"] == {"count": 4, "mean": 167.5, "median": 50, "p90": 400}
    assert every["resolution"] == {"count": 2, "mean": 6000, "median": 3000, "p90": 9000}
    assert levels(every) == [(30, 4, 1, 0.25), (60, 4, 2, 0.5), (300, 4, 3, 0.75)]
    assert shares(groups["queue", "sales"]) == {"first_response": (2, 2, 0),
                                                "next_response": (1, 1, 0),
                                                "resolution": (1, 1, 0)}
    assert levels(groups["queue", "default"]) == [(30, 2, 0, 0.0), (60, 2, 0, 0.0),
                                                  (300, 2, 1, 0.5)]
    assert groups["agent", str(ana)]["name"] == "Ana"
    assert shares(groups["agent", str(ana)])["first_response"] == (2, 1, 1)
    assert shares(groups["agent", str(budi)])["resolution"] == (1, 0, 1)
    assert groups["agent", "-"]["first_response"]["median"] == 400

    # Filtered to a queue and to an agent, at thresholds of one's own (sorted).
    r = client.get(f"{API}/reports/sla", headers=ADMIN,
                   params={**period(start), "queue": "sales", "thresholds": "300,45"})
    sales = r.json()["groups"][0]
    assert levels(sales) == [(45, 2, 1, 0.5), (300, 2, 2, 1.0)]
    r = client.get(f"{API}/reports/sla", headers=ADMIN,
                   params={**period(start), "agent_id": budi})
    assert shares(r.json()["groups"][0]) == {"first_response": (1, 1, 0),
                                             "next_response": (0, 0, 0),
                                             "resolution": (1, 0, 1)}


def test_the_same_figures_as_csv(client: TestClient, container: Container,
                                 clock: FakeClock) -> None:
    ana, _, start = floor(client, container, clock)
    by_param = client.get(f"{API}/reports/sla", headers=ADMIN,
                          params={**period(start), "format": "csv"})
    by_accept = client.get(f"{API}/reports/sla", params=period(start),
                           headers={**ADMIN, "Accept": "text/csv"})
    assert by_param.status_code == by_accept.status_code == 200
    assert by_param.headers["content-type"].startswith("text/csv")
    assert "attachment" in by_param.headers["content-disposition"]
    assert by_param.text == by_accept.text
    rows = list(csv.reader(io.StringIO(by_param.text)))
    assert rows[0] == ["scope", "key", "name", "target", "clocks", "met", "breached",
                       "met_share", "breached_share", "median_seconds", "p90_seconds"]
    found = {(r[0], r[1], r[3]): r[4:] for r in rows[1:]}
    assert found["all", "", "first_response"] == ["4", "2", "2", "0.5", "0.5", "50", "400"]
    assert found["all", "", "resolution"] == ["2", "1", "1", "0.5", "0.5", "3000", "9000"]
    assert found["all", "", "within_60s"] == ["4", "2", "", "0.5", "", "", ""]
    assert found["queue", "sales", "within_30s"] == ["2", "1", "", "0.5", "", "", ""]
    assert found["agent", str(ana), "first_response"][:3] == ["2", "1", "1"]


def test_bad_requests_are_refused_and_agents_may_not_read_it(
    client: TestClient, container: Container, clock: FakeClock,
) -> None:
    _, _, start = floor(client, container, clock)
    for params in ({"thresholds": "30,abc"}, {"thresholds": "0"},
                   {"thresholds": ",".join(str(s) for s in range(1, 12))},
                   {"from": start.isoformat(), "to": (start - timedelta(hours=1)).isoformat()},
                   {"from": start.isoformat(), "to": (start + timedelta(days=400)).isoformat()},
                   {"queue": "nowhere"}, {"agent_id": 999}):
        r = client.get(f"{API}/reports/sla", headers=ADMIN, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["error"]["code"] in {"invalid_input", "validation_failed"}, r.text
    agent = make_agent(client, "Citra")
    r = client.get(f"{API}/reports/sla", headers=bearer(agent["token"]))
    assert r.status_code == 403


def test_a_supervisor_of_one_queue_sees_only_its_figures(
    client: TestClient, container: Container, clock: FakeClock,
) -> None:
    _, _, start = floor(client, container, clock)
    rina = make_user(client, "rina@example.com")
    assert client.patch(f"{API}/users/{rina['id']}", headers=ADMIN,
                        json={"queues": ["sales"]}).status_code == 200
    cookie, _ = sign_in(client, "rina@example.com")
    r = client.get(f"{API}/reports/sla", headers=cookie, params=period(start))
    assert r.status_code == 200, r.text
    groups = r.json()["groups"]
    assert [(g["scope"], g["key"]) for g in groups if g["scope"] != "agent"] == [
        ("all", ""), ("queue", "sales")]
    assert shares(groups[0])["first_response"] == (2, 2, 0)
    r = client.get(f"{API}/reports/sla", headers=cookie,
                   params={**period(start), "queue": "default"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "not_your_queue"


def test_a_ticket_completed_under_a_policy_is_in_the_report(
    client: TestClient, clock: FakeClock,
) -> None:
    r = client.post(f"{API}/sla-policies", headers=ADMIN, json={
        "name": "Resolve", "targets": {"resolution_seconds": 600}})
    assert r.status_code == 201, r.text
    agent = make_agent(client, "Dewi")
    online(client, agent)
    start = clock.now()
    in_time, late = post_ticket(client, "On time"), post_ticket(client, "Late")
    for ticket, minutes in ((in_time, 2), (late, 12)):
        assert client.post(f"{API}/tickets/{ticket['id']}/accept",
                           headers=bearer(agent["token"])).status_code == 200
        clock.advance(minutes * 60)
        assert client.post(f"{API}/tickets/{ticket['id']}/complete",
                           headers=bearer(agent["token"])).status_code == 200
    r = client.get(f"{API}/reports/sla", headers=ADMIN, params=period(start))
    every = r.json()["groups"][0]
    assert shares(every)["resolution"] == (2, 1, 1)
    # 2 minutes for the first; the second waited those 2 minutes, then 12 more
    assert every["resolution"]["median"] == 120
    assert every["resolution"]["p90"] == 840
    assert [g["name"] for g in r.json()["groups"] if g["scope"] == "agent"] == ["Dewi"]
