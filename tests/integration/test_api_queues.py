"""Queues (mailboxes) through the HTTP API, on SQLite and PostgreSQL: creating, listing,
changing and deactivating them, and agents' membership deciding who receives what."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def make_queue(client: TestClient, name: str, **policy: Any) -> dict[str, Any]:
    r = client.post(f"{API}/queues", json={"name": name, **policy}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_queues_are_created_listed_and_changed(client: TestClient) -> None:
    sales = make_queue(client, "wa-sales", strategy="least_loaded", accept_timeout_seconds=300,
                       auto_assign_percent=50)
    assert (sales["strategy"], sales["accept_timeout_seconds"], sales["auto_assign_percent"],
            sales["active"], sales["offline_policy"]) == ("least_loaded", 300, 50, True, "keep")
    names = [q["name"] for q in client.get(f"{API}/queues", headers=ADMIN).json()]
    assert names == ["default", "wa-sales"]
    r = client.patch(f"{API}/queues/wa-sales", json={"auto_assign_percent": 100}, headers=ADMIN)
    assert r.json()["auto_assign_percent"] == 100
    assert client.get(f"{API}/queues/wa-sales", headers=ADMIN).json() == r.json()


def test_bad_queue_requests_are_refused_and_change_nothing(client: TestClient) -> None:
    make_queue(client, "sales")
    again = client.post(f"{API}/queues", json={"name": "sales"}, headers=ADMIN)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    for bad in ({"name": "Sales Team"}, {"name": ""}, {"name": "x" * 101},
                {"name": "ok", "auto_assign_percent": 101}, {"name": "ok", "strategy": "fifo"},
                {"name": "ok", "colour": "red"}, {}):
        r = client.post(f"{API}/queues", json=bad, headers=ADMIN)
        assert r.status_code == 422, (bad, r.text)
    names = [q["name"] for q in client.get(f"{API}/queues", headers=ADMIN).json()]
    assert names == ["default", "sales"]


def test_tickets_name_a_real_active_queue(client: TestClient) -> None:
    make_queue(client, "old")
    unknown = client.post(f"{API}/tickets", json={"title": "t", "queue": "nope"}, headers=ADMIN)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "invalid_input")
    waiting = post_ticket(client, "before", queue="old")
    r = client.patch(f"{API}/queues/old", json={"active": False}, headers=ADMIN)
    assert r.json()["active"] is False
    closed = client.post(f"{API}/tickets", json={"title": "t", "queue": "old"}, headers=ADMIN)
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "queue_inactive")
    # Tickets it already had carry on.
    agent = make_agent(client, "a", queues=["old"])
    online(client, agent)
    got = client.get(f"{API}/tickets/{waiting['id']}", headers=ADMIN).json()
    assert got["assigned_agent_id"] == agent["id"]


def test_the_default_queue_cannot_be_switched_off(client: TestClient) -> None:
    r = client.patch(f"{API}/queues/default", json={"active": False}, headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "default_queue_required")
    assert client.get(f"{API}/queues/default", headers=ADMIN).json()["active"] is True
    # Its other settings change as before, and switching it "on" again is no error.
    r = client.patch(f"{API}/queues/default", json={"active": True, "strategy": "random"},
                     headers=ADMIN)
    assert r.status_code == 200 and r.json()["strategy"] == "random"
    assert post_ticket(client, "no queue named")["queue"] == "default"


def test_membership_decides_who_receives_a_queues_tickets(client: TestClient) -> None:
    make_queue(client, "sales")
    make_queue(client, "support")
    seller = make_agent(client, "seller", queues=["sales"])
    both = make_agent(client, "both", queues=["sales", "support"], max_tickets=1)
    assert seller["queues"] == ["sales"] and both["queues"] == ["sales", "support"]
    for a in (seller, both):
        online(client, a)
    support = post_ticket(client, "help", queue="support")
    assert support["assigned_agent_id"] == both["id"]
    waiting = post_ticket(client, "more help", queue="support")
    assert waiting["status"] == "queued", "the seller does not serve support"
    default = post_ticket(client, "nobody's")
    assert default["status"] == "queued"

    r = client.patch(f"{API}/agents/{seller['id']}", json={"queues": ["sales", "support"]},
                     headers=ADMIN)
    assert r.status_code == 200 and r.json()["queues"] == ["sales", "support"]
    got = client.get(f"{API}/tickets/{waiting['id']}", headers=ADMIN).json()
    assert got["assigned_agent_id"] == seller["id"], "joining a queue brings its waiting work"

    workload = {q["name"]: q for q in client.get(f"{API}/workload", headers=ADMIN).json()["queues"]}
    assert (workload["support"]["members"], workload["support"]["online_members"]) == (2, 2)
    assert (workload["default"]["members"], workload["default"]["pending"]) == (0, 1)


def test_agents_name_real_queues(client: TestClient) -> None:
    r = client.post(f"{API}/agents", json={"name": "a", "queues": ["ghost"]}, headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_input")
    agent = make_agent(client, "b")
    r = client.patch(f"{API}/agents/{agent['id']}", json={"queues": ["default", "ghost"]},
                     headers=ADMIN)
    assert r.status_code == 422
    me = client.get(f"{API}/agent/me", headers=bearer(agent["token"])).json()
    assert me["queues"] == ["default"], "a refused change was half applied"
    assert client.get(f"{API}/agents", headers=ADMIN).json()[0]["queues"] == ["default"]
