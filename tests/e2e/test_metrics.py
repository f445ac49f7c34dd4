"""/metrics on a real server with two worker processes: the event counters of both workers
add up (prometheus_client's multiprocess mode, set up by `giliran serve`)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.e2e_server import API, log_tail, logged_errors, running_server
from tests.support.server import ADMIN_TOKEN

pytestmark = pytest.mark.e2e


def test_two_workers_count_together(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with running_server(database_url, log, workers=2) as server:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        # New connections per request, so both workers get some of them.
        for i in range(40):
            r = httpx.post(f"{server.base_url}{API}/tickets", json={"title": f"t{i}"},
                           headers=admin)
            assert r.status_code == 201
        text = httpx.get(f"{server.base_url}/metrics").text
    created = re.search(r"^giliran_tickets_created_total (\S+)$", text, re.MULTILINE)
    assert created and float(created.group(1)) == 40, text[:2000]
    depth = re.search(r'^giliran_queue_depth\{queue="default"\} (\S+)$', text, re.MULTILINE)
    assert depth and float(depth.group(1)) == 40
    assert not logged_errors(log), log_tail(log)
