"""SQL storage of outgoing webhooks and their deliveries (the outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, or_, select, update

from giliran.adapters.sql import tables as t
from giliran.domain.delivery import Delivery, DeliveryStatus, Webhook

_WEBHOOK_FIELDS = ("url", "secret", "event_types", "active", "last_event_id")
_DELIVERY_FIELDS = ("status", "attempts", "next_attempt_at", "leased_until", "last_error",
                    "delivered_at")
_DELIVERY_SAVE = (
    update(t.deliveries).where(t.deliveries.c.id == bindparam("v_id"))
    .values({f: bindparam(f"v_{f}") for f in _DELIVERY_FIELDS})
)
_DUE = (
    select(t.deliveries)
    .where(t.PENDING_DELIVERY, t.deliveries.c.next_attempt_at <= bindparam("now"),
           or_(t.deliveries.c.leased_until.is_(None),
               t.deliveries.c.leased_until <= bindparam("now")))
    .order_by(t.deliveries.c.next_attempt_at, t.deliveries.c.id).limit(bindparam("limit"))
)


class SqlWebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, webhook: Webhook) -> Webhook:
        values = {f: getattr(webhook, f) for f in _WEBHOOK_FIELDS}
        values.update(event_types=sorted(webhook.event_types), created_at=datetime.now(UTC))
        webhook.id = self._conn.execute(
            insert(t.webhooks).values(values).returning(t.webhooks.c.id)).scalar_one()
        return webhook

    def get(self, webhook_id: int) -> Webhook | None:
        row = self._conn.execute(select(t.webhooks).where(t.webhooks.c.id == webhook_id)).first()
        return _webhook(row) if row else None

    def all(self) -> list[Webhook]:
        rows = self._conn.execute(select(t.webhooks).order_by(t.webhooks.c.id))
        return [_webhook(r) for r in rows]

    def save(self, webhook: Webhook) -> None:
        values = {f: getattr(webhook, f) for f in _WEBHOOK_FIELDS}
        values["event_types"] = sorted(webhook.event_types)
        self._conn.execute(update(t.webhooks).where(t.webhooks.c.id == webhook.id)
                           .values(values))


class SqlDeliveryRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_many(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self._conn.execute(insert(t.deliveries), [
                {"webhook_id": d.webhook_id, "event_id": d.event_id, "status": d.status.value,
                 "attempts": d.attempts, "next_attempt_at": d.next_attempt_at}
                for d in deliveries
            ])

    def get(self, delivery_id: int) -> Delivery | None:
        row = self._conn.execute(
            select(t.deliveries).where(t.deliveries.c.id == delivery_id)).first()
        return _delivery(row) if row else None

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        rows = self._conn.execute(_DUE, {"now": now, "limit": limit})
        return [_delivery(r) for r in rows]

    def save(self, delivery: Delivery) -> None:
        params: dict[str, Any] = {f"v_{f}": getattr(delivery, f) for f in _DELIVERY_FIELDS}
        params["v_status"] = delivery.status.value
        params["v_id"] = delivery.id
        self._conn.execute(_DELIVERY_SAVE, params)

    def search(self, status: DeliveryStatus | None, webhook_id: int | None, limit: int,
               offset: int) -> tuple[list[Delivery], int]:
        where = []
        if status is not None:
            where.append(t.deliveries.c.status == status.value)
        if webhook_id is not None:
            where.append(t.deliveries.c.webhook_id == webhook_id)
        rows = self._conn.execute(select(t.deliveries).where(*where)
                                  .order_by(t.deliveries.c.id).limit(limit).offset(offset))
        total = self._conn.execute(select(func.count()).select_from(t.deliveries)
                                   .where(*where)).scalar_one()
        return [_delivery(r) for r in rows], int(total)


    def prune_delivered(self, before: datetime) -> int:
        done = self._conn.execute(delete(t.deliveries).where(
            t.deliveries.c.status == DeliveryStatus.DELIVERED.value,
            t.deliveries.c.delivered_at < before))
        return int(done.rowcount or 0)


def _webhook(r: Row[Any]) -> Webhook:
    return Webhook(id=r.id, url=r.url, secret=r.secret, event_types=frozenset(r.event_types),
                   active=r.active, last_event_id=r.last_event_id)


def _delivery(r: Row[Any]) -> Delivery:
    return Delivery(id=r.id, webhook_id=r.webhook_id, event_id=r.event_id,
                    status=DeliveryStatus(r.status), attempts=r.attempts,
                    next_attempt_at=r.next_attempt_at, leased_until=r.leased_until,
                    last_error=r.last_error, delivered_at=r.delivered_at)
