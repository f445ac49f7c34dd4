"""The API contract: auth, errors with stable codes, idempotent intake, strategies, history."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


ADMIN_ONLY = [
    ("post", "/api/v1/simulations", {"days": 7, "change": {"max_tickets": 3}}),
    ("post", "/api/v1/agents", {"name": "x"}),
    ("get", "/api/v1/agents", None),
    ("get", "/api/v1/agents/1", None),
    ("patch", "/api/v1/agents/1", {"max_tickets": 3}),
    ("get", "/api/v1/tickets", None),
    ("get", "/api/v1/tickets/1/history", None),
    ("post", "/api/v1/tickets/1/cancel", None),
    ("post", "/api/v1/tickets/1/reassign", {"agent_id": 1}),
    ("post", "/api/v1/tickets/1/unassign", None),
    ("patch", "/api/v1/tickets/1", {"priority": "high"}),
    ("post", "/api/v1/tickets/1/front", None),
    ("get", "/api/v1/workload", None),
    ("post", "/api/v1/queues", {"name": "new"}),
    ("get", "/api/v1/queues", None),
    ("get", "/api/v1/queues/default", None),
    ("patch", "/api/v1/queues/default", {"strategy": "random"}),
    ("get", "/api/v1/settings", None),
    ("get", "/api/v1/history", None),
    ("get", "/api/v1/history.csv", None),
    ("get", "/api/v1/stats", None),
    ("get", "/api/v1/stats/series", None),
    ("delete", "/api/v1/agents/1", None),
    ("post", "/api/v1/webhooks", {"url": "https://example.com/hook",
                                  "secret": "0123456789abcdef"}),
    ("get", "/api/v1/webhooks", None),
    ("delete", "/api/v1/webhooks/1", None),
    ("get", "/api/v1/deliveries", None),
    ("post", "/api/v1/deliveries/1/retry", None),
    ("patch", "/api/v1/settings", {"presence_grace_seconds": 5}),
    ("post", "/api/v1/agents/1/telegram-code", None),
    ("delete", "/api/v1/agents/1/telegram", None),
    ("get", "/api/v1/notices", None),
    ("post", "/api/v1/notices/1/retry", None),
    ("get", "/api/v1/queues/default/rollout", None),
    ("post", "/api/v1/agents/1/queues/default/resume", None),
    ("get", "/api/v1/audit", None),
    ("get", "/api/v1/audit.csv", None),
    # People: admins and owners (test_auth_matrix.py has every role).
    ("get", "/api/v1/users", None),
    ("post", "/api/v1/users", {"email": "x@example.com", "name": "x", "role": "agent"}),
    ("get", "/api/v1/users/1", None),
    ("patch", "/api/v1/users/1", {"name": "y"}),
    ("delete", "/api/v1/users/1", None),
    ("post", "/api/v1/users/1/reset-password", None),
    # Canned replies: supervisors manage them; agents read them (below).
    ("post", "/api/v1/canned-replies", {"name": "n", "text": "t"}),
    ("patch", "/api/v1/canned-replies/1", {"text": "t"}),
    ("delete", "/api/v1/canned-replies/1", None),
    ("put", "/api/v1/queues/default/rotation", {"agent_ids": []}),
    ("post", "/api/v1/tickets/bulk", {"ids": [1], "action": "cancel"}),
    ("post", "/api/v1/customers/whatsapp:1/links", {"address": "email:a@example.com"}),
    ("delete", "/api/v1/customers/whatsapp:1/links/email:a@example.com", None),
    # The email channel's mailboxes: those who configure the desk.
    ("get", "/api/v1/mailboxes", None),
    ("post", "/api/v1/mailboxes", {"address": "a@example.com", "queue": "default"}),
    ("get", "/api/v1/mailboxes/1", None),
    ("patch", "/api/v1/mailboxes/1", {"name": "n"}),
    ("delete", "/api/v1/mailboxes/1", None),
    # Opening hours: supervisors read them, those who configure the desk change them.
    ("get", "/api/v1/schedules", None),
    ("post", "/api/v1/schedules", {"name": "office", "timezone": "Asia/Jakarta"}),
    ("get", "/api/v1/schedules/office", None),
    ("patch", "/api/v1/schedules/office", {"hours": {}}),
    ("delete", "/api/v1/schedules/office", None),
    ("post", "/api/v1/schedules/office/holidays", {"country": "ID", "year": 2027}),
    ("get", "/api/v1/reports/sla", None),
    ("get", "/api/v1/supervisor/telegram", None),
    ("post", "/api/v1/supervisor/telegram-code", None),
    ("delete", "/api/v1/supervisor/telegram", None),
    # SLA policies: those who configure the desk.
    ("get", "/api/v1/sla-policies", None),
    ("post", "/api/v1/sla-policies", {"name": "n", "targets": {"resolution_seconds": 60}}),
    ("put", "/api/v1/sla-policies/order", {"ids": []}),
    ("get", "/api/v1/sla-policies/1", None),
    ("patch", "/api/v1/sla-policies/1", {"name": "m"}),
    ("delete", "/api/v1/sla-policies/1", None),
]
# What an agent token may call (each still limited to the agent's own tickets), and intake.
NOT_ADMIN_ONLY = {
    ("get", "/api/v1/agent/me"), ("patch", "/api/v1/agent/me"),
    ("post", "/api/v1/agent/queues/{name}/resume"), ("post", "/api/v1/agent/go-online"),
    ("post", "/api/v1/agent/go-offline"), ("post", "/api/v1/agent/heartbeat"),
    ("get", "/api/v1/agent/my-queue"), ("get", "/api/v1/tickets/{ticket_id}"),
    ("post", "/api/v1/tickets/{ticket_id}/accept"),
    ("post", "/api/v1/tickets/{ticket_id}/complete"),
    ("post", "/api/v1/tickets/{ticket_id}/pickup"), ("get", "/api/v1/agent/available"),
    ("post", "/api/v1/tickets"),  # admin or an intake token; agents get 403 (tested below)
    ("get", "/api/v1/tickets/{ticket_id}/messages"),  # admin or the holder
    ("post", "/api/v1/tickets/{ticket_id}/messages"),  # admin or the holder
    ("get", "/api/v1/tickets/{ticket_id}/customer"),  # admin or the holder
    ("get", "/api/v1/tickets/{ticket_id}/messages/{message_id}/media"),  # admin or the holder
    # Meta calls these; they are authenticated by signature and verify token instead.
    ("get", "/api/v1/webhooks/whatsapp"), ("post", "/api/v1/webhooks/whatsapp"),
    # Telegram calls this one, with the webhook's secret token in a header.
    ("post", "/api/v1/webhooks/telegram"),
    # Any channel's webhook (those two among them), authenticated by the channel's own check.
    ("get", "/api/v1/channels/{channel}/webhook"), ("post", "/api/v1/channels/{channel}/webhook"),
    ("post", "/api/v1/agent/telegram-code"),  # an agent links its own chat
    ("get", "/api/v1/agent/telegram"),
    # Signing in is for anyone; the rest of these are anyone's own (test_auth_matrix.py).
    ("post", "/api/v1/auth/login"), ("post", "/api/v1/auth/logout"), ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"), ("post", "/api/v1/me/password"), ("get", "/api/v1/me/sessions"),
    ("delete", "/api/v1/me/sessions/{session_id}"), ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"), ("delete", "/api/v1/tokens/{token_id}"),
    # The inbox: an agent's own, and the tickets they hold (test_api_inbox.py).
    ("get", "/api/v1/agent/inbox"), ("post", "/api/v1/tickets/{ticket_id}/read"),
    ("post", "/api/v1/tickets/{ticket_id}/notes"),
    ("get", "/api/v1/tickets/{ticket_id}/canned-replies"), ("get", "/api/v1/canned-replies"),
    ("get", "/api/v1/canned-replies/{reply_id}"),
    # The holder hands on or retries their own (test_transfer.py, test_failed_replies.py).
    ("post", "/api/v1/tickets/{ticket_id}/transfer"),
    ("get", "/api/v1/tickets/{ticket_id}/colleagues"),
    ("post", "/api/v1/tickets/{ticket_id}/messages/{message_id}/retry"),
    # The holder (or a supervisor of its queue) holds and takes off hold.
    ("post", "/api/v1/tickets/{ticket_id}/hold"), ("delete", "/api/v1/tickets/{ticket_id}/hold"),
    ("get", "/api/v1/customers/{key}"),  # a person one of whose tickets the agent holds
    # A customer's mail as it came: the holder, or a supervisor (the email channel's route).
    ("get", "/api/v1/tickets/{ticket_id}/messages/{message_id}/original"),
}


def test_the_403_matrix_covers_every_admin_endpoint(client: TestClient) -> None:
    """A new endpoint must be added to ADMIN_ONLY (or be meant for agents) to pass."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    routes = {(method, path) for path, ops in paths.items() if path.startswith("/api/v1")
              for method in ops}
    templated = {(m, _template(p)) for m, p, _ in ADMIN_ONLY}
    assert routes - NOT_ADMIN_ONLY == templated


def _template(path: str) -> str:
    return (path.replace("/agents/1", "/agents/{agent_id}")
            .replace("/tickets/1/", "/tickets/{ticket_id}/")
            .replace("/tickets/1", "/tickets/{ticket_id}")
            .replace("/queues/default", "/queues/{name}")
            .replace("/schedules/office", "/schedules/{name}")
            .replace("/webhooks/1", "/webhooks/{webhook_id}")
            .replace("/deliveries/1/", "/deliveries/{delivery_id}/")
            .replace("/notices/1/", "/notices/{notice_id}/")
            .replace("/users/1", "/users/{user_id}")
            .replace("/canned-replies/1", "/canned-replies/{reply_id}")
            .replace("/customers/whatsapp:1", "/customers/{key}")
            .replace("/links/email:a@example.com", "/links/{other}")
            .replace("/mailboxes/1", "/mailboxes/{mailbox_id}")
            .replace("/sla-policies/1", "/sla-policies/{policy_id}"))


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_admin_endpoints_refuse_agents_and_strangers(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    agent = make_agent(client, "a")
    post_ticket(client, "t")
    call = getattr(client, method)
    kwargs = {"json": body} if body is not None else {}
    no_token = call(path, **kwargs)
    assert no_token.status_code == 401 and error_code(no_token) == "unauthorized"
    wrong = call(path, headers=bearer("not-a-real-token"), **kwargs)
    assert wrong.status_code == 401
    as_agent = call(path, headers=bearer(agent["token"]), **kwargs)
    assert as_agent.status_code == 403 and error_code(as_agent) == "forbidden"


def test_agents_only_touch_their_own_tickets(client: TestClient) -> None:
    mine, other = make_agent(client, "mine"), make_agent(client, "other")
    online(client, mine)
    ticket = post_ticket(client, "for mine")
    assert ticket["assigned_agent_id"] == mine["id"]
    for action in ("accept", "complete"):
        r = client.post(f"/api/v1/tickets/{ticket['id']}/{action}", headers=bearer(other["token"]))
        assert r.status_code == 403 and error_code(r) == "not_your_ticket"
    r = client.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(other["token"]))
    assert r.status_code == 403
    assert client.get(f"/api/v1/tickets/{ticket['id']}",
                      headers=bearer(mine["token"])).status_code == 200
    r = client.post("/api/v1/tickets", json={"title": "x"}, headers=bearer(mine["token"]))
    assert r.status_code == 403
    r = client.post("/api/v1/agent/go-online", headers=ADMIN)
    assert r.status_code == 403


def test_forbidden_transitions_are_409_and_change_nothing(client: TestClient) -> None:
    agent = make_agent(client, "a")
    online(client, agent)
    t = post_ticket(client, "t")
    me = bearer(agent["token"])
    assert client.post(f"/api/v1/tickets/{t['id']}/accept", headers=me).json()["status"] == \
        "in_progress"
    again = client.post(f"/api/v1/tickets/{t['id']}/accept", headers=me)
    assert again.status_code == 409 and error_code(again) == "invalid_transition"
    assert client.post(f"/api/v1/tickets/{t['id']}/complete", headers=me).status_code == 200
    for action, who in (("complete", me), ("accept", me), ("complete", ADMIN), ("cancel", ADMIN)):
        r = client.post(f"/api/v1/tickets/{t['id']}/{action}", headers=who)
        assert r.status_code == 409, (action, r.text)
    history = client.get(f"/api/v1/tickets/{t['id']}/history", headers=ADMIN).json()
    assert [h["event"] for h in history] == ["created", "assigned", "accepted", "completed"]
    assert client.get("/api/v1/agents", headers=ADMIN).json()[0]["active_tickets"] == 0


def test_unknown_ids_are_404(client: TestClient) -> None:
    for path in ("/api/v1/tickets/999", "/api/v1/tickets/999/history", "/api/v1/agents/999",
                 "/api/v1/queues/nope"):
        r = client.get(path, headers=ADMIN)
        assert r.status_code == 404 and error_code(r) == "not_found", path
    r = client.post("/api/v1/tickets/999/complete", headers=ADMIN)
    assert r.status_code == 404


@pytest.mark.parametrize("body", [
    {"title": ""},
    {"title": "   "},
    {"title": "x" * 201},
    {"title": "ok", "priority": "critical"},
    {"title": "ok", "queue": "no-such-queue"},
    {"title": "ok", "description": "d" * 10_001},
    {"title": "ok", "external_id": ""},
    {"title": "ok", "unexpected": 1},
    {"title": 5},
    {},
])
def test_invalid_tickets_are_422_and_create_nothing(client: TestClient, body: Any) -> None:
    r = client.post("/api/v1/tickets", json=body, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert error_code(r) in ("invalid_request", "invalid_input")
    assert client.get("/api/v1/tickets", headers=ADMIN).json()["total"] == 0


@pytest.mark.parametrize("body", [
    {"name": "a", "max_tickets": -1}, {"name": ""}, {"name": "a", "max_tickets": 10**9},
    {"name": "a", "auto_assign": "maybe"},
])
def test_invalid_agents_are_422(client: TestClient, body: Any) -> None:
    r = client.post("/api/v1/agents", json=body, headers=ADMIN)
    assert r.status_code == 422 and error_code(r) == "invalid_request"
    assert client.get("/api/v1/agents", headers=ADMIN).json() == []


def test_malformed_requests_never_500(client: TestClient) -> None:
    cases = [
        client.post("/api/v1/tickets", content=b"{not json", headers={
            **ADMIN, "content-type": "application/json"}),
        client.get("/api/v1/tickets/abc", headers=ADMIN),
        client.get("/api/v1/tickets/99999999999999999999", headers=ADMIN),
        client.get("/api/v1/tickets", params={"status": "lost"}, headers=ADMIN),
        client.get("/api/v1/tickets", params={"limit": 0}, headers=ADMIN),
        client.post("/api/v1/tickets", content=b"x" * 1_000_001, headers={
            **ADMIN, "content-type": "application/json"}),
        client.delete("/api/v1/tickets", headers=ADMIN),
        client.patch("/api/v1/queues/default", json={"strategy": "fastest"}, headers=ADMIN),
    ]
    assert [r.status_code for r in cases] == [422, 422, 422, 422, 422, 413, 405, 422]
    assert all("error" in r.json() for r in cases)


def test_intake_is_idempotent_on_external_id(client: TestClient) -> None:
    first = client.post("/api/v1/tickets", json={"title": "a", "external_id": "wa-1"},
                        headers=ADMIN)
    second = client.post("/api/v1/tickets", json={"title": "changed", "external_id": "wa-1"},
                         headers=ADMIN)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"] and second.json()["title"] == "a"
    assert client.get("/api/v1/tickets", headers=ADMIN).json()["total"] == 1


def test_agent_token_is_shown_once_and_stops_working_when_deactivated(client: TestClient) -> None:
    agent = make_agent(client, "a")
    assert agent["token"].startswith("gla_")
    listed = client.get("/api/v1/agents", headers=ADMIN).json()
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert client.get("/api/v1/agent/me", headers=bearer(agent["token"])).status_code == 200
    client.patch(f"/api/v1/agents/{agent['id']}", json={"active": False}, headers=ADMIN)
    assert client.get("/api/v1/agent/me", headers=bearer(agent["token"])).status_code == 401


def test_deactivating_an_agent_requeues_its_tickets_at_their_place(client: TestClient) -> None:
    a = make_agent(client, "a", max_tickets=2)
    online(client, a)
    held = [post_ticket(client, f"t{i}")["id"] for i in range(2)]
    later = post_ticket(client, "later")
    assert later["status"] == "queued"
    client.patch(f"/api/v1/agents/{a['id']}", json={"active": False}, headers=ADMIN)
    queued = client.get("/api/v1/tickets", params={"status": "queued"}, headers=ADMIN).json()
    assert [t["id"] for t in queued["items"]] == [*held, later["id"]]
    history = client.get(f"/api/v1/tickets/{held[0]}/history", headers=ADMIN).json()
    assert [(e["event"], e["reason"]) for e in history[-2:]] == [
        ("unassigned", "agent_deactivated"), ("flagged", "unreachable")], (
        "back in the queue, and flagged: its queue has no member left")
    assert {t["flag_reason"] for t in queued["items"]} == {"no_members"}


def test_raising_capacity_and_opting_in_dispatch_at_once(client: TestClient) -> None:
    a = make_agent(client, "a", max_tickets=1, auto_assign=False)
    online(client, a)
    t1, t2 = post_ticket(client, "1"), post_ticket(client, "2")
    assert t1["status"] == t2["status"] == "queued"
    client.patch(f"/api/v1/agents/{a['id']}", json={"auto_assign": True}, headers=ADMIN)
    assert client.get(f"/api/v1/tickets/{t1['id']}", headers=ADMIN).json()["status"] == "assigned"
    client.patch(f"/api/v1/agents/{a['id']}", json={"max_tickets": 2}, headers=ADMIN)
    assert client.get(f"/api/v1/tickets/{t2['id']}", headers=ADMIN).json()["status"] == "assigned"


def test_offline_agent_keeps_its_tickets_and_receives_nothing(client: TestClient) -> None:
    a, b = make_agent(client, "a"), make_agent(client, "b")
    online(client, a)
    mine = post_ticket(client, "mine")
    client.post("/api/v1/agent/go-offline", headers=bearer(a["token"]))
    assert post_ticket(client, "waits")["status"] == "queued"
    assert client.get(f"/api/v1/tickets/{mine['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == a["id"]
    online(client, b)
    assert client.get("/api/v1/agent/my-queue", headers=bearer(b["token"])).json()["count"] == 1


def test_least_loaded_and_round_robin_choose_as_documented(client: TestClient) -> None:
    a, b = make_agent(client, "a", max_tickets=5, rotation_order=1), \
        make_agent(client, "b", max_tickets=5, rotation_order=2)
    online(client, a)
    first = [post_ticket(client, f"a{i}") for i in range(3)]  # a holds 3
    online(client, b)
    r = client.patch("/api/v1/queues/default", json={"strategy": "least_loaded"}, headers=ADMIN)
    assert r.json()["strategy"] == "least_loaded"
    got = [post_ticket(client, f"b{i}")["assigned_agent_id"] for i in range(4)]
    assert got == [b["id"], b["id"], b["id"], a["id"]]  # b catches up to 3, then ties go by turn
    client.post(f"/api/v1/tickets/{first[0]['id']}/complete", headers=ADMIN)
    client.patch("/api/v1/queues/default", json={"strategy": "round_robin"}, headers=ADMIN)
    got = [post_ticket(client, f"c{i}")["assigned_agent_id"] for i in range(2)]
    assert got == [b["id"], a["id"]]


def test_random_strategy_spreads_work(client: TestClient) -> None:
    agents = [make_agent(client, n, max_tickets=100) for n in "abc"]
    for a in agents:
        online(client, a)
    client.patch("/api/v1/queues/default", json={"strategy": "random"}, headers=ADMIN)
    got = [post_ticket(client, str(i))["assigned_agent_id"] for i in range(60)]
    assert {a["id"] for a in agents} == set(got)


def test_ticket_listing_paginates(client: TestClient) -> None:
    for i in range(7):
        post_ticket(client, str(i))
    page = client.get("/api/v1/tickets", params={"limit": 3, "offset": 3}, headers=ADMIN).json()
    assert (page["total"], len(page["items"]), page["items"][0]["title"]) == (7, 3, "3")


def test_openapi_schema_and_probes_are_served(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in schema["paths"]
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
