"""Webhooks may not point into private, loopback or link-local networks (SSRF), on SQLite and
PostgreSQL: refused when registered, and again when sending, after resolving the name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap, webhook_sender
from giliran.config import Settings
from giliran.domain.destinations import address_allowed
from giliran.entrypoints.api.app import create_app
from giliran.entrypoints.scheduler import Deliverer
from tests.integration.test_api_seed import ADMIN, make_agent, post_ticket
from tests.support.receiver import Receiver
from tests.support.server import ADMIN_TOKEN

API = "/api/v1"
SECRET = "receiver-shared-secret-0123"


REFUSED = [
    "http://169.254.169.254/latest/meta-data/",  # a cloud metadata service
    "http://127.0.0.1:8000/api/v1/agents",
    "http://localhost/hook",  # resolves to loopback
    "http://10.1.2.3/hook", "http://172.16.0.9/hook", "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://[::1]/hook", "http://[fe80::1]/hook", "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/hook", "http://224.0.0.1/hook",
]


def test_private_destinations_are_refused_when_registered(client: TestClient) -> None:
    for url in REFUSED:
        r = client.post(f"{API}/webhooks", json={"url": url, "secret": SECRET}, headers=ADMIN)
        assert (r.status_code, r.json()["error"]["code"]) == (
            422, "destination_not_allowed"), (url, r.text)
    assert client.get(f"{API}/webhooks", headers=ADMIN).json() == []


def test_public_destinations_are_registered(client: TestClient) -> None:
    for url in ("https://hooks.example.com/giliran", "http://93.184.215.14/hook"):
        r = client.post(f"{API}/webhooks", json={"url": url, "secret": SECRET}, headers=ADMIN)
        assert r.status_code == 201, r.text


def test_the_rule_on_addresses() -> None:
    assert address_allowed("8.8.8.8") and address_allowed("2606:4700:4700::1111")
    for refused in ("127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fe80::1%eth0",
                    "::ffff:10.0.0.1", "192.0.2.1", "not an address"):
        assert not address_allowed(refused), refused


@pytest.fixture
def allowing(database_url: str, clock: FakeClock) -> Iterator[tuple[TestClient, Container]]:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False, webhook_allow_private=True)
    container = bootstrap(settings, clock=clock)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            yield client, container
    finally:
        container.close()


def deliver(container: Container, *, allow_private: bool) -> int:
    async def run(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)  # off the loop, as the server's runner

    async def once() -> int:
        settings = container.settings.model_copy(update={
            "webhook_timeout_seconds": 5.0, "webhook_allow_private": allow_private})
        d = Deliverer(container.ctx, run, run, 1.0, 8, webhook_sender(settings))
        try:
            return await d.run_once()
        finally:
            await d.stop()
    return asyncio.run(once())


def test_a_name_that_resolves_to_a_private_address_is_refused_when_sending(
    allowing: tuple[TestClient, Container], clock: FakeClock
) -> None:
    """Registered while allowed; a sender that does not allow private addresses resolves
    `localhost`, finds loopback, and sends nothing."""
    client, container = allowing
    make_agent(client, "Sari")  # a member: the ticket waits for her, with no flag to deliver
    with Receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        r = client.post(f"{API}/webhooks", json={"url": url, "secret": SECRET}, headers=ADMIN)
        assert r.status_code == 201
        post_ticket(client, "t")
        assert deliver(container, allow_private=False) == 1
        assert receiver.received == []
        (attempt,) = client.get(f"{API}/deliveries", headers=ADMIN).json()["items"]
        assert attempt["status"] == "pending" and attempt["attempts"] == 1
        assert attempt["last_error"].startswith("destination not allowed")
        # The same delivery goes out where private destinations are allowed.
        clock.advance(60)
        assert deliver(container, allow_private=True) == 1
        assert len(receiver.received) == 1
