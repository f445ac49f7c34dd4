"""Outgoing webhooks through the outbox, on SQLite and PostgreSQL, against a local receiver:
signatures, retries with backoff on a fake clock, the dead letter, and validation."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap, webhook_sender
from giliran.config import Settings
from giliran.entrypoints.scheduler import Deliverer
from giliran.service.events import outbox
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket
from tests.support.receiver import Receiver
from tests.support.server import ADMIN_TOKEN

API = "/api/v1"
SECRET = "receiver-shared-secret-0123"


@pytest.fixture
def container(database_url: str, clock: FakeClock) -> Iterator[Container]:
    """The receiver listens on loopback, which webhooks may reach only when allowed."""
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, random_seed=7,
                        scheduler=False, outbox=False, webhook_allow_private=True)
    c = bootstrap(settings, clock=clock)
    yield c
    c.close()


def deliver(container: Container, max_attempts: int = 8) -> int:
    """One delivery pass, as the server's Deliverer runs it (its runners call straight
    through here); returns how many deliveries it attempted."""
    async def run(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)  # off the loop, as the server's runner

    async def once() -> int:
        settings = container.settings.model_copy(update={"webhook_timeout_seconds": 5.0})
        d = Deliverer(container.ctx, run, run, 1.0, max_attempts, webhook_sender(settings))
        try:
            return await d.run_once()
        finally:
            await d.stop()
    return asyncio.run(once())


def register(client: TestClient, url: str, **extra: Any) -> dict[str, Any]:
    r = client.post(f"{API}/webhooks", json={"url": url, "secret": SECRET, **extra},
                    headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_events_arrive_signed_with_a_stable_idempotency_key(
    client: TestClient, container: Container
) -> None:
    with Receiver() as receiver:
        hook = register(client, receiver.url, events=["ticket.assigned"])
        assert "secret" not in hook and SECRET not in json.dumps(
            client.get(f"{API}/webhooks", headers=ADMIN).json())
        agent = make_agent(client, "A")
        online(client, agent)
        ticket = post_ticket(client, "lead")
        assert deliver(container) == 1
        (got,) = receiver.received
        expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-Giliran-Signature"] == expected
        body = json.loads(got.body)
        assert (body["type"], body["ticket"]["id"], body["to_agent_id"]) == (
            "ticket.assigned", ticket["id"], agent["id"])
        assert got.headers["Idempotency-Key"] == f"{body['id']}:{hook['id']}"
        assert deliver(container) == 0, "delivered twice"


def test_failures_are_retried_with_backoff_and_then_delivered(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    with Receiver(failures_left=2) as receiver:
        register(client, receiver.url, events=["ticket.created"])
        post_ticket(client, "t")
        assert deliver(container) == 1  # fails: 500
        (pending,) = client.get(f"{API}/deliveries", headers=ADMIN).json()["items"]
        assert (pending["status"], pending["attempts"], pending["last_error"]) == (
            "pending", 1, "HTTP 500")
        assert deliver(container) == 0, "retried before its backoff ran out"
        clock.advance(2)
        assert deliver(container) == 1  # fails again
        clock.advance(3)
        assert deliver(container) == 0, "the second wait is 4 s"
        clock.advance(1)
        assert deliver(container) == 1
        (done,) = client.get(f"{API}/deliveries", headers=ADMIN).json()["items"]
        assert (done["status"], done["attempts"]) == ("delivered", 3)
        keys = {r.headers["Idempotency-Key"] for r in receiver.received}
        assert len(receiver.received) == 3 and len(keys) == 1


def test_after_the_last_attempt_a_delivery_is_dead_and_can_be_retried(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    with Receiver(always_fail=True) as receiver:
        register(client, receiver.url, events=["ticket.created"])
        post_ticket(client, "t")
        for _ in range(3):
            deliver(container, 3)
            clock.advance(600)
        dead = client.get(f"{API}/deliveries", params={"status": "dead"}, headers=ADMIN).json()
        assert dead["total"] == 1 and dead["items"][0]["attempts"] == 3
        assert len(receiver.received) == 3
        receiver.always_fail = False
        retried = client.post(f"{API}/deliveries/{dead['items'][0]['id']}/retry",
                              headers=ADMIN)
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        assert deliver(container, 3) == 1
        again = client.post(f"{API}/deliveries/{dead['items'][0]['id']}/retry", headers=ADMIN)
        assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition"), \
            "only a dead delivery can be retried"


def test_an_unreachable_receiver_is_an_error_not_a_crash(
    client: TestClient, container: Container
) -> None:
    register(client, "http://127.0.0.1:9/nothing-listens-here")
    post_ticket(client, "t")
    deliver(container)
    items = client.get(f"{API}/deliveries", headers=ADMIN).json()["items"]
    assert items and all(i["status"] == "pending" and "Error" in i["last_error"]
                         for i in items)


@pytest.mark.parametrize("bad", [
    {"url": "ftp://example.com/x", "secret": SECRET},
    {"url": "not a url", "secret": SECRET},
    {"url": "https://example.com/x", "secret": "short"},
    {"url": "https://example.com/x", "secret": SECRET, "events": ["ticket.exploded"]},
    {"url": "https://example.com/x"},
])
def test_webhook_registration_is_validated(client: TestClient, bad: dict[str, Any]) -> None:
    r = client.post(f"{API}/webhooks", json=bad, headers=ADMIN)
    assert r.status_code == 422
    assert SECRET not in r.text and client.get(f"{API}/webhooks", headers=ADMIN).json() == []


def test_only_admins_manage_webhooks(client: TestClient) -> None:
    agent = make_agent(client, "A")
    r = client.post(f"{API}/webhooks", json={"url": "https://example.com/x", "secret": SECRET},
                    headers=bearer(agent["token"]))
    assert r.status_code == 403


def test_two_senders_at_once_never_send_the_same_delivery(
    client: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Deliverer, "BATCH", 4)  # small claims, so the two senders interleave

    def drain(_: int) -> list[int]:
        passes = []
        while (n := deliver(container)) > 0:
            passes.append(n)
        return passes

    with Receiver() as receiver:
        register(client, receiver.url, events=["ticket.created"])
        for i in range(30):
            post_ticket(client, f"t{i}")
        with ThreadPoolExecutor(2) as pool:
            passes = list(pool.map(drain, range(2)))
        assert sum(map(sum, passes)) == 30, passes  # between them, each taken once
        keys = [r.headers["Idempotency-Key"] for r in receiver.received]
        assert len(keys) == len(set(keys)) == 30
        delivered = client.get(f"{API}/deliveries", params={"status": "delivered"},
                               headers=ADMIN).json()
        assert delivered["total"] == 30


def test_old_successful_deliveries_are_forgotten_but_dead_ones_stay(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    with Receiver() as good, Receiver(always_fail=True) as bad:
        register(client, good.url, events=["ticket.created"])
        register(client, bad.url, events=["ticket.created"])
        post_ticket(client, "t")
        deliver(container, 1)  # one attempt each: good delivered, bad dead
        clock.advance(73 * 3600)
        assert outbox.prune(container.ctx, timedelta(hours=72)) == 1
        left = client.get(f"{API}/deliveries", headers=ADMIN).json()["items"]
        assert [d["status"] for d in left] == ["dead"]
