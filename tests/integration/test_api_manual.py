"""The migration path and the supervisor's hand, through the HTTP API on SQLite and
PostgreSQL: manual pick-up, per-queue rollout, reassign (with and without force), unassign."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.test_api_queues import make_queue
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def call(client: TestClient, path: str, who: dict[str, Any] | None = None,
         **body: Any) -> Any:
    headers = bearer(who["token"]) if who else ADMIN
    return client.post(f"{API}{path}", json=body or None, headers=headers)


def test_rollout_sends_a_stable_share_to_automation_and_the_rest_waits_for_pickup(
    client: TestClient,
) -> None:
    make_queue(client, "leads", auto_assign_percent=30)
    robot = make_agent(client, "auto", max_tickets=1000, queues=["leads"])
    online(client, robot)
    automatic: list[str] = []
    manual: list[int] = []
    for i in range(400):
        t = post_ticket(client, f"lead {i}", queue="leads", external_id=f"lead-{i}")
        assert t["auto_dispatch"] == (t["status"] == "assigned"), t
        (automatic.append(t["external_id"]) if t["auto_dispatch"] else manual.append(t["id"]))
    assert 100 <= len(automatic) <= 140, len(automatic)  # 30 % of 400, give or take
    # The same leads go the same way every run: the choice is a hash of the external id.
    assert automatic[:8] == EXPECTED_FIRST_AUTOMATIC, automatic[:8]

    hand = make_agent(client, "by hand", max_tickets=1000, queues=["leads"])
    listed = client.get(f"{API}/agent/available", headers=bearer(hand["token"]),
                        params={"limit": 5}).json()
    assert listed["total"] == len(manual) and [t["id"] for t in listed["items"]] == manual[:5]
    for ticket_id in manual:
        r = call(client, f"/tickets/{ticket_id}/pickup", hand)
        assert r.status_code == 200 and r.json()["assigned_agent_id"] == hand["id"], r.text
    queued = client.get(f"{API}/tickets", params={"status": "queued"}, headers=ADMIN).json()
    assert queued["total"] == 0
    history = client.get(f"{API}/tickets/{manual[0]}/history", headers=ADMIN).json()
    assert [(h["event"], h["reason"], h["actor"]) for h in history][-1] == (
        "assigned", "pickup", f"agent:{hand['id']}")


# Pinned: a release that changed which leads go where would break a desk's rollout.
EXPECTED_FIRST_AUTOMATIC = ["lead-5", "lead-7", "lead-9", "lead-10", "lead-12", "lead-22",
                            "lead-25", "lead-28"]


def test_zero_percent_is_the_old_manual_desk_and_opted_out_agents_only_pick_up(
    client: TestClient,
) -> None:
    make_queue(client, "desk", auto_assign_percent=0)
    agent = make_agent(client, "a", queues=["desk", "default"], auto_assign=False)
    online(client, agent)
    waiting = post_ticket(client, "manual", queue="desk")
    assert (waiting["status"], waiting["auto_dispatch"]) == ("queued", False)
    default = post_ticket(client, "normally automatic")
    assert default["status"] == "queued", "an opted-out agent received work automatically"
    r = call(client, f"/tickets/{waiting['id']}/pickup", agent)
    assert r.status_code == 200 and r.json()["status"] == "assigned"


def test_pickup_stays_within_the_agents_queues_and_capacity(client: TestClient) -> None:
    make_queue(client, "sales")
    agent = make_agent(client, "a", max_tickets=1, queues=["default"])
    other_queue = post_ticket(client, "sales lead", queue="sales")
    r = call(client, f"/tickets/{other_queue['id']}/pickup", agent)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_queue")
    seen = client.get(f"{API}/tickets/{other_queue['id']}", headers=bearer(agent["token"]))
    assert seen.status_code == 403, "an agent read a ticket outside its queues"
    first, second = post_ticket(client, "one"), post_ticket(client, "two")
    assert client.get(f"{API}/tickets/{first['id']}",
                      headers=bearer(agent["token"])).status_code == 200
    assert call(client, f"/tickets/{first['id']}/pickup", agent).status_code == 200
    full = call(client, f"/tickets/{second['id']}/pickup", agent)
    assert (full.status_code, full.json()["error"]["code"]) == (409, "capacity_exceeded")
    again = call(client, f"/tickets/{first['id']}/pickup", agent)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")
    assert call(client, f"/tickets/{second['id']}/pickup").status_code == 403  # admin token


def test_reassign_respects_capacity_and_queues_unless_forced(client: TestClient) -> None:
    make_queue(client, "vip")
    a = make_agent(client, "A", max_tickets=1)
    b = make_agent(client, "B", max_tickets=1)
    outsider = make_agent(client, "C", queues=["vip"])
    online(client, a)
    online(client, b)
    t1, t2 = post_ticket(client, "one"), post_ticket(client, "two")
    assert (t1["assigned_agent_id"], t2["assigned_agent_id"]) == (a["id"], b["id"])

    full = call(client, f"/tickets/{t1['id']}/reassign", agent_id=b["id"])
    assert (full.status_code, full.json()["error"]["code"]) == (409, "capacity_exceeded")
    foreign = call(client, f"/tickets/{t1['id']}/reassign", agent_id=outsider["id"])
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (409, "not_a_member")
    assert client.get(f"{API}/tickets/{t1['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == a["id"], "a refused reassign moved the ticket"

    forced = call(client, f"/tickets/{t1['id']}/reassign", agent_id=b["id"], force=True)
    assert forced.status_code == 200
    assert (forced.json()["assigned_agent_id"], forced.json()["status"]) == (b["id"], "assigned")
    b_now = client.get(f"{API}/agents/{b['id']}", headers=ADMIN).json()
    assert (b_now["active_tickets"], b_now["max_tickets"]) == (2, 1), "force exceeds capacity"
    last = client.get(f"{API}/tickets/{t1['id']}/history", headers=ADMIN).json()[-2:]
    assert [(h["event"], h["reason"], h["from_agent_id"], h["to_agent_id"]) for h in last] == [
        ("unassigned", "reassigned", a["id"], None), ("assigned", "forced", None, b["id"])]
    missing = call(client, f"/tickets/{t1['id']}/reassign", agent_id=999)
    assert missing.status_code == 404
    bad = client.post(f"{API}/tickets/{t1['id']}/reassign", json={"agent": 1}, headers=ADMIN)
    assert bad.status_code == 422


def test_unassign_sends_the_ticket_back_but_not_to_the_same_agent(client: TestClient) -> None:
    a = make_agent(client, "A", max_tickets=2)
    online(client, a)
    first = post_ticket(client, "first")
    later = post_ticket(client, "later")
    r = call(client, f"/tickets/{first['id']}/unassign")
    assert (r.status_code, r.json()["status"], r.json()["queue_position"] is None) == (
        200, "queued", True)
    got = client.get(f"{API}/tickets/{first['id']}", headers=ADMIN).json()
    assert (got["status"], got["queue_position"]) == ("queued", 1)
    b = make_agent(client, "B")
    online(client, b)
    assert client.get(f"{API}/tickets/{first['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == b["id"]
    assert client.get(f"{API}/tickets/{later['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == a["id"]
    # From B too: now neither A nor B is offered it automatically; it waits for a person.
    again = call(client, f"/tickets/{first['id']}/unassign")
    assert (again.status_code, again.json()["status"]) == (200, "queued")
    client.post(f"{API}/tickets/{later['id']}/accept", headers=bearer(a["token"]))
    done = client.post(f"{API}/tickets/{later['id']}/complete", headers=ADMIN)
    assert done.status_code == 200
    r = call(client, f"/tickets/{later['id']}/unassign")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "invalid_transition")
