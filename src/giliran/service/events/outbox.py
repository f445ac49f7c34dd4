"""Outgoing webhooks through an outbox: at-least-once delivery that survives crashes.

Events are already written in the transaction of the change that caused them (the events
table). A pass turns new events into one pending delivery per interested webhook (moving each
webhook's cursor in the same transaction), leases the due ones so that no other process sends
them at the same time, sends them outside any transaction, and records the outcome: delivered,
or retried with exponential backoff, or after the last attempt "dead" for an admin to see and
retry. A crash after sending but before recording means the delivery is sent again once its
lease runs out: receivers drop duplicates by the Idempotency-Key header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from giliran.domain import delivery as d
from giliran.domain.delivery import Delivery, DeliveryStatus, Webhook
from giliran.domain.events import Event
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.lookups import delivery_or_404, webhook_or_404

FAN_OUT_PAGE = 500


@dataclass(frozen=True)
class Claim:
    delivery: Delivery
    webhook: Webhook
    event: Event


def add_webhook(ctx: Context, who: Principal, url: str, secret: str,
                event_types: frozenset[str]) -> Webhook:
    """Starts with the next event (nothing from before it was registered)."""
    who.require(Can.CONFIGURE)
    ctx.destinations.check(url)  # before the transaction: it may resolve a name
    with ctx.uow(write=True) as uow:
        _, last = uow.events.bounds()
        webhook = uow.webhooks.add(Webhook(0, url, secret, event_types, True, last))
        uow.commit()
    return webhook


def list_webhooks(ctx: Context, who: Principal) -> list[Webhook]:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=False) as uow:
        return uow.webhooks.all()


def remove_webhook(ctx: Context, who: Principal, webhook_id: int) -> None:
    """Stops new deliveries; pending ones still go out."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        webhook = webhook_or_404(uow, webhook_id)
        webhook.active = False
        uow.webhooks.save(webhook)
        uow.commit()


def list_deliveries(ctx: Context, who: Principal, status: DeliveryStatus | None,
                    webhook_id: int | None, limit: int, offset: int
                    ) -> tuple[list[Delivery], int]:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=False) as uow:
        return uow.deliveries.search(status, webhook_id, limit, offset)


def retry_delivery(ctx: Context, who: Principal, delivery_id: int) -> Delivery:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        found = delivery_or_404(uow, delivery_id)
        d.retry(found, now=ctx.clock.now(), name=f"delivery {delivery_id}")
        uow.deliveries.save(found)
        uow.commit()
    return found


def fan_out(ctx: Context) -> int:
    """New events become pending deliveries for the webhooks that want them."""
    made = 0
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        for webhook in (w for w in uow.webhooks.all() if w.active):
            events = uow.events.after(webhook.last_event_id, FAN_OUT_PAGE)
            if not events:
                continue
            new = [Delivery(0, webhook.id, e.id, next_attempt_at=now)
                   for e in events if webhook.wants(e.type)]
            uow.deliveries.add_many(new)
            webhook.last_event_id = events[-1].id
            uow.webhooks.save(webhook)
            made += len(new)
        uow.commit()
    return made


def claim(ctx: Context, limit: int) -> list[Claim]:
    """Lease the due deliveries with what sending them needs. Two processes never take the
    same one: each claims rows the other is not claiming (the rows' own locks, see
    DeliveryRepository.claim), so this writer does not queue behind dispatch's floor lock."""
    with ctx.uow(write=True, defer_lock=True) as uow:
        now = ctx.clock.now()
        due = uow.deliveries.claim(now, limit)
        claims = []
        hooks = {w.id: w for w in uow.webhooks.all()}
        for delivery in due:
            d.lease(delivery, now=now)
            uow.deliveries.save(delivery)
            found = uow.events.after(delivery.event_id - 1, 1)
            if found and found[0].id == delivery.event_id:
                claims.append(Claim(delivery, hooks[delivery.webhook_id], found[0]))
            else:  # the event was pruned before it could be sent
                d.failed(delivery, "event no longer kept", now=now, max_attempts=1)
                uow.deliveries.save(delivery)
        uow.commit()
    return claims


def record(ctx: Context, delivery_id: int, error: str | None, max_attempts: int) -> None:
    with ctx.uow(write=True) as uow:
        found = uow.deliveries.get(delivery_id)
        if found is None or found.status is not DeliveryStatus.PENDING:
            return
        d.settle(found, error, now=ctx.clock.now(), max_attempts=max_attempts)
        uow.deliveries.save(found)
        uow.commit()


@dataclass(frozen=True)
class Backlog:
    """What a sender learns from one cheap read."""

    listening: bool  # someone subscribes: new events will need sending
    due: bool  # something to fan out or send now


def backlog(ctx: Context) -> Backlog:
    with ctx.uow(write=False) as uow:
        _, last = uow.events.bounds()
        hooks = [w for w in uow.webhooks.all() if w.active]
        if any(w.last_event_id < last for w in hooks):
            return Backlog(True, True)
        return Backlog(bool(hooks), bool(uow.deliveries.due(ctx.clock.now(), 1)))


def prune(ctx: Context, keep: timedelta) -> int:
    """Deliveries that succeeded longer ago than `keep` are forgotten, like old events; dead
    ones stay until an admin retries them."""
    with ctx.uow(write=True) as uow:
        removed = uow.deliveries.prune_delivered(ctx.clock.now() - keep)
        uow.commit()
    return removed
