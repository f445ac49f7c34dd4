"""A real `giliran serve` process on a free loopback port, for end-to-end and concurrency tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.postgres import free_port

ADMIN_TOKEN = "test-admin-token-0123456789"


@dataclass
class ServerProcess:
    database_url: str
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    port: int = field(default_factory=free_port)
    access_log: bool = False
    # The command after `giliran`, when not the usual `serve ...` (e.g. a systemd unit's).
    args: list[str] | None = None
    # Where it runs (a relative SQLite path or token file is read from there).
    cwd: Path | None = None
    # None: no GILIRAN_ADMIN_TOKEN, so `serve` generates one as on a newcomer's first run.
    admin_token: str | None = ADMIN_TOKEN
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "GILIRAN_DATABASE_URL": self.database_url, **self.env}
        if self.admin_token is not None:
            env["GILIRAN_ADMIN_TOKEN"] = self.admin_token
        else:
            env.pop("GILIRAN_ADMIN_TOKEN", None)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        args = self.args or [
            "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers",
            str(self.workers), "--access-log" if self.access_log else "--no-access-log"]
        self.proc = subprocess.Popen([sys.executable, "-m", "giliran", *args],
                                     env=env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.cwd)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"giliran serve exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base_url + "/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling for readiness, not standing in for synchronisation
        raise TimeoutError("giliran serve did not become ready")

    def crash(self) -> None:
        """SIGKILL: the process dies at once, and none of its shutdown code runs."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
