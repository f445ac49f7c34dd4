"""An agent's own queue through the HTTP API on SQLite and PostgreSQL: the most urgent first,
and nothing completed before it is accepted."""

from __future__ import annotations

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def test_my_queue_is_in_priority_order_then_oldest_first(
    client: TestClient, clock: FakeClock,
) -> None:
    agent = make_agent(client, "Sari", max_tickets=4)
    online(client, agent)
    titles = []
    for title, priority in (("low", "low"), ("normal 1", "normal"), ("urgent", "urgent"),
                            ("normal 2", "normal")):
        post_ticket(client, title, priority=priority)
        clock.advance(5)
        titles.append(title)
    mine = client.get(f"{API}/agent/my-queue", headers=bearer(agent["token"])).json()
    assert [(t["title"], t["position"]) for t in mine["queue"]] == [
        ("urgent", 1), ("normal 1", 2), ("normal 2", 3), ("low", 4)]


def test_complete_before_accept_is_refused_with_not_accepted(client: TestClient) -> None:
    agent = make_agent(client, "Sari")
    online(client, agent)
    ticket = post_ticket(client, "Cannot log in")
    me = bearer(agent["token"])
    for who in (me, ADMIN):
        r = client.post(f"{API}/tickets/{ticket['id']}/complete", headers=who)
        assert (r.status_code, r.json()["error"]["code"]) == (409, "not_accepted")
    assert client.post(f"{API}/tickets/{ticket['id']}/accept", headers=me).status_code == 200
    r = client.post(f"{API}/tickets/{ticket['id']}/complete", headers=me)
    assert (r.status_code, r.json()["status"]) == (200, "completed")
    documented = client.get(f"{API}/openapi.json").json()["paths"][
        "/api/v1/tickets/{ticket_id}/complete"]["post"]["responses"]["409"]["description"]
    assert "not_accepted" in documented
