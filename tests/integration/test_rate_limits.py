"""Rate limits per client address, on SQLite and PostgreSQL: failed authentications and
inbound webhook calls, counted in the database so that two server processes (two apps on one
database here; a real server with two workers in tests/e2e) share them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from tests.integration.test_api_seed import ADMIN
from tests.support.server import ADMIN_TOKEN

API = "/api/v1"
WRONG = {"Authorization": "Bearer gla_not-a-real-token"}


@contextmanager
def apps(database_url: str, clock: FakeClock, n: int, **settings: object
         ) -> Iterator[list[TestClient]]:
    """`n` apps on one database: processes, as far as the limits can tell."""
    with ExitStack() as stack:
        clients = []
        for _ in range(n):
            container = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN,
                                           scheduler=False, outbox=False, **settings),
                                  clock=clock)
            stack.callback(container.close)
            clients.append(stack.enter_context(
                TestClient(create_app(container), raise_server_exceptions=False)))
        yield clients


def test_failed_authentications_past_the_limit_are_429_even_with_a_right_token(
    database_url: str, clock: FakeClock
) -> None:
    with apps(database_url, clock, 1, auth_failures_per_minute=5) as (client,):
        clock.set(clock.now().replace(second=0, microsecond=0))
        statuses = [client.get(f"{API}/agents", headers=WRONG).status_code for _ in range(5)]
        assert statuses == [401] * 5
        over = client.get(f"{API}/agents", headers=WRONG)
        assert (over.status_code, over.json()["error"]["code"]) == (429, "too_many_requests")
        assert over.headers["retry-after"] == "61"  # sliding: 6 hits decay under 6 after 61 s
        right = client.get(f"{API}/agents", headers=ADMIN)  # a right guess is refused too
        assert right.status_code == 429
        assert client.get(f"{API}/agents").status_code == 429
        clock.advance(61)
        assert client.get(f"{API}/agents", headers=ADMIN).status_code == 200


def test_the_limit_holds_across_processes(database_url: str, clock: FakeClock) -> None:
    with apps(database_url, clock, 2, auth_failures_per_minute=6) as (one, two):
        clock.set(clock.now().replace(second=0, microsecond=0))
        assert [one.get(f"{API}/agents", headers=WRONG).status_code
                for _ in range(4)] == [401] * 4
        assert [two.get(f"{API}/agents", headers=WRONG).status_code
                for _ in range(3)] == [401, 401, 429]
        # `one` learns it on the address's next failure there.
        assert one.get(f"{API}/agents", headers=WRONG).status_code == 429
        assert one.get(f"{API}/agents", headers=ADMIN).status_code == 429


def test_missing_tokens_are_not_counted(database_url: str, clock: FakeClock) -> None:
    with apps(database_url, clock, 1, auth_failures_per_minute=2) as (client,):
        assert {client.get(f"{API}/agents").status_code for _ in range(10)} == {401}
        assert client.get(f"{API}/agents", headers=ADMIN).status_code == 200


def test_wrong_webhook_secrets_count_as_failed_authentication(
    database_url: str, clock: FakeClock
) -> None:
    with apps(database_url, clock, 1, auth_failures_per_minute=3,
              whatsapp_verify_token="verify-token-0123456789",
              whatsapp_app_secret="app-secret-0123456789") as (client,):
        clock.set(clock.now().replace(second=0, microsecond=0))
        params = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
        got = [client.get(f"{API}/webhooks/whatsapp", params=params).status_code
               for _ in range(4)]
        assert got == [403, 403, 403, 429]
        bad = client.post(f"{API}/webhooks/whatsapp", content=b"{}",
                          headers={"X-Hub-Signature-256": "sha256=00"})
        assert bad.status_code == 429


def test_inbound_webhook_calls_are_limited_per_address(
    database_url: str, clock: FakeClock
) -> None:
    with apps(database_url, clock, 2, webhook_calls_per_minute=4) as (one, two):
        clock.set(clock.now().replace(second=0, microsecond=0))
        got = [c.post(f"{API}/webhooks/telegram", content=b"{}").status_code
               for c in (one, two, one, two, one)]
        assert got == [503, 503, 503, 503, 429]  # no bot here: 503, until the limit
        r = two.post(f"{API}/webhooks/whatsapp", content=b"{}")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


@pytest.mark.parametrize("limit", [0])
def test_zero_turns_the_limit_off(database_url: str, clock: FakeClock, limit: int) -> None:
    with apps(database_url, clock, 1, auth_failures_per_minute=limit) as (client,):
        assert {client.get(f"{API}/agents", headers=WRONG).status_code
                for _ in range(30)} == {401}
