"""Delivery rules: the backoff schedule, the dead letter, and the signature a receiver checks."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.domain import delivery as d
from giliran.domain.errors import InvalidTransition

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_backoff_doubles_from_two_seconds_and_stops_at_ten_minutes() -> None:
    waits = [d.backoff(n).total_seconds() for n in range(1, 12)]
    assert waits[:5] == [2, 4, 8, 16, 32]
    assert max(waits) == 600 and waits == sorted(waits)


@given(st.integers(1, 20), st.integers(1, 20))
def test_a_delivery_dies_exactly_at_its_last_attempt(max_attempts: int, failures: int) -> None:
    delivery = d.Delivery(1, 1, 1, next_attempt_at=NOW)
    for n in range(1, failures + 1):
        if delivery.status is d.DeliveryStatus.DEAD:
            break
        d.failed(delivery, "HTTP 500", now=NOW, max_attempts=max_attempts)
        assert delivery.attempts == n
    dead = failures >= max_attempts
    assert (delivery.status is d.DeliveryStatus.DEAD) == dead
    assert (delivery.next_attempt_at is None) == dead
    if not dead:
        assert delivery.next_attempt_at == NOW + d.backoff(delivery.attempts)


def test_the_signature_is_an_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"type":"ticket.created","id":1}'
    expected = hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert d.sign("s3cret-s3cret-s3cret", body) == f"sha256={expected}"
    assert d.sign("s3cret-s3cret-s3cret", body + b" ") != d.sign("s3cret-s3cret-s3cret", body)


def test_a_retried_dead_letter_starts_a_fresh_round() -> None:
    delivery = d.Delivery(1, 1, 1, status=d.DeliveryStatus.DEAD, attempts=8)
    d.retry(delivery, now=NOW + timedelta(hours=1), name="delivery 1")
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        d.DeliveryStatus.PENDING, 0, NOW + timedelta(hours=1))


def test_only_a_dead_letter_can_be_retried() -> None:
    delivery = d.Delivery(1, 1, 1, next_attempt_at=NOW)
    with pytest.raises(InvalidTransition, match="delivery 1 is pending, not dead"):
        d.retry(delivery, now=NOW, name="delivery 1")


def test_settling_a_permanent_failure_gives_up_at_once_and_honours_retry_after() -> None:
    blocked = d.Delivery(1, 1, 1, next_attempt_at=NOW)
    d.settle(blocked, "Forbidden", now=NOW, max_attempts=10, permanent=True)
    assert (blocked.status, blocked.attempts) == (d.DeliveryStatus.DEAD, 1)
    slowed = d.Delivery(2, 1, 1, next_attempt_at=NOW)
    d.settle(slowed, "RetryAfter", now=NOW, max_attempts=10, wait=timedelta(seconds=30))
    assert slowed.next_attempt_at == NOW + timedelta(seconds=30)  # more than the 2 s backoff
    sent = d.Delivery(3, 1, 1, next_attempt_at=NOW)
    d.settle(sent, None, now=NOW, max_attempts=10)
    assert (sent.status, sent.delivered_at) == (d.DeliveryStatus.DELIVERED, NOW)
