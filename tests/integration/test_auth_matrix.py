"""The auth matrix with roles: every operation of the OpenAPI document x every kind of caller
(nobody, agent, supervisor, supervisor of another queue, admin, owner, an expired, a revoked
and a deactivated user's token, a session without its CSRF token; and the break-glass admin
token, an agent's token from before accounts, an intake token).

A caller learns 401 (nobody, or a key that no longer works), then 403 (a role that may not, or
a session's write without its X-CSRF-Token), and only then 422 about its input: each call
sends an invalid request (a body that is no object, a path id of 0), so an allowed caller
gets 422 and a refused one never does. The roles' table is docs/people.md's.

One app, one set of users and tokens per module (the matrix is ~800 calls, a few seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from tests.support.server import ADMIN_TOKEN
from tests.support.sqlite_template import migrated_sqlite

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PASSWORD = "correct horse battery staple 7"

# What each operation needs of its caller (docs/people.md, "Roles").
ANY, WORK, SUPERVISE, STAFF, CONFIGURE, PEOPLE, PUBLIC = (
    "signed in", "work", "supervise", "intake", "configure", "people", "public")
SUPERVISE_OR_WORK = "supervise or work"
NEEDS: dict[tuple[str, str], str] = {
    ("post", "/auth/login"): PUBLIC,
    ("post", "/auth/logout"): ANY, ("get", "/me"): ANY, ("patch", "/me"): ANY,
    ("post", "/me/password"): ANY, ("get", "/me/sessions"): ANY,
    ("delete", "/me/sessions/{session_id}"): ANY,
    ("get", "/tokens"): ANY, ("post", "/tokens"): ANY, ("delete", "/tokens/{token_id}"): ANY,
    ("get", "/users"): PEOPLE, ("post", "/users"): PEOPLE, ("get", "/users/{user_id}"): PEOPLE,
    ("patch", "/users/{user_id}"): PEOPLE, ("delete", "/users/{user_id}"): PEOPLE,
    ("post", "/users/{user_id}/reset-password"): PEOPLE,
    ("get", "/agent/me"): WORK, ("patch", "/agent/me"): WORK,
    ("post", "/agent/queues/{name}/resume"): WORK, ("post", "/agent/go-online"): WORK,
    ("post", "/agent/go-offline"): WORK, ("post", "/agent/heartbeat"): WORK,
    ("get", "/agent/my-queue"): WORK, ("get", "/agent/available"): WORK,
    ("get", "/agent/telegram"): WORK, ("post", "/agent/telegram-code"): WORK,
    ("post", "/tickets/{ticket_id}/accept"): WORK, ("post", "/tickets/{ticket_id}/pickup"): WORK,
    ("get", "/tickets/{ticket_id}"): SUPERVISE_OR_WORK,
    ("post", "/tickets/{ticket_id}/complete"): SUPERVISE_OR_WORK,
    ("get", "/tickets/{ticket_id}/messages"): SUPERVISE_OR_WORK,
    ("post", "/tickets/{ticket_id}/messages"): SUPERVISE_OR_WORK,
    ("get", "/tickets/{ticket_id}/customer"): SUPERVISE_OR_WORK,
    ("get", "/tickets/{ticket_id}/messages/{message_id}/media"): SUPERVISE_OR_WORK,
    ("post", "/tickets/{ticket_id}/transfer"): SUPERVISE_OR_WORK,
    ("get", "/tickets/{ticket_id}/colleagues"): SUPERVISE_OR_WORK,
    ("post", "/tickets/{ticket_id}/messages/{message_id}/retry"): SUPERVISE_OR_WORK,
    ("post", "/tickets"): STAFF,
    ("get", "/tickets"): SUPERVISE, ("post", "/tickets/{ticket_id}/cancel"): SUPERVISE,
    ("get", "/tickets/{ticket_id}/history"): SUPERVISE,
    ("post", "/tickets/{ticket_id}/reassign"): SUPERVISE,
    ("post", "/tickets/{ticket_id}/unassign"): SUPERVISE,
    ("patch", "/tickets/{ticket_id}"): SUPERVISE, ("post", "/tickets/{ticket_id}/front"): SUPERVISE,
    ("get", "/agents"): SUPERVISE, ("get", "/agents/{agent_id}"): SUPERVISE,
    ("patch", "/agents/{agent_id}"): SUPERVISE,
    ("post", "/agents/{agent_id}/queues/{name}/resume"): SUPERVISE,
    ("get", "/workload"): SUPERVISE, ("get", "/queues"): SUPERVISE,
    ("get", "/queues/{name}"): SUPERVISE, ("patch", "/queues/{name}"): SUPERVISE,
    ("get", "/queues/{name}/rollout"): SUPERVISE, ("get", "/settings"): SUPERVISE,
    ("get", "/history"): SUPERVISE, ("get", "/history.csv"): SUPERVISE,
    ("get", "/stats"): SUPERVISE, ("get", "/stats/series"): SUPERVISE,
    ("get", "/audit"): SUPERVISE, ("get", "/audit.csv"): SUPERVISE,
    ("get", "/notices"): SUPERVISE, ("post", "/notices/{notice_id}/retry"): SUPERVISE,
    ("post", "/simulations"): SUPERVISE,
    ("post", "/agents"): CONFIGURE, ("delete", "/agents/{agent_id}"): CONFIGURE,
    ("get", "/sla-policies"): CONFIGURE, ("post", "/sla-policies"): CONFIGURE,
    ("put", "/sla-policies/order"): CONFIGURE, ("get", "/sla-policies/{policy_id}"): CONFIGURE,
    ("patch", "/sla-policies/{policy_id}"): CONFIGURE,
    ("delete", "/sla-policies/{policy_id}"): CONFIGURE,
    ("post", "/queues"): CONFIGURE, ("patch", "/settings"): CONFIGURE,
    ("post", "/webhooks"): CONFIGURE, ("get", "/webhooks"): CONFIGURE,
    ("delete", "/webhooks/{webhook_id}"): CONFIGURE, ("get", "/deliveries"): CONFIGURE,
    ("post", "/deliveries/{delivery_id}/retry"): CONFIGURE,
    ("post", "/agents/{agent_id}/telegram-code"): CONFIGURE,
    ("delete", "/agents/{agent_id}/telegram"): CONFIGURE,
    ("get", "/supervisor/telegram"): SUPERVISE, ("post", "/supervisor/telegram-code"): SUPERVISE,
    ("delete", "/supervisor/telegram"): SUPERVISE, ("get", "/reports/sla"): SUPERVISE,
    ("post", "/tickets/{ticket_id}/read"): SUPERVISE_OR_WORK,
    ("post", "/tickets/{ticket_id}/notes"): SUPERVISE_OR_WORK,
    ("get", "/agent/inbox"): SUPERVISE_OR_WORK,
    ("get", "/tickets/{ticket_id}/canned-replies"): SUPERVISE_OR_WORK,
    ("get", "/canned-replies"): SUPERVISE_OR_WORK,
    ("get", "/canned-replies/{reply_id}"): SUPERVISE_OR_WORK,
    ("post", "/canned-replies"): SUPERVISE, ("patch", "/canned-replies/{reply_id}"): SUPERVISE,
    ("delete", "/canned-replies/{reply_id}"): SUPERVISE,
    ("post", "/tickets/{ticket_id}/hold"): SUPERVISE_OR_WORK,
    ("delete", "/tickets/{ticket_id}/hold"): SUPERVISE_OR_WORK,
    ("put", "/queues/{name}/rotation"): SUPERVISE,
    ("post", "/tickets/bulk"): SUPERVISE,
    ("get", "/customers/{key}"): SUPERVISE_OR_WORK, ("post", "/customers/{key}/links"): SUPERVISE,
    ("delete", "/customers/{key}/links/{other}"): SUPERVISE,
    ("get", "/schedules"): SUPERVISE, ("get", "/schedules/{name}"): SUPERVISE,
    ("post", "/schedules"): CONFIGURE, ("patch", "/schedules/{name}"): CONFIGURE,
    ("delete", "/schedules/{name}"): CONFIGURE, ("post", "/schedules/{name}/holidays"): CONFIGURE,
}
# A channel's own routes (channels/port.py Contributes.router), here once the channel is
# registered: email's mailboxes.
CHANNEL_OWN: dict[tuple[str, str], str] = {
    ("get", "/mailboxes"): CONFIGURE, ("post", "/mailboxes"): CONFIGURE,
    ("get", "/mailboxes/{mailbox_id}"): CONFIGURE, ("patch", "/mailboxes/{mailbox_id}"): CONFIGURE,
    ("delete", "/mailboxes/{mailbox_id}"): CONFIGURE,
    ("get", "/tickets/{ticket_id}/messages/{message_id}/original"): SUPERVISE_OR_WORK,
}
# Called by Meta and Telegram, and checked by the channel's own signature or secret.
CHANNEL_WEBHOOKS = {("get", "/webhooks/whatsapp"), ("post", "/webhooks/whatsapp"),
                    ("post", "/webhooks/telegram"), ("get", "/channels/{channel}/webhook"),
                    ("post", "/channels/{channel}/webhook")}
# The roles' table: what each role may call.
MAY: dict[str, set[str]] = {
    "agent": {ANY, WORK, SUPERVISE_OR_WORK},
    "supervisor": {ANY, SUPERVISE, SUPERVISE_OR_WORK, STAFF},
    "admin": {ANY, SUPERVISE, SUPERVISE_OR_WORK, STAFF, CONFIGURE, PEOPLE},
    "owner": {ANY, SUPERVISE, SUPERVISE_OR_WORK, STAFF, CONFIGURE, PEOPLE},
    "intake": {ANY, STAFF},
}


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]
    role: str | None = None  # None: nobody (any key it shows no longer works)
    session: bool = False  # a session cookie, without its X-CSRF-Token


@dataclass
class Floor:
    client: TestClient
    callers: dict[str, Caller]
    operations: list[tuple[str, str, dict[str, Any]]]  # method, path, the OpenAPI operation
    ids: dict[str, int]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                                marks=pytest.mark.postgres)])
def floor(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Floor]:
    if request.param == "postgres":
        url = request.getfixturevalue("pg_cluster").fresh_database()
    else:
        url = migrated_sqlite(tmp_path_factory.mktemp("matrix") / "giliran.db")
    clock = FakeClock()
    # No limit on failed authentications: the matrix fails hundreds on purpose.
    settings = Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False, auth_failures_per_minute=0, metrics_cache_seconds=0)
    container = bootstrap(settings, clock=clock)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield _populated(client, clock)
    container.close()


def _populated(client: TestClient, clock: FakeClock) -> Floor:
    api = "/api/v1"
    assert client.post(f"{api}/queues", json={"name": "other"}, headers=ADMIN).status_code == 201
    callers: dict[str, Caller] = {"none": Caller({})}
    ids: dict[str, int] = {}
    for name, role, queues in (("owner", "owner", []), ("admin", "admin", []),
                               ("supervisor", "supervisor", ["default"]),
                               ("supervisor of another queue", "supervisor", ["other"]),
                               ("agent", "agent", []), ("expired", "supervisor", []),
                               ("revoked", "supervisor", []), ("deactivated", "supervisor", [])):
        made = client.post(f"{api}/users", headers=ADMIN, json={
            "email": f"{name.replace(' ', '.')}@example.com", "name": name.title(),
            "role": role, "password": PASSWORD, "queues": queues})
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
        secret, csrf = sign_in(client, f"{name.replace(' ', '.')}@example.com")
        session = {"Cookie": f"giliran_session={secret}", "X-CSRF-Token": csrf}
        if name == "expired":  # made two days ago, for one day
            clock.advance(-2 * 86400)
        token = client.post(f"{api}/tokens", headers=session,
                            json={"name": "matrix", "role": role, "expires_in_days": 1})
        if name == "expired":
            clock.advance(2 * 86400)
        assert token.status_code == 201, token.text
        callers[name] = Caller(bearer(token.json()["token"]), role)
        if name == "admin":
            callers["session without CSRF token"] = Caller(
                {"Cookie": f"giliran_session={secret}"}, role, session=True)
        elif name == "revoked":
            client.delete(f"{api}/tokens/{token.json()['id']}", headers=session)
        elif name == "deactivated":
            assert client.delete(f"{api}/users/{ids[name]}", headers=ADMIN).status_code == 200
    # The keys from before accounts: the break-glass admin token (an owner) and an agent's
    # own token; and an integration's personal token with the intake role.
    callers["admin token"] = Caller(ADMIN, "owner")
    agent = client.post(f"{api}/agents", json={"name": "Old hand"}, headers=ADMIN).json()
    callers["agent's token from before accounts"] = Caller(bearer(agent["token"]), "agent")
    secret, csrf = sign_in(client, "admin@example.com")
    intake = client.post(f"{api}/tokens", json={"name": "web form", "role": "intake"},
                         headers={"Cookie": f"giliran_session={secret}", "X-CSRF-Token": csrf})
    callers["intake token"] = Caller(bearer(intake.json()["token"]), "intake")
    for gone in ("expired", "revoked", "deactivated"):
        callers[gone] = Caller(callers[gone].headers)
    document = client.get(f"{api}/openapi.json").json()
    operations = [(method, path.removeprefix(api), op)
                  for path, ops in document["paths"].items() if path.startswith(api)
                  for method, op in ops.items()]
    return Floor(client, callers, operations, ids)


def sign_in(client: TestClient, email: str) -> tuple[str, str]:
    """A session's cookie value and CSRF token, kept out of the client's cookie jar so that
    each call says itself who it comes from."""
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    secret = r.cookies["giliran_session"]
    client.cookies.clear()
    return secret, r.json()["csrf_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def invalid_call(path: str, operation: dict[str, Any]) -> tuple[str, Any, bool]:
    """The path with ids of 0 and blank names, the body an array (no operation takes one),
    and whether that is sure to be 422 (otherwise the call is valid, and harmless)."""
    sure = "requestBody" in operation
    for param in operation.get("parameters", []):
        if param["in"] != "path":
            continue
        integer = param["schema"].get("type") == "integer"
        sure = sure or integer
        path = path.replace("{" + param["name"] + "}", "0" if integer else "%20")
    return path, [1] if "requestBody" in operation else None, sure


def error_code(r: Any) -> str | None:
    try:
        found = r.json()
    except ValueError:
        return None
    return found["error"]["code"] if isinstance(found, dict) and "error" in found else None


def expected(caller: Caller, method: str, need: str) -> str | None:
    """The refusal's code, or None: allowed."""
    if need == PUBLIC:
        return None
    if caller.role is None:
        return "unauthorized"
    if caller.session and method != "get":
        return "csrf_failed"
    return None if need in MAY[caller.role] else "forbidden"


def test_the_matrix_names_every_operation(floor: Floor) -> None:
    """A new operation is added to NEEDS (and to docs/people.md's table) to pass."""
    found = {(method, path) for method, path, _ in floor.operations}
    assert found - CHANNEL_WEBHOOKS - (found & set(CHANNEL_OWN)) == set(NEEDS)


CALLERS = ["none", "agent", "supervisor", "supervisor of another queue", "admin", "owner",
           "expired", "revoked", "deactivated", "session without CSRF token", "admin token",
           "agent's token from before accounts", "intake token"]


@pytest.mark.parametrize("name", CALLERS)
def test_authenticated_then_authorized_then_validated(floor: Floor, name: str) -> None:
    caller = floor.callers[name]
    wrong = []
    for method, template, operation in floor.operations:
        if (method, template) in CHANNEL_WEBHOOKS:
            continue
        path, body, sure = invalid_call(template, operation)
        kwargs = {"json": body} if body is not None else {}
        r = floor.client.request(method.upper(), f"/api/v1{path}", headers=caller.headers,
                                 **kwargs)
        refusal = expected(caller, method, {**NEEDS, **CHANNEL_OWN}[(method, template)])
        code = error_code(r)
        if refusal is not None:
            ok = r.status_code == (401 if refusal == "unauthorized" else 403) and code == refusal
        else:
            ok = r.status_code == 422 if sure else (
                r.status_code < 500 and r.status_code not in (401, 403))
        if not ok:
            wrong.append(f"{method.upper()} {path}: {r.status_code} {code} "
                         f"(expected {refusal or ('422' if sure else 'allowed')})")
    assert not wrong, f"{name}:\n" + "\n".join(wrong)


def test_a_supervisor_of_another_queue_is_refused_its_tickets_and_queue(floor: Floor) -> None:
    """The finer rule, once the caller is known and the thing is found: 403 not_your_queue
    for a ticket or a queue outside one's own, with a valid request; nothing changes."""
    client = floor.client
    ticket = client.post("/api/v1/tickets", json={"title": "matrix"}, headers=ADMIN).json()
    mine, theirs = (floor.callers["supervisor"].headers,
                    floor.callers["supervisor of another queue"].headers)
    calls = [("get", f"/tickets/{ticket['id']}", None),
             ("get", f"/tickets/{ticket['id']}/history", None),
             ("get", "/tickets?queue=default", None),
             ("post", f"/tickets/{ticket['id']}/cancel", None),
             ("get", "/queues/default", None),
             ("get", "/queues/default/rollout", None),
             ("patch", "/queues/default", {"next_agent_id": 999999}),
             ("put", "/queues/default/rotation", {"agent_ids": []})]
    for method, path, body in calls:
        kwargs = {"json": body} if body is not None else {}
        r = client.request(method.upper(), f"/api/v1{path}", headers=theirs, **kwargs)
        assert (r.status_code, error_code(r)) == (403, "not_your_queue"), (path, r.text)
        if method == "get":
            assert client.get(f"/api/v1{path}", headers=mine).status_code == 200, path
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=ADMIN).json()[
        "status"] != "cancelled"
    assert [q["name"] for q in client.get("/api/v1/queues", headers=theirs).json()] == [
        "other"], "a supervisor of some queues lists those"


def test_keys_that_stopped_are_refused_where_they_worked(floor: Floor) -> None:
    """The expired, revoked and deactivated keys are refused as a stranger's is, with the
    same answer, so a guesser learns nothing about which it holds."""
    answers = {name: floor.client.get("/api/v1/me", headers=floor.callers[name].headers)
               for name in ("expired", "revoked", "deactivated", "none")}
    assert {r.status_code for r in answers.values()} == {401}
    assert len({r.json()["error"]["message"] for name, r in answers.items()
                if name != "none"}) == 1
    user = floor.client.get(f"/api/v1/users/{floor.ids['deactivated']}", headers=ADMIN).json()
    assert user["active"] is False
    listed = floor.client.get("/api/v1/tokens", params={"all": "true"}, headers=ADMIN).json()
    assert "token" not in listed[0] and "token_hash" not in listed[0]



def test_a_sign_in_with_the_longest_email_is_refused_not_failed(floor: Floor) -> None:
    """Found by schemathesis on PostgreSQL: the failure counter's key held the email as typed,
    longer than its column."""
    email = "a" * 242 + "@example.com"
    r = floor.client.post("/api/v1/auth/login", json={"email": email, "password": "x"})
    assert (r.status_code, error_code(r)) == (401, "unauthorized")
