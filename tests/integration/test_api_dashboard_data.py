"""What the dashboards read that the rest of the API did not give: an assigned ticket's
acceptance deadline in the agent's queue, and the floor over time for the supervisor's chart.
Through the HTTP API on SQLite and PostgreSQL with a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_my_queue_gives_each_pending_ticket_its_acceptance_deadline(
    client: TestClient, clock: FakeClock
) -> None:
    agent = make_agent(client, "A", max_tickets=3)
    online(client, agent)
    untimed = post_ticket(client, "before the timer")
    r = client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 90}, headers=ADMIN)
    assert r.status_code == 200, r.text
    clock.advance(10)
    timed = post_ticket(client, "with the timer")
    client.post(f"{API}/tickets/{untimed['id']}/accept", headers=bearer(agent["token"]))

    mine = client.get(f"{API}/agent/my-queue", headers=bearer(agent["token"])).json()
    by_id = {t["id"]: t for t in mine["queue"]}
    assert by_id[untimed["id"]]["accept_deadline"] is None, "accepted: no timer runs"
    deadline = at(by_id[timed["id"]]["accept_deadline"])
    assert deadline == at(by_id[timed["id"]]["assigned_at"]) + timedelta(seconds=90)
    assert at(mine["server_time"]) == clock.now()

    client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 0}, headers=ADMIN)
    mine = client.get(f"{API}/agent/my-queue", headers=bearer(agent["token"])).json()
    assert all(t["accept_deadline"] is None for t in mine["queue"]), "timer off: no deadline"


def series(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get(f"{API}/stats/series", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_series_replays_queue_depth_and_waits_per_bucket(
    client: TestClient, clock: FakeClock
) -> None:
    agent = make_agent(client, "A", max_tickets=5)
    for i in range(3):  # nobody online: all three wait
        post_ticket(client, f"waiting {i}")
    clock.advance(20 * 60)
    online(client, agent)  # all three go, after 20 minutes in the queue
    clock.advance(20 * 60)
    post_ticket(client, "straight through")  # 4/5, assigned at once
    post_ticket(client, "the last slot")  # 5/5
    post_ticket(client, "no room")  # waits
    clock.advance(5 * 60 + 30)

    got = series(client, hours=1, bucket_minutes=15)
    now = clock.now()
    assert at(got["to"]) == now and at(got["from"]) == now - timedelta(hours=1)
    buckets = got["buckets"]
    # Buckets of the last hour, 15 minutes each; the first arrival is 30 s before the first
    # boundary, A came online in the third bucket, the last three arrived in the fourth.
    assert [at(b["end"]) - at(b["start"]) for b in buckets] == [timedelta(minutes=15)] * 4
    assert at(buckets[-1]["end"]) == now
    assert [b["queued"] for b in buckets] == [3, 3, 0, 1]
    assert [b["assigned"] for b in buckets] == [0, 0, 3, 2]
    assert [b["mean_wait_seconds"] for b in buckets] == [None, None, 20 * 60, 0]

    shorter = series(client, hours=1, bucket_minutes=25)["buckets"]
    assert [at(b["end"]) - at(b["start"]) for b in shorter] == [
        timedelta(minutes=25), timedelta(minutes=25), timedelta(minutes=10)]
    assert [b["queued"] for b in shorter] == [3, 0, 1]


def test_series_refuses_what_it_cannot_answer(client: TestClient) -> None:
    for bad in ({"hours": 0}, {"hours": 169}, {"bucket_minutes": 0}, {"queue": "nope"},
                {"hours": 168, "bucket_minutes": 1}):
        r = client.get(f"{API}/stats/series", params=bad, headers=ADMIN)
        assert r.status_code == 422, (bad, r.text)
    agent = make_agent(client, "A")
    r = client.get(f"{API}/stats/series", headers=bearer(agent["token"]))
    assert r.status_code == 403
