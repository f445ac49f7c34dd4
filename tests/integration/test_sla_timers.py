"""The SLA clocks in the timer pass on SQLite and PostgreSQL: a warning and a breach happen
once each, as events; a second replica (another container on the same database) ticking at
the same moments finds them done; a restarted container shows the same due times and emits
nothing again; a breach action takes the ticket back from its holder for the next agent."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from giliran.service.assignment.timers import tick
from tests.integration.test_api_seed import ADMIN, ADMIN_TOKEN, make_agent, online, post_ticket

API = "/api/v1"


def replica(database_url: str, clock: FakeClock) -> Container:
    return bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN, random_seed=7,
                              scheduler=False, outbox=False), clock=clock)


def sla_events(container: Container) -> list[tuple[str, int, str]]:
    """As stored: what every socket and webhook is sent."""
    with container.ctx.uow(write=False) as uow:
        found = uow.events.after(0, 10_000)
    return [(e.type.value, e.payload["ticket"]["id"], e.payload["target"]) for e in found
            if e.type.value.startswith("sla.")]


def states(client: TestClient, ticket_id: int) -> dict[str, Any]:
    ticket = client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN).json()
    return {t["target"]: (t["state"], t["due_at"]) for t in ticket["sla"]["targets"]}


def test_warnings_and_breaches_happen_once_across_replicas_and_restarts(
    client: TestClient, container: Container, clock: FakeClock, database_url: str,
) -> None:
    r = client.post(f"{API}/sla-policies", headers=ADMIN, json={
        "name": "Fast", "targets": {"first_response_seconds": 100, "resolution_seconds": 1000},
        "warn_percent": 50})
    assert r.status_code == 201, r.text
    ticket = post_ticket(client, "Help")
    second = replica(database_url, clock)
    try:
        clock.advance(60)  # past the first response's warning (50 s)
        passes = [threading.Thread(target=tick, args=(c.ctx,)) for c in (container, second)]
        for p in passes:
            p.start()
        for p in passes:
            p.join()
        assert sla_events(container) == [("sla.warning", ticket["id"], "first_response")]
        assert states(client, ticket["id"])["first_response"][0] == "warning"
        clock.advance(50)  # past due
        reports = [tick(second.ctx), tick(container.ctx)]
        assert [(r.sla_warnings, r.sla_breaches) for r in reports] == [(0, 1), (0, 0)]
        before = states(client, ticket["id"])
        assert before["first_response"][0] == "breached"
    finally:
        second.close()
    # A restart: a new container on the same database shows the same and emits nothing new.
    third = replica(database_url, clock)
    try:
        assert tick(third.ctx).moves == 0
        with TestClient(create_app(third)) as again:
            assert states(again, ticket["id"]) == before
        assert [t for t, _, _ in sla_events(container)] == ["sla.warning", "sla.breached"]
    finally:
        third.close()


def test_a_breach_reassigns_to_the_next_agent(client: TestClient, container: Container,
                                              clock: FakeClock) -> None:
    r = client.post(f"{API}/sla-policies", headers=ADMIN, json={
        "name": "Answer", "targets": {"first_response_seconds": 100},
        "breach_actions": [{"action": "reassign"}, {"action": "raise_priority"}]})
    assert r.status_code == 201, r.text
    a, b = make_agent(client, "Ayu", rotation_order=1), make_agent(client, "Budi",
                                                                   rotation_order=2)
    online(client, a)
    ticket = post_ticket(client, "Where is my order")
    assert ticket["assigned_agent_id"] == a["id"]
    online(client, b)
    r = client.post(f"{API}/tickets/{ticket['id']}/accept",
                    headers={"Authorization": f"Bearer {a['token']}"})
    assert r.status_code == 200, r.text
    clock.advance(101)  # within the presence grace: both stay online
    report = tick(container.ctx)
    assert report.sla_breaches == 1
    now = client.get(f"{API}/tickets/{ticket['id']}", headers=ADMIN).json()
    assert now["assigned_agent_id"] == b["id"]
    assert now["effective_priority"] == "high"
    assert now["sla"]["targets"][0]["state"] == "breached"
    history = client.get(f"{API}/tickets/{ticket['id']}/history", headers=ADMIN).json()
    history = history["items"] if isinstance(history, dict) else history
    taken = [e for e in history if e["reason"] == "sla_breach"]
    assert [e["event"] for e in taken] == ["unassigned", "priority_high"], history
    assert "first_response breached (Answer)" in taken[0]["note"]
