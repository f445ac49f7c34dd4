"""The event stream for signed-in people: a page opens it with its session cookie and the
session's CSRF token; a socket closes when its user is deactivated, its session ends or its
token is revoked; a user's changes reach admins and the user, nobody else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.domain.people import SessionPolicy
from giliran.entrypoints.api.app import create_app
from tests.integration.test_api_seed import ADMIN, bearer
from tests.integration.test_event_stream import WS, next_of
from tests.support.e2e_server import wait_until
from tests.support.server import ADMIN_TOKEN

PASSWORD = "correct horse battery staple 7"


def make_user(client: TestClient, email: str, role: str = "supervisor") -> dict[str, Any]:
    r = client.post("/api/v1/users", headers=ADMIN, json={
        "email": email, "name": email.split("@")[0].title(), "role": role,
        "password": PASSWORD})
    assert r.status_code == 201, r.text
    return dict(r.json())


def sign_in(client: TestClient, email: str) -> tuple[dict[str, str], str]:
    """The session's Cookie header and its CSRF token (out of the client's cookie jar)."""
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = {"Cookie": f"giliran_session={r.cookies['giliran_session']}"}
    client.cookies.clear()
    return cookie, r.json()["csrf_token"]


def closed_with(ws: WebSocketTestSession, code: str) -> int:
    """The close code after the error frame `code` (events before it pass by)."""
    assert next_of(ws, "error")["code"] == code
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return closed.value.code


def test_a_page_opens_the_stream_with_its_cookie_and_csrf_token(client: TestClient) -> None:
    make_user(client, "sam@example.com")
    cookie, csrf = sign_in(client, "sam@example.com")
    with client.websocket_connect(WS, headers=cookie) as ws:
        ws.send_json({"type": "auth", "csrf_token": csrf})
        assert ws.receive_json()["type"] == "hello"
        assert next_of(ws, "snapshot")["type"] == "snapshot"
    with client.websocket_connect(WS, headers=cookie) as ws:
        ws.send_json({"type": "auth", "csrf_token": "0" * 64})  # another site cannot know it
        assert closed_with(ws, "csrf_failed") == 4401
    with client.websocket_connect(WS) as ws:  # no cookie: a page that never signed in
        ws.send_json({"type": "auth", "csrf_token": csrf})
        assert closed_with(ws, "unauthorized") == 4401


def test_deactivating_a_user_closes_their_socket(client: TestClient) -> None:
    sam = make_user(client, "sam@example.com")
    cookie, csrf = sign_in(client, "sam@example.com")
    with client.websocket_connect(WS, headers=cookie) as ws:
        ws.send_json({"type": "auth", "csrf_token": csrf})
        next_of(ws, "snapshot")
        assert client.delete(f"/api/v1/users/{sam['id']}", headers=ADMIN).status_code == 200
        told = next_of(ws, "user.changed")
        assert (told["user"]["id"], told["action"], told["user"]["active"]) == (
            sam["id"], "deactivated", False)
        assert closed_with(ws, "unauthorized") == 4401


def test_signing_out_closes_the_sessions_socket_and_revoking_a_token_its_own(
        client: TestClient) -> None:
    make_user(client, "sam@example.com")
    cookie, csrf = sign_in(client, "sam@example.com")
    made = client.post("/api/v1/tokens", headers={**cookie, "X-CSRF-Token": csrf},
                       json={"name": "script", "role": "supervisor"}).json()
    with client.websocket_connect(WS) as by_token:
        by_token.send_json({"type": "auth", "token": made["token"]})
        next_of(by_token, "snapshot")
        with client.websocket_connect(WS, headers=cookie) as by_session:
            by_session.send_json({"type": "auth", "csrf_token": csrf})
            next_of(by_session, "snapshot")
            out = client.post("/api/v1/auth/logout", headers={**cookie, "X-CSRF-Token": csrf})
            assert out.status_code == 204
            assert closed_with(by_session, "unauthorized") == 4401
        assert next_of(by_token, "user.changed")["action"] == "session ended"
        client.delete(f"/api/v1/tokens/{made['id']}", headers=ADMIN)
        assert closed_with(by_token, "unauthorized") == 4401


def test_a_users_changes_reach_admins_and_the_user_only(client: TestClient) -> None:
    make_user(client, "sam@example.com")
    pat = make_user(client, "pat@example.com")
    ada = make_user(client, "ada@example.com", "admin")
    watchers = {}
    for user in ("sam", "ada"):
        cookie, csrf = sign_in(client, f"{user}@example.com")
        made = client.post("/api/v1/tokens", headers={**cookie, "X-CSRF-Token": csrf},
                           json={"name": "watch", "role": "supervisor" if user == "sam"
                                 else "admin"}).json()
        watchers[user] = made["token"]
    with client.websocket_connect(WS) as sam, client.websocket_connect(WS) as ada_ws:
        for ws, user in ((sam, "sam"), (ada_ws, "ada")):
            ws.send_json({"type": "auth", "token": watchers[user]})
            next_of(ws, "snapshot")
        r = client.patch(f"/api/v1/users/{pat['id']}", json={"name": "Patricia"},
                         headers=bearer(watchers["sam"]))
        assert r.status_code == 403  # a supervisor does not manage people
        client.patch(f"/api/v1/users/{pat['id']}", json={"name": "Patricia"}, headers=ADMIN)
        seen = next_of(ada_ws, "user.changed")
        assert (seen["user"]["name"], seen["action"]) == ("Patricia", "changed")
        assert PASSWORD not in str(seen) and "$argon2" not in str(seen)
        # The supervisor's next frame is a later ticket's, not Pat's change.
        client.post("/api/v1/tickets", json={"title": "after"}, headers=ADMIN)
        assert next_of(sam, "ticket.created", "user.changed")["type"] == "ticket.created"
    assert ada["role"] == "admin"  # who watched


@pytest.fixture
def checking(database_url: str,
             clock: FakeClock) -> Iterator[tuple[TestClient, FakeClock, Container]]:
    """A server whose sockets check their key every 20 ms (60 s by default)."""
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False, event_poll_seconds=0.02, ws_key_check_seconds=0.02)
    container = bootstrap(settings, clock=clock)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as c:
            yield c, clock, container
    finally:
        container.close()



def test_an_open_page_keeps_its_session_alive_until_its_absolute_end(
        checking: tuple[TestClient, FakeClock, Container]) -> None:
    """No event says that a session idled out or reached its end: the socket's own check
    closes it. Until then an open page is use, so its session does not idle out while the
    page is open."""
    client, clock, container = checking
    sam = make_user(client, "sam@example.com")
    cookie, csrf = sign_in(client, "sam@example.com")
    policy = SessionPolicy()
    with client.websocket_connect(WS, headers=cookie) as ws:
        ws.send_json({"type": "auth", "csrf_token": csrf})
        next_of(ws, "snapshot")
        for _ in range(2):  # twice nearly idle: each time the open page is noted as use
            clock.advance(policy.idle.total_seconds() - 120)
            wait_until(lambda: last_seen(container, sam["id"]) == clock.now() or None,
                       timeout=10, what="the open page noted as use of its session")
        with client.websocket_connect(WS, headers=cookie) as again:  # still signed in
            again.send_json({"type": "auth", "csrf_token": csrf})
            next_of(again, "snapshot")
        clock.advance(policy.absolute.total_seconds())
        assert closed_with(ws, "unauthorized") == 4401


def last_seen(container: Container, user_id: int) -> datetime | None:
    with container.ctx.uow(write=False) as uow:
        found = uow.sessions.of_users([user_id], container.ctx.clock.now())
    return found[0].last_seen_at if found else None
