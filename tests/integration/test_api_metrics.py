"""Prometheus metrics through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from tests.integration.test_api_seed import make_agent, online, post_ticket
from tests.support.server import ADMIN_TOKEN


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


def metrics_app(database_url: str, clock: FakeClock, **settings: object) -> Container:
    return bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN,
                              scheduler=False, outbox=False, **settings), clock=clock)


def test_scrapes_are_served_from_gauges_cached_per_process(
    database_url: str, clock: FakeClock
) -> None:
    container = metrics_app(database_url, clock, metrics_cache_seconds=300)
    try:
        with TestClient(create_app(container)) as client:
            first = client.get("/metrics").text
            post_ticket(client, "waits")
            again = client.get("/metrics").text  # within the 300 s: the same figures
    finally:
        container.close()
    assert sample(first, "giliran_queue_depth", '{queue="default"}', 0.0) == 0
    assert sample(again, "giliran_queue_depth", '{queue="default"}', 0.0) == 0


def test_metrics_behind_their_own_token(database_url: str, clock: FakeClock) -> None:
    container = metrics_app(database_url, clock, metrics_token="scrape-token-0123456789")
    try:
        with TestClient(create_app(container)) as client:
            assert client.get("/metrics").status_code == 401
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "unauthorized")
            assert "scrape-token" not in wrong.text
            # The admin token is not the metrics token.
            assert client.get("/metrics", headers={
                "Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 401
            ok = client.get("/metrics",
                            headers={"Authorization": "Bearer scrape-token-0123456789"})
            assert ok.status_code == 200 and "giliran_queue_depth" in ok.text
    finally:
        container.close()


def test_metrics_count_api_requests_by_route(client: TestClient) -> None:
    """What the pages cost the server is read from its own counters."""
    def count(route: str) -> float:
        text = client.get("/metrics").text
        line = f'giliran_http_requests_total{{method="GET",route="{route}"}} '
        found = [float(x.removeprefix(line)) for x in text.splitlines() if x.startswith(line)]
        return found[0] if found else 0.0

    before = count("/tickets/{ticket_id}")
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for _ in range(3):
        client.get("/api/v1/tickets/999", headers=admin)  # refused ones count too
    assert count("/tickets/{ticket_id}") == before + 3
