"""Running a real `giliran serve` for a test, and talking to it the way many clients would.

`running_server` wraps ServerProcess so a test always stops it and can show its log.
`Actor` is one HTTP client (its own connection pool, its own token) that records every call
in a shared `Recorder`, so a test can afterwards assert on every status code it saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.server import ServerProcess

API = "/api/v1"
T = TypeVar("T")


@contextmanager
def running_server(
    database_url: str, log_path: Path, *, workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """A started server; with several workers, also checks they are really running."""
    server = ServerProcess(database_url, workers=workers, log_path=log_path, env=env or {})
    try:
        server.start()
        assert server.proc is not None
        found = child_pids(server.proc.pid)
        if workers > 1 and found is not None:
            assert len(found) >= workers, f"expected {workers} worker processes, found {found}"
        yield server
    finally:
        server.stop()


def child_pids(pid: int) -> list[int] | None:
    """Direct children of a process (Linux /proc); None where that is not available."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else None


def log_tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return "(no server log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def logged_errors(path: Path) -> list[str]:
    """Lines of the server log that report an unexpected error (tracebacks, 500 handler)."""
    if not path.exists():
        return []
    markers = ("Traceback", "unexpected error", "Exception in ASGI", "ERROR")
    return [line for line in path.read_text(errors="replace").splitlines()
            if any(m in line for m in markers)]


def wait_until(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Poll an observable state until `check` returns something truthy. Real-time tests wait on
    what the server does (a timer firing), never on a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Call:
    actor: str
    kind: str  # what the caller meant to do; tests map kinds to the statuses they allow
    method: str
    path: str
    status: int  # 0 when no HTTP response arrived (transport error)
    elapsed: float
    body: Any = None
    request: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def describe(self) -> str:
        text = f"{self.actor} {self.kind}: {self.method} {self.path} -> {self.status}"
        if self.request is not None:
            text += f" request={self.request!r}"
        if self.error:
            text += f" error={self.error}"
        elif self.body is not None:
            text += f" body={str(self.body)[:300]}"
        return text + f" ({self.elapsed * 1000:.0f} ms)"


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[Call]:
        return [c for c in self.calls if c.kind in kinds]

    def server_errors(self) -> list[Call]:
        return [c for c in self.calls if c.status >= 500 or c.status == 0]

    def unexpected(self, allowed: Mapping[str, set[int]]) -> list[Call]:
        return [c for c in self.calls if c.status not in allowed.get(c.kind, set())]

    def status_counts(self) -> dict[str, dict[int, int]]:
        counts: dict[str, dict[int, int]] = {}
        for c in self.calls:
            per_kind = counts.setdefault(c.kind, {})
            per_kind[c.status] = per_kind.get(c.status, 0) + 1
        return {k: dict(sorted(v.items())) for k, v in sorted(counts.items())}


class Actor:
    """One client of the API with its own connections, so concurrent actors really race."""

    def __init__(self, name: str, base_url: str, token: str, recorder: Recorder,
                 *, timeout: float = 30.0) -> None:
        self.name = name
        self.recorder = recorder
        self.client = httpx.AsyncClient(
            base_url=base_url + API,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    async def call(self, kind: str, method: str, path: str, *, json: Any = None,
                   params: Mapping[str, Any] | None = None) -> Call:
        start = time.monotonic()
        try:
            response = await self.client.request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            call = Call(self.name, kind, method, path, 0, time.monotonic() - start,
                        request=json, error=repr(exc))
        else:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            call = Call(self.name, kind, method, path, response.status_code,
                        time.monotonic() - start, body=body, request=json)
        self.recorder.calls.append(call)
        return call

    async def aclose(self) -> None:
        await self.client.aclose()
