"""Prometheus metrics through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from tests.integration.test_api_seed import make_agent, online, post_ticket


def sample(text: str, name: str, labels: str = "", default: float | None = None) -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    if match is None and default is not None:
        return default
    assert match, f"{name}{labels} not in /metrics"
    return float(match.group(1))


def waits_between_15_and_60_s(text: str) -> float:
    bucket = "giliran_queue_wait_seconds_bucket"
    return (sample(text, bucket, '{le="60.0"}', 0.0) - sample(text, bucket, '{le="15.0"}', 0.0))


def test_metrics_show_the_floor_and_count_what_happened(
    client: TestClient, clock: FakeClock
) -> None:
    # Event counters live in the process (other tests count too): compare before and after.
    before = client.get("/metrics").text
    assigned_before = sample(before, "giliran_assignments_total", '{reason="auto"}', 0.0)
    post_ticket(client, "waits")
    clock.advance(30)
    agent = make_agent(client, "a", max_tickets=1)
    online(client, agent)  # the waiting ticket is assigned after 30 s
    post_ticket(client, "queued", priority="high")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert sample(text, "giliran_queue_depth", '{queue="default"}') == 1
    assert sample(text, "giliran_agents", '{presence="online"}') == 1
    assert sample(text, "giliran_utilization") == 1.0
    assert sample(text, "giliran_assignments_total", '{reason="auto"}') == assigned_before + 1
    assert waits_between_15_and_60_s(text) == waits_between_15_and_60_s(before) + 1, (
        "the 30 s wait was not seen")
    assert "giliran_assignment_latency_seconds_count" in text
    assert "gla_" not in text and "test-admin-token" not in text
