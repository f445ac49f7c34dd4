"""People on a real server (two worker processes, one per module and backend): signing in and
out with the cookie, CSRF, the lockout, the audit naming a supervisor, a deactivated user's
sockets and session ending within a second, a token's expiry; and no password or token in the
server's log, in a response after the one-time display, or in the audit's before and after.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect as connect_db
from giliran.adapters.sql.tables_people import api_tokens
from tests.support.e2e_server import API, log_tail, logged_errors
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
COOKIE = "giliran_session"


@dataclass
class Desk:
    server: ServerProcess
    log: Path
    database_url: str
    secrets: set[str] = field(default_factory=set)  # every password and token handed out
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.server.base_url}{API}{path}"

    def keep(self, secret: str) -> str:
        with self.lock:
            self.secrets.add(secret)
        return secret

    def user(self, email: str, role: str, **fields: Any) -> tuple[dict[str, Any], str]:
        password = self.keep(f"{email.split('@')[0]} says correct horse 42")
        r = httpx.post(self.url("/users"), headers=ADMIN, json={
            "email": email, "name": email.split("@")[0].title(), "role": role,
            "password": password, **fields})
        assert r.status_code == 201, r.text
        assert password not in r.text
        return r.json(), password


@dataclass
class Browser:
    """A signed-in browser: its cookie and the CSRF token the sign-in answered."""

    cookie: str
    csrf: str

    @property
    def reads(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.cookie}"}

    @property
    def writes(self) -> dict[str, str]:
        return {**self.reads, "X-CSRF-Token": self.csrf}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                                marks=pytest.mark.postgres)])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Desk]:
    folder = tmp_path_factory.mktemp("people")
    if request.param == "postgres":
        url = request.getfixturevalue("pg_cluster").fresh_database()
    else:
        url = f"sqlite:///{folder / 'giliran.db'}"
        db = connect_db(url)
        migrate.upgrade(db)
        db.dispose()
    log = folder / "server.log"
    server = ServerProcess(url, workers=2, log_path=log, access_log=True,
                           env={"GILIRAN_EVENT_POLL_SECONDS": "0.2"})
    server.start()
    found = Desk(server, log, url)
    try:
        yield found
    finally:
        server.stop()
    assert not logged_errors(log), log_tail(log)
    written = log.read_text(errors="replace")
    leaked = [s for s in found.secrets if s in written]
    assert not leaked, f"secrets in the server's log: {len(leaked)}"


def sign_in(desk: Desk, email: str, password: str) -> Browser:
    r = httpx.post(desk.url("/auth/login"), json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert password not in r.text
    return Browser(r.cookies[COOKIE], r.json()["csrf_token"])


def test_sign_in_and_out_with_the_cookie_and_csrf(desk: Desk) -> None:
    _, password = desk.user("sam@example.com", "supervisor")
    browser = sign_in(desk, "sam@example.com", password)
    me = httpx.get(desk.url("/me"), headers=browser.reads).json()
    assert (me["user"]["email"], me["via"], me["csrf_token"]) == (
        "sam@example.com", "session", browser.csrf)
    refused = httpx.patch(desk.url("/me"), json={"language": "id"}, headers=browser.reads)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf_failed")
    assert httpx.get(desk.url("/me"), headers=browser.reads).json()["user"]["language"] == "en"
    accepted = httpx.patch(desk.url("/me"), json={"language": "id"}, headers=browser.writes)
    assert accepted.status_code == 200 and accepted.json()["language"] == "id"
    out = httpx.post(desk.url("/auth/logout"), headers=browser.writes)
    assert out.status_code == 204 and f'{COOKIE}=""' in out.headers["set-cookie"]
    after = httpx.get(desk.url("/me"), headers=browser.reads)
    assert after.status_code == 401


def test_repeated_failures_lock_the_account_out_and_an_unknown_email_alike(
        desk: Desk) -> None:
    """Ten failures in the window (slowed from the third) and the account is refused with
    429 and Retry-After; an email with no account answers the same, so neither tells."""
    _, password = desk.user("lee@example.com", "supervisor")

    def fail(email: str) -> httpx.Response:
        return httpx.post(desk.url("/auth/login"), timeout=30,
                          json={"email": email, "password": "not the password at all"})

    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:  # both accounts at once: 20 failures, ~4 s
        answers = {email: list(pool.map(fail, [email] * 10))
                   for email in ("lee@example.com", "nobody@example.com")}
    took = time.monotonic() - started
    for email, got in answers.items():
        codes = sorted(r.status_code for r in got)
        assert codes == [401] * 9 + [429], (email, codes)
        assert {r.json()["error"]["code"] for r in got} == {"unauthorized", "too_many_requests"}
    then = {email: fail(email) for email in ("lee@example.com", "nobody@example.com")}
    assert {r.status_code for r in then.values()} == {429}
    assert len({r.json()["error"]["message"] for r in then.values()}) == 1
    for r in then.values():
        assert 0 < int(r.headers["Retry-After"]) <= 2 * 15 * 60  # sliding: two windows at most
    # The right password is refused too, by either worker (fresh connections land on both):
    # the failures are counted in the database, which every process reads before a session.
    for _ in range(4):
        right = httpx.post(desk.url("/auth/login"),
                           json={"email": "lee@example.com", "password": password})
        assert right.status_code == 429 and COOKIE not in right.headers.get("set-cookie", "")
    print(f"\n20 failed sign-ins answered in {took:.2f} s; lockout Retry-After "
          f"{then['lee@example.com'].headers['Retry-After']} s")


def test_a_supervisor_changes_a_queues_pointer_and_the_audit_names_them(desk: Desk) -> None:
    sup, password = desk.user("ana@example.com", "supervisor", queues=["default"])
    agents = [httpx.post(desk.url("/agents"), headers=ADMIN, json={"name": n}).json()
              for n in ("First", "Second")]
    browser = sign_in(desk, "ana@example.com", password)
    r = httpx.patch(desk.url("/queues/default"), headers=browser.writes,
                    json={"next_agent_id": agents[1]["id"]})
    assert r.status_code == 200, r.text
    entries = httpx.get(desk.url("/audit"), headers=ADMIN,
                        params={"kind": "queue", "subject": "default"}).json()["items"]
    pointer = next(e for e in entries if e["action"] == "pointer")
    assert pointer["actor"] == f"user:{sup['id']}"
    assert pointer["after"]["next_agent_id"] == agents[1]["id"]
    assert (pointer["by"]["user_id"], pointer["by"]["name"], pointer["by"]["via"]) == (
        sup["id"], "Ana", "session")


def test_deactivating_a_user_ends_their_sockets_and_session_within_a_second(
        desk: Desk) -> None:
    sup, password = desk.user("kim@example.com", "supervisor")
    browser = sign_in(desk, "kim@example.com", password)
    ws_url = desk.server.base_url.replace("http://", "ws://") + API + "/ws"
    # Several sockets, so that both workers likely hold some (the kernel spreads them).
    with ExitStack() as stack:
        sockets = [stack.enter_context(connect(ws_url, open_timeout=10,
                                               additional_headers=browser.reads))
                   for _ in range(4)]
        for ws in sockets:
            ws.send(json.dumps({"type": "auth", "csrf_token": browser.csrf}))
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        started = time.monotonic()
        gone = httpx.delete(desk.url(f"/users/{sup['id']}"), headers=ADMIN)
        assert gone.status_code == 200
        closed = [closed_after(ws, started) for ws in sockets]
        session_401 = httpx.get(desk.url("/me"), headers=browser.reads).status_code
        session_ended = time.monotonic() - started
    assert session_401 == 401
    print(f"\nsockets closed {', '.join(f'{t * 1000:.0f}' for t in closed)} ms after the "
          f"DELETE was sent; session refused after {session_ended * 1000:.0f} ms")
    assert max(closed) < 1.0 and session_ended < 1.0


def closed_after(ws: ClientConnection, started: float) -> float:
    """Seconds from `started` until the server closed the socket (4401, after telling)."""
    frames = []
    try:
        while True:
            frames.append(json.loads(ws.recv(timeout=5)))
    except ConnectionClosed as exc:
        assert exc.rcvd is not None and exc.rcvd.code == 4401, exc
    assert frames[-1]["type"] == "error" and frames[-1]["code"] == "unauthorized", frames
    assert any(f["type"] == "user.changed" and f["action"] == "deactivated" for f in frames)
    return time.monotonic() - started


def test_a_tokens_expiry_is_honoured(desk: Desk) -> None:
    """The server runs on the real clock: the token is made for a day, then its expiry is
    moved into the past in the database (as the day passing would leave it)."""
    _, password = desk.user("tom@example.com", "admin")
    browser = sign_in(desk, "tom@example.com", password)
    made = httpx.post(desk.url("/tokens"), headers=browser.writes,
                      json={"name": "nightly export", "role": "supervisor",
                            "expires_in_days": 1}).json()
    token = desk.keep(made["token"])
    key = {"Authorization": f"Bearer {token}"}
    assert httpx.get(desk.url("/audit"), headers=key).status_code == 200
    db = connect_db(desk.database_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == made["id"]).values(
                expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    finally:
        db.dispose()
    expired = httpx.get(desk.url("/audit"), headers=key)
    assert (expired.status_code, expired.json()["error"]["code"]) == (401, "unauthorized")
    listed = httpx.get(desk.url("/tokens"), headers=browser.reads)
    assert token not in listed.text and made["id"] in [t["id"] for t in listed.json()]


def test_no_password_or_token_in_responses_or_the_audit(desk: Desk) -> None:
    """Runs after the others in this module (pytest's order in a file; a random order only
    finds fewer secrets): every password and token handed out, and the one-time password of
    a reset, are nowhere in what the API answers afterwards."""
    pat, _ = desk.user("pat@example.com", "supervisor")
    reset = httpx.post(desk.url(f"/users/{pat['id']}/reset-password"), headers=ADMIN)
    desk.keep(reset.json()["one_time_password"])
    answers = [httpx.get(desk.url(path), headers=ADMIN, params=params).text
               for path, params in (("/users", {}), ("/audit", {"limit": 500}),
                                    ("/audit.csv", {}), ("/tokens", {"all": "true"}))]
    for text in answers:
        assert "$argon2" not in text
        for secret in desk.secrets:
            assert secret not in text
    audit = httpx.get(desk.url("/audit"), headers=ADMIN, params={"limit": 500}).json()
    kinds = {e["kind"] for e in audit["items"]}
    assert {"user", "token"} <= kinds, kinds
