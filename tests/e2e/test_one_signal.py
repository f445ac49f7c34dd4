"""One signal after commit: a commit wakes the event hub and the senders of its own process at
once, SQLite included, and (on PostgreSQL) those of every other replica, with no route waking
anything by hand. Every poll and pass is set far longer than any wait below, so only the
signal can explain what arrives: a new ticket on an open socket, the customer's answer and an
agent's reply on the (fake) chat server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect as connect_db
from giliran.channels.telegram.fake import FakeTelegram
from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.postgres import Cluster
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SECRET = "e2e-signal-secret_0123456789"
CUSTOMER = 555
POLL = "10"  # GILIRAN_EVENT_POLL_SECONDS: the hub's backstop poll
TICK = "30"  # GILIRAN_TICK_SECONDS: the senders' (and the timers') pass
AT_ONCE = 3.0  # seconds: a wake takes milliseconds; this bounds a failing test, below POLL


def slow_env(fake: FakeTelegram) -> dict[str, str]:
    return {"GILIRAN_EVENT_POLL_SECONDS": POLL, "GILIRAN_TICK_SECONDS": TICK,
            "GILIRAN_TELEGRAM_BOT_TOKEN": fake.token, "GILIRAN_TELEGRAM_API_URL": fake.url,
            "GILIRAN_TELEGRAM_WEBHOOK_SECRET": SECRET}


@contextmanager
def admin_socket(server: ServerProcess) -> Iterator[ClientConnection]:
    with connect(server.base_url.replace("http://", "ws://") + API + "/ws",
                 open_timeout=10) as ws:
        ws.send(json.dumps({"type": "auth", "token": ADMIN_TOKEN}))
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        yield ws


def seconds_until_created(ws: ClientConnection, ticket_id: int, posted: float) -> float:
    """Reads the socket until the ticket's creation arrives: how long after `posted`."""
    while True:
        left = posted + AT_ONCE - time.monotonic()
        try:
            msg = json.loads(ws.recv(timeout=max(left, 0.001)))
        except TimeoutError:
            pytest.fail(f"ticket {ticket_id} did not reach the socket within {AT_ONCE} s "
                        f"(the poll runs every {POLL} s)")
        if msg["type"] == "ticket.created" and msg["ticket"]["id"] == ticket_id:
            return time.monotonic() - posted


def post_update(http: httpx.Client, update: dict[str, Any]) -> None:
    answer = http.post("/webhooks/telegram", json=update,
                       headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert answer.status_code == 200, answer.text


def sent_at_once(fake: FakeTelegram, text: str) -> None:
    wait_until(lambda: any(text in m for m in fake.sent_to(CUSTOMER)), timeout=AT_ONCE,
               what=f"{text!r} on the chat server (the senders' pass runs every {TICK} s)")


def customer_writes_and_is_answered(fake: FakeTelegram, to: httpx.Client,
                                    reply_on: httpx.Client, words: str) -> None:
    """The customer's message opens a ticket, whose number goes back to them at once; an
    admin's reply to it (no agent, so no linked chat anyone listens on) goes out at once."""
    post_update(to, fake.message(CUSTOMER, words))
    opened = next(t for t in to.get("/tickets", params={"limit": 100}).json()["items"]
                  if t["title"] == words)
    sent_at_once(fake, f"Your ticket {opened['number']} is open")
    answer = f"About {words!r}: on its way"
    assert reply_on.post(f"/tickets/{opened['id']}/messages",
                         json={"text": answer}).status_code == 201
    sent_at_once(fake, answer)


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[ServerProcess, FakeTelegram]]:
    """One process on SQLite, shared by the tests below (each starts from what is there)."""
    tmp = tmp_path_factory.mktemp("one-signal")
    url = f"sqlite:///{tmp / 'giliran.db'}"
    db = connect_db(url)
    migrate.upgrade(db)
    db.dispose()
    log = tmp / "server.log"
    with FakeTelegram() as fake, running_server(url, log, workers=1,
                                                env=slow_env(fake)) as server:
        yield server, fake
    assert not logged_errors(log), log_tail(log)


def test_one_process_on_sqlite_delivers_new_tickets_to_a_socket_without_waiting_for_a_poll(
    sqlite_server: tuple[ServerProcess, FakeTelegram],
) -> None:
    server, _ = sqlite_server
    with admin_socket(server) as ws, httpx.Client(base_url=server.base_url + API,
                                                  headers=ADMIN) as http:
        waits = []
        # Five in a row, each within AT_ONCE: one poll every 10 s could explain one at most.
        for i in range(5):
            posted = time.monotonic()
            ticket = http.post("/tickets", json={"title": f"signal {i}"}).json()
            waits.append(seconds_until_created(ws, ticket["id"], posted))
    print(f"POST to frame on one SQLite process: {', '.join(f'{w * 1000:.0f}' for w in waits)}"
          " ms")


def test_one_process_on_sqlite_sends_answers_and_replies_without_waiting_for_a_pass(
    sqlite_server: tuple[ServerProcess, FakeTelegram],
) -> None:
    server, fake = sqlite_server
    with httpx.Client(base_url=server.base_url + API, headers=ADMIN) as http:
        customer_writes_and_is_answered(fake, http, http, "Where is my parcel?")


@pytest.mark.postgres
def test_replicas_hear_each_others_commits_through_the_same_signal(
    pg_cluster: Cluster, tmp_path: Path,
) -> None:
    """A sends (and holds the socket); B serves the API only, so what B commits reaches A's
    hub and A's courier only through PostgreSQL's NOTIFY, published on A's signal."""
    url = pg_cluster.fresh_database()
    with FakeTelegram() as fake, ExitStack() as stack:
        a = ServerProcess(url, log_path=tmp_path / "a.log", env=slow_env(fake))
        b = ServerProcess(url, log_path=tmp_path / "b.log",
                          env={**slow_env(fake), "GILIRAN_OUTBOX": "false"})
        for server in (a, b):
            stack.callback(server.stop)
            server.start()
        ws = stack.enter_context(admin_socket(a))
        on_b = stack.enter_context(httpx.Client(base_url=b.base_url + API, headers=ADMIN))
        for i in range(3):
            posted = time.monotonic()
            ticket = on_b.post("/tickets", json={"title": f"across {i}"}).json()
            seconds_until_created(ws, ticket["id"], posted)
        customer_writes_and_is_answered(fake, on_b, on_b, "Is the shop open?")
    for log in (tmp_path / "a.log", tmp_path / "b.log"):
        assert not logged_errors(log), log_tail(log)
