"""Webhooks and their deliveries, chat notices and chat links in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from giliran.adapters.memory.journal import Journal, clone
from giliran.domain.delivery import (
    Attempts,
    Delivery,
    DeliveryStatus,
    Webhook,
    awaits_first_attempt,
    is_due,
)
from giliran.domain.notices import ChatLink, Notice

if TYPE_CHECKING:
    from giliran.adapters.memory.state import Session

Sent = TypeVar("Sent", bound=Attempts)


class InMemoryWebhookRepository:
    def __init__(self, session: Session) -> None:
        self._s = session.state
        self._j = session.journal

    def add(self, webhook: Webhook) -> Webhook:
        webhook.id = self._s.next_id("webhooks")
        self._j.put(self._s.webhooks, webhook.id, clone(webhook))
        return webhook

    def get(self, webhook_id: int) -> Webhook | None:
        found = self._s.webhooks.get(webhook_id)
        return clone(found) if found is not None else None

    def all(self) -> list[Webhook]:
        return [clone(self._s.webhooks[i]) for i in sorted(self._s.webhooks)]

    def save(self, webhook: Webhook) -> None:
        self._j.put(self._s.webhooks, webhook.id, clone(webhook))


class InMemoryDeliveryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._s = session.state
        self._j = session.journal

    def add_many(self, deliveries: Sequence[Delivery]) -> None:
        self._session.queued = self._session.queued or bool(deliveries)
        for delivery in deliveries:
            delivery.id = self._s.next_id("deliveries")
            self._j.put(self._s.deliveries, delivery.id, clone(delivery))

    def get(self, delivery_id: int) -> Delivery | None:
        found = self._s.deliveries.get(delivery_id)
        return clone(found) if found is not None else None

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        return _due(self._s.deliveries, now, limit)

    def claim(self, now: datetime, limit: int) -> list[Delivery]:
        return self.due(now, limit)  # one writer at a time holds the whole store

    def save(self, delivery: Delivery) -> None:
        self._session.queued = self._session.queued or awaits_first_attempt(delivery)
        self._j.put(self._s.deliveries, delivery.id, clone(delivery))

    def search(self, status: DeliveryStatus | None, webhook_id: int | None, limit: int,
               offset: int) -> tuple[list[Delivery], int]:
        found = [d for _, d in sorted(self._s.deliveries.items())
                 if (status is None or d.status is status)
                 and (webhook_id is None or d.webhook_id == webhook_id)]
        return [clone(d) for d in found[offset:offset + limit]], len(found)

    def prune_delivered(self, before: datetime) -> int:
        return _prune_delivered(self._j, self._s.deliveries, before)


class InMemoryNoticeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._s = session.state
        self._j = session.journal

    def add(self, notice: Notice) -> bool:
        if self.exists(notice.key):
            return False
        notice.id = self._s.next_id("notices")
        self._j.put(self._s.notices, notice.id, clone(notice))
        self._j.put(self._s.notice_keys, notice.key, notice.id)
        self._session.queued = True
        return True

    def exists(self, key: str) -> bool:
        return key in self._s.notice_keys

    def by_key(self, key: str) -> Notice | None:
        found = self._s.notices.get(self._s.notice_keys.get(key, 0))
        return clone(found) if found is not None else None

    def by_sent_id(self, chat_id: str, sent_id: str) -> Notice | None:
        found = [n for _, n in sorted(self._s.notices.items())
                 if n.chat_id == chat_id and n.sent_id == sent_id]
        return clone(found[-1]) if found else None

    def get(self, notice_id: int) -> Notice | None:
        found = self._s.notices.get(notice_id)
        return clone(found) if found is not None else None

    def due(self, now: datetime, limit: int) -> list[Notice]:
        return _due(self._s.notices, now, limit)

    def claim(self, now: datetime, limit: int) -> list[Notice]:
        return self.due(now, limit)  # one writer at a time holds the whole store

    def save(self, notice: Notice) -> None:
        self._session.queued = self._session.queued or awaits_first_attempt(notice)
        self._j.put(self._s.notices, notice.id, clone(notice))

    def search(self, status: DeliveryStatus | None, limit: int,
               offset: int) -> tuple[list[Notice], int]:
        found = [n for _, n in sorted(self._s.notices.items())
                 if status is None or n.status is status]
        return [clone(n) for n in found[offset:offset + limit]], len(found)

    def prune_delivered(self, before: datetime) -> int:
        # A pruned notice's key is free again, as it is once its SQL row is gone.
        gone = [n for n in self._s.notices.values() if _delivered_before(n, before)]
        for notice in gone:
            self._j.drop(self._s.notice_keys, notice.key)
        return _prune_delivered(self._j, self._s.notices, before)


class InMemoryChatLinkRepository:
    def __init__(self, session: Session) -> None:
        self._s = session.state
        self._j = session.journal

    def link(self, link: ChatLink) -> None:
        for agent_id in [a for a, k in self._s.chat_links.items() if k.chat_id == link.chat_id]:
            self._j.drop(self._s.chat_links, agent_id)
        self._j.put(self._s.chat_links, link.agent_id, link)

    def for_agent(self, agent_id: int) -> ChatLink | None:
        return self._s.chat_links.get(agent_id)

    def for_chat(self, chat_id: str) -> ChatLink | None:
        return next((k for k in self._s.chat_links.values() if k.chat_id == chat_id), None)

    def unlink(self, agent_id: int) -> bool:
        if agent_id not in self._s.chat_links:
            return False
        self._j.drop(self._s.chat_links, agent_id)
        return True

    def any(self) -> bool:
        return bool(self._s.chat_links)

    def add_code(self, code_hash: str, agent_id: int, expires_at: datetime) -> None:
        self._j.put(self._s.link_codes, code_hash, (agent_id, expires_at))

    def take_code(self, code_hash: str, now: datetime) -> int | None:
        found = self._s.link_codes.get(code_hash)
        self._j.drop(self._s.link_codes, code_hash)
        for code in [c for c, (_, until) in self._s.link_codes.items() if until <= now]:
            self._j.drop(self._s.link_codes, code)
        return found[0] if found is not None and found[1] > now else None


def _due(items: dict[int, Sent], now: datetime, limit: int) -> list[Sent]:
    found = [(item.next_attempt_at, key) for key, item in items.items() if is_due(item, now)]
    return [clone(items[key]) for _, key in sorted(found)[:limit]]


def _delivered_before(item: Attempts, before: datetime) -> bool:
    return (item.status is DeliveryStatus.DELIVERED and item.delivered_at is not None
            and item.delivered_at < before)


def _prune_delivered(journal: Journal, items: dict[int, Sent], before: datetime) -> int:
    gone = [key for key, item in items.items() if _delivered_before(item, before)]
    for key in gone:
        journal.drop(items, key)
    return len(gone)
