"""Browser tests: the dashboards in Debian's headless Chromium, driven by Playwright, against a
real `giliran serve` on SQLite. Without /usr/bin/chromium they skip with the reason, except
under CI=true, where the suite must not pass without them."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.e2e_server import API, log_tail, logged_errors, running_server
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.sqlite_template import migrated_sqlite

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps calling home, which a closed network floods.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[2]
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = (f"the browser tests need Debian's Chromium at {CHROMIUM} "
                  "(apt-get install chromium)")
        if IN_CI:
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def serving(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """A real server on a fresh SQLite file (with `env` on top of the fast timers), or on the
    one already there (a seeded floor's, which the server's start migrates); its log must
    show no unexpected error when it stops."""
    database = tmp_path / "giliran.db"
    url = f"sqlite:///{database}" if database.exists() else migrated_sqlite(database)
    log = tmp_path / "server.log"
    fast = {"GILIRAN_EVENT_POLL_SECONDS": "0.05", "GILIRAN_TICK_SECONDS": "0.2"}
    with running_server(url, log, workers=1, env={**fast, **(env or {})}) as started:
        yield started
    assert not logged_errors(log), log_tail(log)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with serving(tmp_path) as started:
        yield started


@pytest.fixture(scope="module")
def busy_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A seeded supervisors' console (tests/browser/console_floor.py) for a module's tests,
    which read what they expect from the API rather than assuming a fresh floor. Not one for
    the session: its server's timers (0.2 s, 2,000 tickets) would run on beside every later
    test of the suite, which made the whole suite minutes slower."""
    from tests.browser.console_floor import console_floor  # it builds on this module

    with console_floor(tmp_path_factory.mktemp("console")) as started:
        yield started


# What the console logs when a page asks whether it is signed in and is not yet (GET /me).
SIGNED_OUT = "status of 401 (Unauthorized)"
# Every person the tests make signs in with this (long enough, not a common password).
PASSWORD = "Giliran-test-pass-42"


_people = itertools.count(1)


def email_of(name: str) -> str:
    """Unique on a server that a module's tests share, even for two people of one name."""
    slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
    return f"{slug}.{next(_people)}@example.test"


@dataclass
class Floor:
    """The API, as the tests' other actors (an intake, a supervisor's script) use it."""

    base_url: str
    _admin: dict[str, Any] | None = None

    def call(self, method: str, path: str, token: str = ADMIN_TOKEN, **body: Any) -> Any:
        r = httpx.request(method, f"{self.base_url}{API}{path}", json=body or None,
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def person(self, name: str, role: str = "admin", **fields: Any) -> dict[str, Any]:
        """A user who signs in with `email` and PASSWORD (POST /users with the admin token)."""
        made: dict[str, Any] = self.call("POST", "/users", name=name, role=role,
                                         email=fields.pop("email", email_of(name)),
                                         password=PASSWORD, **fields)
        return {**made, "password": PASSWORD}

    @property
    def admin(self) -> dict[str, Any]:
        """The console's user in most tests: an admin, made on first use."""
        if self._admin is None:
            self._admin = self.person("Ayu Admin")
        return self._admin

    def agent(self, name: str, *, online: bool = True, **fields: Any) -> dict[str, Any]:
        """A user with the agent role and its agent record (`id` is the agent's), with its
        settings as POST /agents takes them, and a personal token for the test's own calls."""
        language = fields.pop("language", None)
        made = self.person(name, "agent", **({"language": language} if language else {}))
        if fields:
            self.call("PATCH", f"/agents/{made['agent_id']}", **fields)
        with httpx.Client(base_url=f"{self.base_url}{API}", timeout=10) as client:
            signed = client.post("/auth/login", json={"email": made["email"],
                                                      "password": PASSWORD})
            assert signed.status_code == 200, signed.text
            csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
            token = client.post("/tokens", json={"name": "tests", "role": "agent"},
                                headers=csrf)
            assert token.status_code == 201, token.text
            client.post("/auth/logout", headers=csrf)  # only the page's sessions are listed
        agent = {**made, "id": made["agent_id"], "user_id": made["id"],
                 "token": token.json()["token"]}
        if online:
            self.call("POST", "/agent/go-online", token=agent["token"])
        return agent

    def ticket(self, title: str, **fields: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.call("POST", "/tickets", title=title, **fields)
        return created


@pytest.fixture
def floor(server: ServerProcess) -> Floor:
    return Floor(server.base_url)


@dataclass
class Tab:
    """A page and what went wrong in it: script errors and console errors (a refused
    Content-Security-Policy shows there too)."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def assert_clean(self, *expected: str) -> None:
        """No errors but the `expected` ones (the browser logs every refused request)."""
        unexpected = [e for e in self.errors if not any(x in e for x in expected)]
        assert not unexpected, unexpected


@pytest.fixture
def open_tab(browser: Browser, server: ServerProcess) -> Iterator[Any]:
    contexts: list[BrowserContext] = []

    def open_(path: str, *, user: dict[str, Any] | None = None, locale: str = "en-US",
              viewport: dict[str, int] = LAPTOP, relay: Relay | None = None) -> Tab:
        """A page signed in as `user` (its cookie set through the API, which is quicker than
        the form; tests of the form itself use `sign_in`)."""
        # Each tab has its own context: its own cookies, so its own session.
        context = browser.new_context(locale=locale, viewport=viewport)
        contexts.append(context)
        if relay is not None:  # its socket goes through the test from the start
            context.route_web_socket("**/api/v1/ws", relay.route)
        tab = Tab(context.new_page())
        tab.page.on("pageerror", lambda exc: tab.errors.append(f"page error: {exc}"))
        tab.page.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
        if user is not None:
            signed = context.request.post(f"{server.base_url}{API}/auth/login", data={
                "email": user["email"], "password": user["password"]})
            assert signed.ok, signed.text()
        tab.page.goto(server.base_url + path)
        if user is not None:
            expect(tab.page.locator("#content")).to_be_visible()
        return tab

    yield open_
    for context in contexts:
        context.close()


def show_view(page: Page, view: str) -> None:
    """Move to one of the console's views as a supervisor does: its link in the bar."""
    page.locator(f'.console-nav a[data-view-link="{view}"]').click()
    expect(page.locator(f'.view[data-view="{view}"]')).to_be_visible()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Through the form, as a person would (the labels in either language)."""
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(password)
    page.locator("#login-form button[type=submit]").click()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the pictures go: docs/screenshots with GILIRAN_SCREENSHOTS=1 (to refresh the ones
    the README shows), else a temporary folder, so a plain run leaves the tree alone."""
    if os.environ.get("GILIRAN_SCREENSHOTS") == "1":
        return REPO / "docs" / "screenshots"
    target = tmp_path / "screenshots"
    target.mkdir()
    return target


def no_horizontal_overflow(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        " && document.body.scrollWidth <= window.innerWidth"))


class Relay:
    """A page's socket through the test: frames from the server that `hold` picks wait until
    `release`; `drop` closes the socket as a network would."""

    def __init__(self) -> None:
        self.hold: Callable[[str], bool] | None = None
        self.held: list[tuple[Any, str]] = []
        self.sockets: list[tuple[Any, Any]] = []
        self.sent: list[str | bytes] = []  # what the page sent
        self.dropped: list[Any] = []

    def route(self, ws: Any) -> None:
        server = ws.connect_to_server()
        self.sockets.append((ws, server))
        server.on_message(lambda frame: self._from_server(ws, frame))
        ws.on_message(lambda frame: self._from_page(server, frame))

    def _from_page(self, server: Any, frame: str | bytes) -> None:
        self.sent.append(frame)
        server.send(frame)

    def _from_server(self, ws: Any, frame: str | bytes) -> None:
        if any(ws is dropped for dropped in self.dropped):
            return  # the page's side is closed
        if self.hold is not None and isinstance(frame, str) and self.hold(frame):
            self.held.append((ws, frame))
        else:
            ws.send(frame)

    @property
    def opened(self) -> int:
        return len(self.sockets)

    def release(self) -> None:
        self.hold = None
        for ws, frame in self.held:
            ws.send(frame)
        self.held.clear()

    def drop(self) -> None:
        page_side, server = self.sockets[-1]
        self.dropped.append(page_side)
        server.close()
        page_side.close(code=1012, reason="dropped by the test")


def relay_socket(page: Page) -> Relay:
    """Route the page's socket through the test, from a reload on (the page keeps its token)."""
    relay = Relay()
    page.route_web_socket("**/api/v1/ws", relay.route)
    page.reload()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    return relay
