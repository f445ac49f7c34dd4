"""Rate limits on a real server with two worker processes, on SQLite and PostgreSQL: wrong
tokens from one address turn into 429s whichever worker answers; /metrics wants its token;
the docs page carries its Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.e2e_server import API, log_tail, logged_errors, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
LIMIT = 10


def test_failed_authentications_are_limited_across_workers(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    env = {"GILIRAN_AUTH_FAILURES_PER_MINUTE": str(LIMIT),
           "GILIRAN_METRICS_TOKEN": "scrape-token-0123456789"}
    with running_server(database_url, log, workers=2, env=env) as server:
        statuses, retry_after = [], []
        for _ in range(40):  # a new connection each time: both workers answer
            with httpx.Client(base_url=server.base_url) as http:
                r = http.get(API + "/agents", headers={"Authorization": "Bearer wrong"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                retry_after.append(int(r.headers["retry-after"]))
        with httpx.Client(base_url=server.base_url) as http:
            metrics = http.get("/metrics")
            docs = http.get(API + "/docs")
    assert not logged_errors(log), log_tail(log)
    print(f"\n40 wrong tokens from one address, 2 workers: {statuses.count(401)} x 401, "
          f"{statuses.count(429)} x 429")
    assert set(statuses) == {401, 429}
    # One window: exactly the limit; the minute may turn during the run: at most two.
    assert LIMIT <= statuses.count(401) <= 2 * LIMIT
    assert all(0 < s <= 120 for s in retry_after)  # sliding: at most two windows
    assert metrics.status_code in (401, 429)
    csp = docs.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
