"""SQL storage of outgoing webhooks and their deliveries (the outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from giliran.adapters.sql import tables as t
from giliran.domain.delivery import (
    Attempts,
    Delivery,
    DeliveryStatus,
    Webhook,
    awaits_first_attempt,
)

_WEBHOOK_FIELDS = ("url", "secret", "event_types", "active", "last_event_id")
ATTEMPT_FIELDS = ("status", "attempts", "next_attempt_at", "leased_until", "last_error",
                  "delivered_at")


class AttemptRows:
    """What every outbox table (deliveries, notices) does alike: find the due rows, save an
    attempt's state, forget what was delivered long enough ago."""

    def __init__(self, table: Table, pending: ColumnElement[bool]) -> None:
        c = table.c
        self._table = table
        self._save = (update(table).where(c.id == bindparam("v_id"))
                      .values({f: bindparam(f"v_{f}") for f in ATTEMPT_FIELDS}))
        self._due = (
            select(table)
            .where(pending, c.next_attempt_at <= bindparam("now"),
                   or_(c.leased_until.is_(None), c.leased_until <= bindparam("now")))
            .order_by(c.next_attempt_at, c.id).limit(bindparam("limit"))
        )
        # Rows another writer is claiming are skipped rather than waited for, so claims need
        # no floor lock. SQLite renders no FOR UPDATE: its writers take turns (BEGIN IMMEDIATE).
        self._claim = self._due.with_for_update(skip_locked=True)

    def due(self, conn: Connection, now: datetime, limit: int) -> Sequence[Row[Any]]:
        return list(conn.execute(self._due, {"now": now, "limit": limit}))

    def claim(self, conn: Connection, now: datetime, limit: int) -> Sequence[Row[Any]]:
        return list(conn.execute(self._claim, {"now": now, "limit": limit}))

    def save(self, conn: Connection, item: Attempts, item_id: int) -> None:
        params: dict[str, Any] = {f"v_{f}": getattr(item, f) for f in ATTEMPT_FIELDS}
        params.update(v_status=item.status.value, v_id=item_id)
        conn.execute(self._save, params)

    def prune_delivered(self, conn: Connection, before: datetime) -> int:
        done = conn.execute(delete(self._table).where(
            self._table.c.status == DeliveryStatus.DELIVERED.value,
            self._table.c.delivered_at < before))
        return int(done.rowcount or 0)


_DELIVERY_ROWS = AttemptRows(t.deliveries, t.PENDING_DELIVERY)


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
        self.queued = False  # whether this unit of work gave the webhook sender work

    def add_many(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self.queued = True
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
        return [_delivery(r) for r in _DELIVERY_ROWS.due(self._conn, now, limit)]

    def claim(self, now: datetime, limit: int) -> list[Delivery]:
        return [_delivery(r) for r in _DELIVERY_ROWS.claim(self._conn, now, limit)]

    def save(self, delivery: Delivery) -> None:
        _DELIVERY_ROWS.save(self._conn, delivery, delivery.id)
        self.queued = self.queued or awaits_first_attempt(delivery)

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
        return _DELIVERY_ROWS.prune_delivered(self._conn, before)


def _webhook(r: Row[Any]) -> Webhook:
    return Webhook(id=r.id, url=r.url, secret=r.secret, event_types=frozenset(r.event_types),
                   active=r.active, last_event_id=r.last_event_id)


def _delivery(r: Row[Any]) -> Delivery:
    return Delivery(id=r.id, webhook_id=r.webhook_id, event_id=r.event_id,
                    status=DeliveryStatus(r.status), attempts=r.attempts,
                    next_attempt_at=r.next_attempt_at, leased_until=r.leased_until,
                    last_error=r.last_error, delivered_at=r.delivered_at)
