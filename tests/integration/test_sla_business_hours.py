"""An SLA policy in business hours against a queue with opening hours, on SQLite and PostgreSQL:
the due time is counted in open hours across a night, the clock stands still while the queue is
closed (no warning at night), it pauses on hold and resumes with the due time pushed by exactly
the open time it was held, and a schedule edited (or another one chosen) while the clock runs
keeps what was used and counts the rest under the new hours (docs/sla.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.domain import hours
from giliran.service.assignment.timers import tick
from giliran.service.sla import clocks
from tests.integration.test_api_seed import ADMIN, make_agent, online, post_ticket

API = "/api/v1"
JAKARTA = timedelta(hours=7)
WEEK = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """January `day` 2026 (the 5th is a Monday) at hour:minute in Jakarta, as UTC."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC) - JAKARTA


@pytest.fixture
def office(client: TestClient, container: Container) -> None:
    with container.ctx.uow(write=True) as uow:
        uow.schedules.add(hours.Schedule("office", "Asia/Jakarta", hours.parse_weekly(WEEK)))
        uow.commit()
    r = client.patch(f"{API}/queues/default", json={"schedule": "office"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/sla-policies", headers=ADMIN, json={
        "name": "Office", "business_hours": True, "warn_percent": 75,
        "targets": {"first_response_seconds": 3600, "resolution_seconds": 7200}})
    assert r.status_code == 201, r.text


def marks(client: TestClient, ticket_id: int) -> dict[str, dict[str, Any]]:
    found = client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN).json()["sla"]["targets"]
    return {m["target"]: {**m, "due_at": m["due_at"] and datetime.fromisoformat(m["due_at"]),
                          "warn_at": m["warn_at"] and datetime.fromisoformat(m["warn_at"])}
            for m in found}


def test_the_clock_counts_open_hours_across_the_night_and_never_warns_while_closed(
    client: TestClient, container: Container, clock: FakeClock, office: None,
) -> None:
    clock.set(wib(5, 16, 30))  # Monday, half an hour before closing
    ticket = post_ticket(client, "Invoice")
    first = marks(client, ticket["id"])["first_response"]
    # 30 minutes on Monday, the other 30 from Tuesday's opening.
    assert (first["due_at"], first["warn_at"]) == (wib(6, 8, 30), wib(6, 8, 15))
    assert marks(client, ticket["id"])["resolution"]["due_at"] == wib(6, 9, 30)
    for at in (wib(5, 17, 1), wib(5, 23), wib(6, 7, 59), wib(6, 8, 14)):
        clock.set(at)  # closed all night: 45 minutes of the hour have passed by the calendar
        assert (tick(container.ctx).sla_warnings, tick(container.ctx).sla_breaches) == (0, 0)
        assert marks(client, ticket["id"])["first_response"]["state"] == "active"
    clock.set(wib(6, 8, 16))
    assert tick(container.ctx).sla_warnings == 1
    assert tick(container.ctx).sla_warnings == 0, "once"
    clock.set(wib(6, 8, 31))
    assert tick(container.ctx).sla_breaches == 1
    assert marks(client, ticket["id"])["first_response"]["state"] == "breached"


def test_a_hold_stops_the_clock_and_the_due_time_moves_by_the_open_time_held(
    client: TestClient, container: Container, clock: FakeClock, office: None,
) -> None:
    clock.set(wib(6, 9))  # Tuesday morning
    agent = make_agent(client, "Sari")
    online(client, agent)
    ticket = post_ticket(client, "Refund")
    assert ticket["assigned_agent_id"] == agent["id"]
    mine = {"Authorization": f"Bearer {agent['token']}"}
    clock.set(wib(6, 9, 20))
    r = client.post(f"{API}/tickets/{ticket['id']}/hold", headers=mine)
    assert r.status_code == 200, r.text
    held = marks(client, ticket["id"])
    assert held["first_response"]["due_at"] is None, "paused: no due time"
    clock.set(wib(6, 10, 30))  # past the old due time (10:00): a paused clock never breaches
    assert tick(container.ctx).sla_breaches == 0
    r = client.delete(f"{API}/tickets/{ticket['id']}/hold", headers=mine)
    assert r.status_code == 200, r.text
    back = marks(client, ticket["id"])
    # 20 minutes used before the hold: 40 left from 10:30, 100 for resolution.
    assert back["first_response"]["due_at"] == wib(6, 11, 10)
    assert back["resolution"]["due_at"] == wib(6, 12, 10)
    assert back["first_response"]["state"] == "active"


def test_hours_changed_while_the_clock_runs_keep_what_was_used(
    client: TestClient, container: Container, clock: FakeClock, office: None,
) -> None:
    clock.set(wib(6, 9))
    ticket = post_ticket(client, "Delivery")
    assert marks(client, ticket["id"])["first_response"]["due_at"] == wib(6, 10)
    # At 09:30 Tuesday's hours become 08:00-09:40 and 13:00-17:00: 30 minutes were used, the
    # other 30 are 10 before 09:40 and 20 after 13:00.
    clock.set(wib(6, 9, 30))
    split = {**WEEK, "tue": [["08:00", "09:40"], ["13:00", "17:00"]]}
    with container.ctx.uow(write=True) as uow:  # what changing a schedule does (sched)
        before = uow.schedules.get("office")
        assert before is not None
        uow.schedules.save(replace(before, weekly=hours.parse_weekly(split)))
        assert clocks.schedule_edited(uow, before, clock.now()) == 1
        uow.commit()
    now = marks(client, ticket["id"])
    assert now["first_response"]["due_at"] == wib(6, 13, 20)
    assert now["resolution"]["due_at"] == wib(6, 14, 20)  # 90 left: 10, then 80
    # Another schedule chosen for the queue, later: the same rule.
    clock.set(wib(6, 12))  # 10 more minutes used (09:30-09:40), closed since: 20 left
    with container.ctx.uow(write=True) as uow:
        uow.schedules.add(hours.Schedule("late", "Asia/Jakarta",
                                         hours.parse_weekly({"tue": [["14:00", "22:00"]]})))
        uow.commit()
    r = client.patch(f"{API}/queues/default", json={"schedule": "late"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert marks(client, ticket["id"])["first_response"]["due_at"] == wib(6, 14, 20)
