"""What if, through the API, with opening hours and a first-response target: the desk's own
week replayed with the hours it keeps and with an earlier opening, and with another target."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.domain.hours import Schedule, parse_weekly
from giliran.entrypoints.api.root import root_of
from tests.integration.test_api_seed import ADMIN
from tests.integration.test_api_simulations import busy_days

API = "/api/v1"


def _monday(opens: str) -> dict[str, Any]:
    return {"timezone": "UTC", "hours": {"mon": [[opens, "18:00"]]}}


def _keeps_noon_to_six(client: TestClient) -> None:
    """The default queue keeps a schedule: Mondays 12:00-18:00 UTC."""
    with root_of(client.app).ctx.uow(write=True) as uow:
        uow.schedules.add(Schedule("afternoons", "UTC",
                                   weekly=parse_weekly(_monday("12:00")["hours"])))
        uow.commit()
    r = client.patch(f"{API}/queues/default", headers=ADMIN, json={"schedule": "afternoons"})
    assert r.status_code == 200, r.text


def test_opening_earlier_shortens_the_replayed_mornings_wait(
    client: TestClient, clock: FakeClock,
) -> None:
    busy_days(client, clock)  # Monday from 10:15 UTC, a ticket every 25 minutes or so
    _keeps_noon_to_six(client)  # as it is: the queue's own schedule
    r = client.post(f"{API}/simulations", headers=ADMIN, json={
        "days": 7, "replications": 2,
        "sla": {"first_response_seconds": 600, "business_hours": False},
        "change": {"queue": "default", "hours": _monday("10:00")}})
    assert r.status_code == 200, r.text
    report = r.json()["report"]
    late, early = (p["figures"] for p in report["policies"])
    assert [p["name"] for p in report["policies"]] == ["as it is",
                                                        "default: hours 10:00-18:00"]
    assert late["tickets"]["mean"] == early["tickets"]["mean"] == 12
    # Five tickets came before noon: opening at noon they wait for it, at ten they do not.
    assert early["wait_mean"]["mean"] < late["wait_mean"]["mean"] - 1000
    assert late["sla_breached"]["mean"] >= 5 / 12
    assert early["sla_met"]["mean"] > late["sla_met"]["mean"]
    assert report["sla"] == [{"first_response_seconds": 600.0, "business_hours": False}] * 2


@pytest.mark.parametrize("backend", ["sqlite"])  # the replay itself is tested on both above
def test_a_tighter_first_response_target_changes_the_verdict_not_the_desk(
    client: TestClient, clock: FakeClock,
) -> None:
    busy_days(client, clock)
    r = client.post(f"{API}/simulations", headers=ADMIN, json={
        "days": 7, "replications": 1, "sla": {"first_response_seconds": 300},
        "change": {"first_response_seconds": 1}})
    assert r.status_code == 200, r.text
    now, tight = (p["figures"] for p in r.json()["report"]["policies"])
    assert now["wait_mean"] == tight["wait_mean"]  # the same desk, measured twice
    assert now["sla_met"]["mean"] == 1.0
    assert tight["sla_met"]["mean"] < 1.0


REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"change": {"queue": "nope", "hours": _monday("08:00")}}, "invalid_input",
     "no queue named"),
    ({"change": {"hours": _monday("08:00")}}, "invalid_request", "need queue and hours"),
    ({"change": {"queue": "default", "hours": {"timezone": "Mars/Olympus"}}},
     "invalid_request", "unknown timezone"),
    ({"change": {"max_tickets": 2}, "hours": {"nope": _monday("08:00")}}, "invalid_input",
     "no queue named"),
    ({"change": {"max_tickets": 2, "first_response_seconds": 60}}, "invalid_request",
     "change either"),
]


def test_wrong_hours_and_targets_are_refused_clearly(
    client: TestClient, clock: FakeClock,
) -> None:
    busy_days(client, clock)
    for body, code, says in REFUSED:
        r = client.post(f"{API}/simulations", headers=ADMIN, json={"days": 7, **body})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code
        assert says in r.text, (body, r.text)
