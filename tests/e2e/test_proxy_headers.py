"""Behind a proxy the app sees the client's address, not the proxy's: `giliran serve` believes
X-Forwarded-For from the addresses in GILIRAN_FORWARDED_ALLOW_IPS (loopback by default, where
nginx runs in deploy/), and from nobody else. uvicorn's access log shows the address the app
sees."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.e2e_server import wait_until
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
CLIENT = "203.0.113.7"  # what the proxy says the client's address was


def address_logged(tmp_path: Path, name: str, env: dict[str, str]) -> str:
    """Where the app says a request forwarded from CLIENT came from."""
    log = tmp_path / f"{name}.log"
    server = ServerProcess(f"sqlite:///{tmp_path / f'{name}.db'}", log_path=log, env=env,
                           access_log=True)
    server.start()
    try:
        httpx.get(server.base_url + "/healthz", headers={"X-Forwarded-For": CLIENT})
        line = wait_until(lambda: next((ln for ln in log.read_text().splitlines()
                                        if '"GET /healthz' in ln), None),
                          timeout=20, what="the access log line")
    finally:
        server.stop()
    return line.split(" - ")[0].split()[-1].rsplit(":", 1)[0]


def test_the_client_address_is_the_one_a_trusted_proxy_forwards(tmp_path: Path) -> None:
    assert address_logged(tmp_path, "behind-nginx", {}) == CLIENT


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    env = {"GILIRAN_FORWARDED_ALLOW_IPS": "192.0.2.1"}  # the proxy lives elsewhere
    assert address_logged(tmp_path, "direct", env) == "127.0.0.1"
