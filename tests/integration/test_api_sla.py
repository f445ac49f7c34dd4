"""SLA policies through the HTTP API on SQLite and PostgreSQL: an ordered list, validated,
audited with who changed it; every ticket response carries its SLA (policy, each target's due
time and state), the first matching active policy in order applying."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from tests.integration.test_api_seed import ADMIN, make_agent, online, post_ticket

API = "/api/v1"
POLICIES = f"{API}/sla-policies"


def policy(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post(POLICIES, json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


def z(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def due(ticket: dict[str, Any]) -> dict[str, tuple[datetime | None, str]]:
    return {t["target"]: (datetime.fromisoformat(t["due_at"]) if t["due_at"] else None,
                          t["state"]) for t in ticket["sla"]["targets"]}


def test_policies_are_kept_in_order_validated_and_audited(client: TestClient) -> None:
    urgent = policy(client, name="Urgent", conditions={"priorities": ["urgent"]},
                    targets={"first_response_seconds": 300, "resolution_seconds": 3600},
                    breach_actions=[{"action": "move", "queue": "default"}])
    tiers = policy(client, name="Tiers", targets={
        "high": {"first_response_seconds": 600}, "normal": {"first_response_seconds": 1800}},
        warn_percent=50, pause_statuses=["on_hold"])
    assert (urgent["position"], tiers["position"]) == (1, 2)
    assert urgent["targets"] == {"first_response_seconds": 300, "resolution_seconds": 3600}
    assert urgent["breach_actions"] == [{"action": "move", "queue": "default"}]
    assert tiers["targets"] == {"high": {"first_response_seconds": 600},
                                "normal": {"first_response_seconds": 1800}}
    for bad in ({"name": "x", "targets": {}}, {"name": "x", "targets": {"soon": 5}},
                {"name": "x", "targets": {"resolution_seconds": 0}},
                {"name": "x", "targets": {"resolution_seconds": "5"}},
                {"name": "x", "targets": {"urgent": {"resolution_seconds": True}}},
                {"name": "x", "targets": {"urgent": 5}},
                {"name": "x", "targets": {"resolution_seconds": 5}, "warn_percent": 100},
                {"name": "x", "targets": {"resolution_seconds": 5},
                 "breach_actions": [{"action": "move"}]},
                {"name": "x", "targets": {"resolution_seconds": 5},
                 "breach_actions": [{"action": "move", "queue": "nowhere"}]},
                {"name": "x", "targets": {"resolution_seconds": 5},
                 "conditions": {"priorities": ["soon"]}}):
        r = client.post(POLICIES, json=bad, headers=ADMIN)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["code"] in ("invalid_input", "invalid_request"), r.text
    r = client.post(POLICIES, json={"name": "Urgent", "targets": {"resolution_seconds": 5}},
                    headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "sla_policy_name_taken")
    r = client.put(f"{POLICIES}/order", json={"ids": [tiers["id"]]}, headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_input")
    r = client.put(f"{POLICIES}/order", json={"ids": [tiers["id"], urgent["id"]]}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert [p["name"] for p in r.json()["items"]] == ["Tiers", "Urgent"]
    r = client.patch(f"{POLICIES}/{urgent['id']}", json={"active": False}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get(f"{POLICIES}/999", headers=ADMIN).status_code == 404
    assert client.delete(f"{POLICIES}/{urgent['id']}", headers=ADMIN).status_code == 204
    assert [p["name"] for p in client.get(POLICIES, headers=ADMIN).json()["items"]] == ["Tiers"]
    audit = client.get(f"{API}/audit", params={"kind": "sla_policy"}, headers=ADMIN).json()
    actions = sorted(e["action"] for e in audit["items"])
    assert actions == ["changed", "created", "created", "deleted", "reordered"], audit


def test_tickets_carry_the_first_matching_policy_and_its_due_times(
    client: TestClient, clock: FakeClock,
) -> None:
    assert post_ticket(client, "Before any policy")["sla"] == {"policy": None, "targets": []}
    policy(client, name="Urgent", conditions={"priorities": ["urgent"]},
           targets={"first_response_seconds": 300, "resolution_seconds": 3600})
    policy(client, name="Everyone", targets={"first_response_seconds": 1800},
           warn_percent=50)
    now = clock.now()
    urgent = post_ticket(client, "Down", priority="urgent")
    assert urgent["sla"]["policy"] == "Urgent"
    assert due(urgent) == {"first_response": (now + timedelta(seconds=300), "active"),
                           "resolution": (now + timedelta(seconds=3600), "active")}
    normal = post_ticket(client, "Question")
    assert normal["sla"]["policy"] == "Everyone"
    assert normal["sla"]["targets"] == [{
        "target": "first_response", "due_at": z(now + timedelta(seconds=1800)),
        "state": "active", "warn_at": z(now + timedelta(seconds=900))}]
    # Priority raised by a supervisor: matched again, the time used is kept.
    clock.advance(100)
    r = client.patch(f"{API}/tickets/{normal['id']}", json={"priority": "urgent"},
                     headers=ADMIN)
    assert r.status_code == 200, r.text
    raised = client.get(f"{API}/tickets/{normal['id']}", headers=ADMIN).json()
    assert raised["sla"]["policy"] == "Urgent"
    assert due(raised)["first_response"] == (now + timedelta(seconds=300), "active")
    # Completed: resolution met; a response target never answered simply ends.
    agent = make_agent(client, "Sari")
    listed = client.get(f"{API}/tickets", params={"status": "queued"}, headers=ADMIN).json()
    assert all("sla" in t for t in listed["items"])
    assert agent["id"]


def test_a_queue_ordered_by_sla_due_serves_and_lists_the_soonest_due_first(
    client: TestClient, clock: FakeClock,
) -> None:
    """By priority the urgent ticket (no target) would go first; by due time it goes last."""
    r = client.patch(f"{API}/queues/default", json={"waiting_order": "sla_due"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    policy(client, name="Tiers", targets={"low": {"first_response_seconds": 600},
                                          "normal": {"first_response_seconds": 1200}})
    agent = make_agent(client, "Sari", max_tickets=1)
    urgent = post_ticket(client, "No target", priority="urgent")
    normal = post_ticket(client, "Later due")
    clock.advance(10)
    low = post_ticket(client, "Soonest due", priority="low")
    line = [low["id"], normal["id"], urgent["id"]]
    listed = client.get(f"{API}/tickets", params={"status": "queued", "queue": "default"},
                        headers=ADMIN).json()["items"]
    assert [t["id"] for t in listed] == line
    assert [t["queue_position"] for t in listed] == [1, 2, 3]
    one = client.get(f"{API}/tickets/{urgent['id']}", headers=ADMIN).json()
    assert one["queue_position"] == 3
    mine = {"Authorization": f"Bearer {agent['token']}"}
    pickable = client.get(f"{API}/agent/available", headers=mine).json()["items"]
    assert [t["id"] for t in pickable] == line
    online(client, agent)
    got = client.get(f"{API}/tickets/{low['id']}", headers=ADMIN).json()
    assert got["assigned_agent_id"] == agent["id"], "dispatch takes the soonest due"
    r = client.patch(f"{API}/queues/default", json={"waiting_order": "priority"}, headers=ADMIN)
    listed = client.get(f"{API}/tickets", params={"status": "queued", "queue": "default"},
                        headers=ADMIN).json()["items"]
    assert [t["id"] for t in listed] == [urgent["id"], normal["id"]], "back to priority"
