"""The seed scenarios from the issue, through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from tests.support.server import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_agent(client: TestClient, name: str, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/agents", json={"name": name, **fields}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


def online(client: TestClient, agent: dict[str, Any]) -> None:
    assert client.post("/api/v1/agent/go-online", headers=bearer(agent["token"])).status_code == 200


def post_ticket(client: TestClient, title: str, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/tickets", json={"title": title, **fields}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_leads_rotate_a_to_e_and_the_sixth_waits_for_a_free_slot(
    client: TestClient, clock: FakeClock
) -> None:
    agents = [make_agent(client, n, max_tickets=1, rotation_order=i)
              for i, n in enumerate("ABCDE", start=1)]
    for a in agents:
        online(client, a)

    got = []
    for minute in range(5):
        clock.set(clock.now().replace(hour=10, minute=minute))
        got.append(post_ticket(client, f"lead {minute}")["assigned_agent_id"])
    assert got == [a["id"] for a in agents]  # 10:00 -> A, 10:01 -> B, 10:02 -> C, ...

    sixth = post_ticket(client, "lead 6")
    assert sixth["status"] == "queued"
    assert sixth["queue_position"] == 1
    assert sixth["assigned_agent_id"] is None

    first_c_ticket = client.get("/api/v1/agent/my-queue", headers=bearer(agents[2]["token"]))
    c_ticket = first_c_ticket.json()["queue"][0]["id"]
    client.post(f"/api/v1/tickets/{c_ticket}/accept", headers=bearer(agents[2]["token"]))
    r = client.post(f"/api/v1/tickets/{c_ticket}/complete", headers=bearer(agents[2]["token"]))
    assert r.status_code == 200 and r.json()["status"] == "completed"

    sixth_now = client.get(f"/api/v1/tickets/{sixth['id']}", headers=ADMIN).json()
    assert sixth_now["status"] == "assigned"
    assert sixth_now["assigned_agent_id"] == agents[2]["id"]
    history = client.get(f"/api/v1/tickets/{sixth['id']}/history", headers=ADMIN).json()
    assert [(h["event"], h["reason"]) for h in history] == [
        ("created", "created"), ("assigned", "refill")]


def test_next_ticket_goes_to_the_online_agent_with_room(client: TestClient) -> None:
    one, two, three = (make_agent(client, n, max_tickets=5) for n in ("one", "two", "three"))
    online(client, one)
    for i in range(3):
        assert post_ticket(client, f"warm {i}")["assigned_agent_id"] == one["id"]
    client.post("/api/v1/agent/go-offline", headers=bearer(one["token"]))
    online(client, two)
    for i in range(5):
        assert post_ticket(client, f"fill {i}")["assigned_agent_id"] == two["id"]
    online(client, one)

    workload = client.get("/api/v1/workload", headers=ADMIN).json()
    loads = {a["id"]: (a["online"], a["active_tickets"]) for a in workload["agents"]}
    assert loads == {one["id"]: (True, 3), two["id"]: (True, 5), three["id"]: (False, 0)}
    assert workload["queue"] == {"pending": 0, "online_agents": 2, "total_agents": 3,
                                 "free_slots": 2, "unreachable": 0}

    assert post_ticket(client, "next")["assigned_agent_id"] == one["id"]


def test_tickets_wait_in_priority_then_fifo_order_until_an_agent_comes_online(
    client: TestClient, clock: FakeClock
) -> None:
    order = [("n1", "normal"), ("l1", "low"), ("u1", "urgent"), ("h1", "high"),
             ("n2", "normal"), ("u2", "urgent")]
    ids = {}
    for title, priority in order:
        clock.advance(60)
        t = post_ticket(client, title, priority=priority)
        assert t["status"] == "queued"
        ids[title] = t["id"]
    queued = client.get("/api/v1/tickets", params={"status": "queued"}, headers=ADMIN).json()
    expected = ["u1", "u2", "h1", "n1", "n2", "l1"]
    assert [t["title"] for t in queued["items"]] == expected
    assert client.get(f"/api/v1/tickets/{ids['l1']}", headers=ADMIN).json()["queue_position"] == 6

    agent = make_agent(client, "solo", max_tickets=4)
    online(client, agent)
    mine = client.get("/api/v1/agent/my-queue", headers=bearer(agent["token"])).json()
    assert [t["title"] for t in mine["queue"]] == expected[:4]
    assert [t["position"] for t in mine["queue"]] == [1, 2, 3, 4]
    assert (mine["count"], mine["max"]) == (4, 4)
    left = client.get("/api/v1/tickets", params={"status": "queued"}, headers=ADMIN).json()
    assert [t["title"] for t in left["items"]] == expected[4:]
