"""Two replicas on one PostgreSQL database hear each other's commits at once (LISTEN/NOTIFY),
not at their next poll: with every poll and pass set to a minute, an event made on one replica
still reaches a socket on the other, and a webhook is still sent by the other, within seconds.
The poll stays the backstop: the listener comes back after its connection is cut."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support.e2e_server import API, log_tail, logged_errors, wait_until
from tests.support.postgres import Cluster
from tests.support.receiver import Receiver
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(180)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SLOW = "60"  # seconds between polls and passes: far longer than any wait below
HEARD_WITHIN = 15.0  # a wake-up takes milliseconds; this only bounds a failing test


@contextmanager
def replicas(database_url: str, tmp_path: Path,
             *envs: dict[str, str]) -> Iterator[list[ServerProcess]]:
    servers = [ServerProcess(database_url, log_path=tmp_path / f"replica-{i}.log", env=env)
               for i, env in enumerate(envs)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert server.log_path is not None
        assert not logged_errors(server.log_path), log_tail(server.log_path)


def admin_socket(stack: ExitStack, server: ServerProcess) -> ClientConnection:
    ws = stack.enter_context(connect(server.base_url.replace("http://", "ws://") + API + "/ws",
                                     open_timeout=10))
    ws.send(json.dumps({"type": "auth", "token": ADMIN_TOKEN}))
    assert json.loads(ws.recv(timeout=10))["type"] == "hello"
    assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
    return ws


def created_heard(ws: ClientConnection, ticket_id: int) -> None:
    """Reads the socket until the ticket's creation arrives; fails after HEARD_WITHIN s."""
    while True:
        try:
            msg = json.loads(ws.recv(timeout=HEARD_WITHIN))
        except TimeoutError:
            pytest.fail(f"ticket {ticket_id} did not reach the other replica's socket within "
                        f"{HEARD_WITHIN} s (its poll runs every {SLOW} s)")
        if msg["type"] == "ticket.created" and msg["ticket"]["id"] == ticket_id:
            return


def listeners(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                           " current_database() AND query LIKE 'LISTEN%'").fetchone()
    return int(row[0]) if row else 0


def test_an_event_reaches_a_socket_on_another_replica_long_before_its_poll(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    url = pg_cluster.fresh_database()
    slow = {"GILIRAN_EVENT_POLL_SECONDS": SLOW}
    with replicas(url, tmp_path, slow, slow) as (a, b), ExitStack() as stack:
        ws = admin_socket(stack, b)
        with httpx.Client(base_url=a.base_url + API, headers=ADMIN) as http:
            first = http.post("/tickets", json={"title": "one"}).json()["id"]
            created_heard(ws, first)

            # The database cuts every listening connection; each replica listens again, and
            # what commits meanwhile or after still arrives long before the next poll.
            wait_until(lambda: listeners(url) == 2, timeout=30,
                       what="both replicas listening")
            pg_cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE query LIKE 'LISTEN%'")
            second = http.post("/tickets", json={"title": "two"}).json()["id"]
            created_heard(ws, second)
            wait_until(lambda: listeners(url) == 2, timeout=30,
                       what="both replicas listening again")
            third = http.post("/tickets", json={"title": "three"}).json()["id"]
            created_heard(ws, third)


def test_a_replica_that_sends_nothing_wakes_the_senders_of_another(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    url = pg_cluster.fresh_database()
    # A serves the API only (its outbox loops are off); B sends, with a minute between
    # passes, so only a wake-up from A's commit can make it send at once.
    # The receiver is on loopback, which webhooks may reach only when allowed (SSRF).
    private = {"GILIRAN_WEBHOOK_ALLOW_PRIVATE": "true"}
    with (Receiver() as receiver,
          replicas(url, tmp_path, {"GILIRAN_OUTBOX": "false", **private}) as (a,),
          httpx.Client(base_url=a.base_url + API, headers=ADMIN) as http):
        assert http.post("/webhooks", json={
            "url": receiver.url, "secret": "replica-test-secret-01",
            "events": ["ticket.assigned"]}).status_code == 201
        token = http.post("/agents", json={"name": "A"}).json()["token"]
        http.post("/agent/go-online", headers={"Authorization": f"Bearer {token}"})
        # B starts once a webhook exists, so its first pass knows someone listens.
        with replicas(url, tmp_path, {"GILIRAN_TICK_SECONDS": SLOW,
                                      "GILIRAN_EVENT_POLL_SECONDS": SLOW, **private}):
            wait_until(lambda: listeners(url) == 2, timeout=30,
                       what="both replicas listening")
            ticket = http.post("/tickets", json={"title": "lead"}).json()
            assert ticket["status"] == "assigned"
            wait_until(lambda: receiver.received, timeout=HEARD_WITHIN,
                       what=f"the webhook sent by replica B (its pass runs every {SLOW} s)")
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [(b["type"], b["ticket"]["id"]) for b in bodies] == [
        ("ticket.assigned", ticket["id"])], bodies
