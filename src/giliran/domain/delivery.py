"""Delivering events to other systems: signatures, retries with backoff, the dead letter."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from giliran.domain.errors import InvalidTransition

FIRST_RETRY_SECONDS = 2.0
LONGEST_WAIT_SECONDS = 600.0
SIGNATURE_HEADER = "X-Giliran-Signature"
LEASE = timedelta(seconds=60)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the last attempt; an admin can retry it


@dataclass
class Webhook:
    id: int
    url: str
    secret: str
    event_types: frozenset[str]  # empty: every event
    active: bool = True
    last_event_id: int = 0  # events up to here have their deliveries

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


@dataclass(kw_only=True)
class Attempts:
    """Anything sent through an outbox (webhook deliveries, chat notices): the state its
    attempts move through, the same for every channel."""

    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    leased_until: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass
class Delivery(Attempts):
    id: int
    webhook_id: int
    event_id: int

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt, so a receiver can drop a duplicate."""
        return f"{self.event_id}:{self.webhook_id}"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 2 s, 4 s, 8 s, ... at most 10 minutes."""
    return timedelta(seconds=min(LONGEST_WAIT_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempts - 1)))


def failed(delivery: Attempts, error: str, *, now: datetime, max_attempts: int,
           wait: timedelta | None = None) -> None:
    """`wait`: at least this long before the next attempt (a receiver's own Retry-After)."""
    delivery.attempts += 1
    delivery.last_error = error[:500]
    delivery.leased_until = None
    if delivery.attempts >= max_attempts:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + max(backoff(delivery.attempts), wait or timedelta())


def succeeded(delivery: Attempts, *, now: datetime) -> None:
    delivery.attempts += 1
    delivery.status = DeliveryStatus.DELIVERED
    delivery.delivered_at = now
    delivery.leased_until = None
    delivery.next_attempt_at = None
    delivery.last_error = None


def settle(item: Attempts, error: str | None, *, now: datetime, max_attempts: int,
           wait: timedelta | None = None, permanent: bool = False) -> None:
    """Record how an attempt went: `error` None is delivered; a permanent error (the receiver
    will never take it) is dead at once."""
    if error is None:
        succeeded(item, now=now)
    else:
        failed(item, error, now=now, wait=wait, max_attempts=1 if permanent else max_attempts)


def is_due(item: Attempts, now: datetime) -> bool:
    """Pending, its attempt's time has come, and nobody holds a lease on it."""
    return (item.status is DeliveryStatus.PENDING and item.next_attempt_at is not None
            and item.next_attempt_at <= now
            and (item.leased_until is None or item.leased_until <= now))


def awaits_first_attempt(item: Attempts) -> bool:
    """Pending, never tried and nobody's yet (new, or retried by an admin): saving it gives a
    sender work, so the commit wakes the senders."""
    return (item.status is DeliveryStatus.PENDING and item.attempts == 0
            and item.leased_until is None)


def lease(item: Attempts, *, now: datetime) -> None:
    """Taken for sending: no other process takes it until the lease runs out (which is also
    how an attempt cut short by a crash is made again)."""
    item.leased_until = now + LEASE


def retry(delivery: Attempts, *, now: datetime, name: str) -> None:
    """An admin's second chance for a dead letter: a fresh round of attempts."""
    if delivery.status is not DeliveryStatus.DEAD:
        raise InvalidTransition(f"{name} is {delivery.status.value}, not dead")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now


def send_again(item: Attempts, *, now: datetime, name: str) -> None:
    """A fresh round of attempts for what is not on its way: dead, or taken by the receiver
    and reported failed after (a reply WhatsApp accepted, then could not deliver)."""
    if item.status is DeliveryStatus.PENDING:
        raise InvalidTransition(f"{name} is already on its way")
    item.status = DeliveryStatus.PENDING
    item.attempts = 0
    item.next_attempt_at = now
    item.leased_until = None
    item.delivered_at = None
