"""The event stream on a real server with two worker processes: an event made by a request
to one process reaches a socket held by the other (each process polls the database)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.e2e_server import API, log_tail, logged_errors, running_server
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_sockets_on_any_worker_receive_events_made_by_any_worker(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with running_server(database_url, log, workers=2,
                        env={"GILIRAN_EVENT_POLL_SECONDS": "0.05"}) as server:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ws_url = server.base_url.replace("http://", "ws://") + API + "/ws"
        # Several sockets, so both workers hold some (connections are spread by the kernel).
        with ExitStack() as stack:
            sockets = [stack.enter_context(connect(ws_url, open_timeout=10)) for _ in range(4)]
            for s in sockets:
                s.send(json.dumps({"type": "auth", "token": ADMIN_TOKEN}))
                assert json.loads(s.recv(timeout=10))["type"] == "hello"
                assert json.loads(s.recv(timeout=10))["type"] == "snapshot"
            created = []
            for i in range(6):  # fresh connections: the requests land on both workers too
                r = httpx.post(f"{server.base_url}{API}/tickets", json={"title": f"t{i}"},
                               headers=admin)
                assert r.status_code == 201
                created.append(r.json()["id"])
            for s in sockets:
                got = []
                while len(got) < len(created):
                    msg = json.loads(s.recv(timeout=15))
                    if msg["type"] == "ticket.created":
                        got.append(msg["ticket"]["id"])
                assert got == created, "a socket missed or reordered events"
    assert not logged_errors(log), log_tail(log)
