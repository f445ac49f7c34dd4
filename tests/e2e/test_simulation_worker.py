"""A what-if runs in a worker process of the server; when the server is killed (SIGKILL, so
nothing of its own shutdown runs), the worker stops too instead of simulating for nobody."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.e2e_server import API, child_pids, running_server
from tests.support.server import ADMIN_TOKEN

pytestmark = pytest.mark.e2e


def _until(condition: object, seconds: float) -> bool:
    """Poll `condition` (a callable) until it holds or `seconds` pass: a worker starting
    announces itself nowhere but in /proc."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_the_worker_of_a_killed_server_stops(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    with running_server(url, tmp_path / "server.log", workers=1,
                       env={"GILIRAN_SIMULATION_SECONDS": "600"}) as server:
        assert server.proc is not None
        before = set(child_pids(server.proc.pid) or [])
        month = {"days": 30, "arrivals": {"per_hour": 250}, "agents": [{"count": 40}]}

        def ask() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
                httpx.post(f"{server.base_url}{API}/simulations", timeout=120,
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                           json={"scenario": month, "replications": 1})
        threading.Thread(target=ask, daemon=True).start()
        assert server.proc is not None
        pid = server.proc.pid

        def workers() -> set[int]:
            return {p for p in set(child_pids(pid) or []) - before
                    if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()}
        assert _until(workers, 60), "no worker started"
        (worker,) = workers()
        exited = os.pidfd_open(worker)  # readable once the process is gone: no polling
        server.crash()
        readable, _, _ = select.select([exited], [], [], 15)
        os.close(exited)
        assert readable, "the worker outlived its server"
