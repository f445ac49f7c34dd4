"""Smoke test of a real `giliran serve` (two worker processes, SQLite): the seed scenario
through HTTP. Every request opens a new connection, so consecutive steps are likely served by
different workers and each must see what the other committed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.e2e_server import API, log_tail, logged_errors, running_server
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


class Api:
    def __init__(self, server: ServerProcess) -> None:
        # No keep-alive: each request is a new connection, spread over the workers.
        self.http = httpx.Client(base_url=server.base_url + API, timeout=15.0,
                                 limits=httpx.Limits(max_keepalive_connections=0))

    def call(self, method: str, path: str, token: str = ADMIN_TOKEN, *, expect: int = 200,
             **kwargs: Any) -> Any:
        r = self.http.request(method, path, headers={"Authorization": f"Bearer {token}"},
                              **kwargs)
        assert r.status_code == expect, f"{method} {path} -> {r.status_code}: {r.text}"
        return r.json()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path / 'smoke.db'}"  # a new file: `serve` migrates it on start
    log = tmp_path / "server.log"
    with running_server(url, log, workers=2) as server:
        client = Api(server)
        try:
            yield client
        finally:
            client.http.close()
    assert not logged_errors(log), log_tail(log)


def test_seed_scenario_over_http(api: Api) -> None:
    agents = [
        api.call("POST", "/agents", expect=201,
                 json={"name": name, "max_tickets": 1, "rotation_order": order})
        for order, name in enumerate("ABCDE", start=1)
    ]
    ids = [a["id"] for a in agents]
    for a in agents:
        assert api.call("POST", "/agent/go-online", a["token"])["online"] is True

    # Leads at 10:00, 10:01, 10:02, ... go A, B, C, D, E in rotation order.
    leads = [api.call("POST", "/tickets", expect=201, json={"title": f"lead {i}"})
             for i in range(1, 6)]
    assert [t["assigned_agent_id"] for t in leads] == ids
    assert all(t["status"] == "assigned" for t in leads)
    for agent, lead in zip(agents, leads, strict=True):
        mine = api.call("GET", "/agent/my-queue", agent["token"])
        assert [t["id"] for t in mine["queue"]] == [lead["id"]]
        assert (mine["count"], mine["max"]) == (1, 1)

    # Everyone is full: the sixth lead waits at the head of the queue.
    sixth = api.call("POST", "/tickets", expect=201, json={"title": "lead 6"})
    assert sixth["status"] == "queued"
    assert sixth["assigned_agent_id"] is None
    assert sixth["queue_position"] == 1
    queued = api.call("GET", "/tickets", params={"status": "queued"})
    assert [t["id"] for t in queued["items"]] == [sixth["id"]]

    # A starts work and stays full; the sixth still waits.
    a_token, c_token = agents[0]["token"], agents[2]["token"]
    assert api.call("POST", f"/tickets/{leads[0]['id']}/accept", a_token)["status"] == "in_progress"
    assert api.call("GET", f"/tickets/{sixth['id']}")["status"] == "queued"
    # Nobody may complete a ticket someone else holds.
    api.call("POST", f"/tickets/{leads[0]['id']}/complete", c_token, expect=403)

    # C completes its lead (once accepted: not before): the sixth goes to C at once, and to
    # no one else.
    refused = api.call("POST", f"/tickets/{leads[2]['id']}/complete", c_token, expect=409)
    assert refused["error"]["code"] == "not_accepted"
    api.call("POST", f"/tickets/{leads[2]['id']}/accept", c_token)
    done = api.call("POST", f"/tickets/{leads[2]['id']}/complete", c_token)
    assert done["status"] == "completed"
    now = api.call("GET", f"/tickets/{sixth['id']}")
    assert (now["status"], now["assigned_agent_id"]) == ("assigned", ids[2])
    assert [t["id"] for t in api.call("GET", "/agent/my-queue", c_token)["queue"]] == [sixth["id"]]
    history = api.call("GET", f"/tickets/{sixth['id']}/history")
    assert [(h["event"], h["reason"], h["to_agent_id"]) for h in history] == [
        ("created", "created", None), ("assigned", "refill", ids[2])]
    # Completing twice is a conflict, not a second release.
    api.call("POST", f"/tickets/{leads[2]['id']}/complete", c_token, expect=409)

    workload = api.call("GET", "/workload")
    assert {a["id"]: a["active_tickets"] for a in workload["agents"]} == dict.fromkeys(ids, 1)
    assert workload["queue"]["pending"] == 0
