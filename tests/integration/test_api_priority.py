"""Priorities under a supervisor's hand, and the starvation guard, through the HTTP API on
SQLite and PostgreSQL with a fake clock."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.service.assignment.timers import tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def position(client: TestClient, ticket_id: int) -> Any:
    return client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN).json()["queue_position"]


def test_admins_change_a_priority_and_the_ticket_moves_in_line(client: TestClient) -> None:
    first = post_ticket(client, "first")
    low = post_ticket(client, "low", priority="low")
    assert position(client, low["id"]) == 2
    r = client.patch(f"{API}/tickets/{low['id']}", json={"priority": "urgent"}, headers=ADMIN)
    assert (r.status_code, r.json()["priority"]) == (200, "urgent")
    assert (position(client, low["id"]), position(client, first["id"])) == (1, 2)
    history = client.get(f"{API}/tickets/{low['id']}/history", headers=ADMIN).json()
    assert (history[-1]["event"], history[-1]["reason"], history[-1]["actor"]) == (
        "priority_urgent", "priority", "admin")
    for bad in ({"priority": "asap"}, {}, {"priority": "high", "title": "x"}):
        assert client.patch(f"{API}/tickets/{low['id']}", json=bad,
                            headers=ADMIN).status_code == 422
    agent = make_agent(client, "a")
    assert client.patch(f"{API}/tickets/{low['id']}", json={"priority": "low"},
                        headers=bearer(agent["token"])).status_code == 403


def test_move_to_front_puts_a_ticket_first_but_takes_nothing_from_anyone(
    client: TestClient,
) -> None:
    agent = make_agent(client, "a", max_tickets=1)
    online(client, agent)
    held = post_ticket(client, "already assigned")
    urgent = post_ticket(client, "urgent", priority="urgent")
    last = post_ticket(client, "last", priority="low")
    r = client.post(f"{API}/tickets/{last['id']}/front", headers=ADMIN)
    assert r.status_code == 200
    assert (r.json()["priority"], r.json()["effective_priority"]) == ("low", "urgent"), (
        "the move serves it as urgent; the priority asked for stays")
    assert (position(client, last["id"]), position(client, urgent["id"])) == (1, 2)
    assert client.get(f"{API}/tickets/{held['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == agent["id"], "moving to the front took a ticket away"
    client.post(f"{API}/tickets/{held['id']}/accept", headers=bearer(agent["token"]))
    client.post(f"{API}/tickets/{held['id']}/complete", headers=ADMIN)
    assert client.get(f"{API}/tickets/{last['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == agent["id"]
    again = client.post(f"{API}/tickets/{last['id']}/front", headers=ADMIN)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")
    newest = post_ticket(client, "another")
    assert client.post(f"{API}/tickets/{newest['id']}/front", headers=ADMIN).status_code == 200
    assert (position(client, newest["id"]), position(client, urgent["id"])) == (1, 2)


@pytest.mark.parametrize("aging", [60, 0])
def test_a_stream_of_urgent_tickets_does_not_starve_a_low_one(
    client: TestClient, container: Container, clock: FakeClock, aging: int
) -> None:
    """One agent, one slot; an urgent ticket arrives every 10 s and the agent finishes one
    every 10 s. With aging every 60 s the low ticket climbs a level per minute and, once
    urgent, is ahead of every urgent ticket that arrived after it: the documented bound is
    3 x (aging + tick interval) + one service time. Without aging it would wait forever."""
    client.patch(f"{API}/settings", json={"presence_grace_seconds": 0}, headers=ADMIN)
    client.patch(f"{API}/queues/default", json={"priority_aging_seconds": aging},
                 headers=ADMIN)
    agent = make_agent(client, "a", max_tickets=1)
    online(client, agent)
    current = post_ticket(client, "urgent 0", priority="urgent")["id"]
    low = post_ticket(client, "low", priority="low")["id"]
    step, served_at = 10, None
    for n in range(1, 61):  # ten minutes
        clock.advance(step)
        post_ticket(client, f"urgent {n}", priority="urgent")
        tick(container.ctx)
        client.post(f"{API}/tickets/{current}/accept", headers=bearer(agent["token"]))
        r = client.post(f"{API}/tickets/{current}/complete", headers=ADMIN)
        assert r.status_code == 200
        mine = client.get(f"{API}/agent/my-queue", headers=bearer(agent["token"])).json()
        current = mine["queue"][0]["id"]
        if current == low:
            served_at = n * step
            break
    if aging:
        assert served_at is not None and served_at <= 3 * (aging + step) + step, served_at
    else:
        assert served_at is None, "without aging the low ticket should still be waiting"
    seen = client.get(f"{API}/tickets/{low}", headers=ADMIN).json()
    assert seen["priority"] == "low", "aging never overwrites the priority asked for"
    assert seen["effective_priority"] == ("urgent" if aging else "low")


def test_aging_raises_the_priority_served_at_and_keeps_the_one_asked_for(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    """Each step is in the history with what was asked; the list shows both; filtering by
    priority finds the ticket under the priority asked for; a supervisor's change sets both."""
    client.patch(f"{API}/queues/default", json={"priority_aging_seconds": 60}, headers=ADMIN)
    low = post_ticket(client, "low", priority="low")["id"]
    for _ in range(2):
        clock.advance(61)
        tick(container.ctx)
    normal = post_ticket(client, "normal")["id"]
    seen = client.get(f"{API}/tickets/{low}", headers=ADMIN).json()
    assert (seen["priority"], seen["effective_priority"]) == ("low", "high")
    assert position(client, low) == 1, "served as high: ahead of the normal one"
    steps = [e for e in client.get(f"{API}/tickets/{low}/history", headers=ADMIN).json()
             if e["reason"] == "aging"]
    assert [e["event"] for e in steps] == ["priority_normal", "priority_high"]
    assert steps[-1]["detail"] == {"asked": "low", "served_at": "high"}
    listed = client.get(f"{API}/tickets", params={"priority": "low"}, headers=ADMIN).json()
    assert [(t["id"], t["priority"], t["effective_priority"]) for t in listed["items"]] == [
        (low, "low", "high")]
    r = client.patch(f"{API}/tickets/{low}", json={"priority": "low"}, headers=ADMIN)
    assert (r.json()["priority"], r.json()["effective_priority"]) == ("low", "low")
    assert position(client, normal) == 1, "a supervisor's change is the new start"
