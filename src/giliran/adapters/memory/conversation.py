"""In-memory twins of the conversation repositories (messages, receipts, customers)."""


from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from giliran.adapters.memory.journal import Journal
from giliran.domain import person
from giliran.domain.canned import CannedReply
from giliran.domain.conversation import (
    Customer,
    Direction,
    Message,
    Receipt,
    unresolved_failures,
)
from giliran.domain.inbox import Thread
from giliran.domain.model import Ticket


@dataclass
class ConversationState:
    messages: dict[int, Message] = field(default_factory=dict)
    receipts: list[Receipt] = field(default_factory=list)
    customers: dict[str, Customer] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    last_message_id: int = 0  # ids are never reused, as in SQL
    reads: dict[tuple[int, str], int] = field(default_factory=dict)  # (ticket, reader) → id
    canned: dict[int, CannedReply] = field(default_factory=dict)
    last_canned_id: int = 0


class InMemoryMessageRepository:
    def __init__(self, state: ConversationState, journal: Journal,
                 tickets: Mapping[int, Ticket] | None = None) -> None:
        self._s = state
        self._j = journal
        self._tickets: Mapping[int, Ticket] = tickets if tickets is not None else {}

    def add(self, message: Message) -> Message:
        self._s.last_message_id += 1
        message.id = self._s.last_message_id
        self._j.put(self._s.messages, message.id, copy.deepcopy(message))
        return message

    def seen(self, external_id: str) -> bool:
        return self.by_external_id(external_id) is not None

    def get(self, message_id: int) -> Message | None:
        found = self._s.messages.get(message_id)
        return copy.deepcopy(found) if found is not None else None

    def by_external_id(self, external_id: str) -> Message | None:
        return self._first(lambda m: m.external_id == external_id)

    def by_channel_id(self, channel: str, channel_message_id: str) -> Message | None:
        return self._first(lambda m: m.channel == channel
                           and m.channel_message_id == channel_message_id)

    def save(self, message: Message) -> None:
        self._j.put(self._s.messages, message.id, copy.deepcopy(message))

    def for_ticket(self, ticket_id: int, limit: int | None = None,
                   offset: int = 0) -> list[Message]:
        found = [copy.deepcopy(m) for _, m in sorted(self._s.messages.items())
                 if m.ticket_id == ticket_id]
        return found[offset:] if limit is None else found[offset:offset + limit]

    def count_for_ticket(self, ticket_id: int) -> int:
        return sum(m.ticket_id == ticket_id for m in self._s.messages.values())

    def last_incoming(self, ticket_id: int) -> Message | None:
        found = [m for m in self.for_ticket(ticket_id) if m.direction is Direction.IN]
        return found[-1] if found else None

    def add_receipt(self, receipt: Receipt) -> bool:
        same = (receipt.channel, receipt.channel_message_id, receipt.state)
        if any((r.channel, r.channel_message_id, r.state) == same for r in self._s.receipts):
            return False
        self._j.append(self._s.receipts, receipt)
        return True

    def receipts(self, channel: str, channel_message_id: str) -> list[Receipt]:
        found = [r for r in self._s.receipts
                 if (r.channel, r.channel_message_id) == (channel, channel_message_id)]
        return sorted(found, key=lambda r: r.at)

    def newest(self, ticket_ids: Collection[int]) -> dict[int, Message]:
        wanted = set(ticket_ids)
        found: dict[int, Message] = {}
        for _, m in sorted(self._s.messages.items()):
            if m.ticket_id in wanted:
                found[m.ticket_id] = m
        return {tid: copy.deepcopy(m) for tid, m in found.items()}

    def threads(self, ticket_ids: Collection[int]) -> dict[int, Thread]:
        wanted = set(ticket_ids)
        of: dict[int, list[Message]] = {}
        for _, m in sorted(self._s.messages.items()):
            if m.ticket_id in wanted:
                of.setdefault(m.ticket_id, []).append(m)
        return {tid: _thread(found) for tid, found in of.items()}
    def unresolved_failures(self, *, ticket_ids: Collection[int] | None = None,
                            queues: Collection[str] = (),
                            open_only: bool = False) -> list[Message]:
        by_ticket: dict[int, list[Message]] = {}
        for _, m in sorted(self._s.messages.items()):
            by_ticket.setdefault(m.ticket_id, []).append(m)
        found: list[Message] = []
        for ticket_id, messages in by_ticket.items():
            ticket = self._tickets.get(ticket_id)
            if ticket is None or (ticket_ids is not None and ticket_id not in ticket_ids) \
                    or (queues and ticket.queue not in queues) \
                    or (open_only and (ticket.status.is_final or ticket.contact is None)):
                continue
            found += unresolved_failures(messages)
        return [copy.deepcopy(m) for m in sorted(found, key=lambda m: -m.id)]

    def _first(self, match: Callable[[Message], bool]) -> Message | None:
        found = next((m for _, m in sorted(self._s.messages.items()) if match(m)), None)
        return copy.deepcopy(found) if found is not None else None


def _thread(messages: list[Message]) -> Thread:
    """As SQL reads it (adapters/sql/conversation.py `_THREADS`)."""
    ins = [m for m in messages if m.direction is Direction.IN]
    replies = [m.id for m in messages if m.is_desk_reply]
    replied = max(replies, default=None)
    waiting = [m.at for m in ins if m.id > (replied or 0)]
    return Thread(max((m.id for m in ins), default=None), replied, min(waiting, default=None))


class InMemoryCustomerRepository:
    def __init__(self, state: ConversationState, journal: Journal) -> None:
        self._s = state
        self._j = journal

    def get(self, key: str) -> Customer | None:
        found = self._s.customers.get(key)
        return copy.deepcopy(found) if found is not None else None

    def resolve(self, address_key: str) -> Customer | None:
        return self.get(address_key) or self.get(self._s.aliases.get(address_key, ""))

    def add(self, customer: Customer) -> None:
        self._j.put(self._s.customers, customer.key, copy.deepcopy(customer))

    def save(self, customer: Customer) -> None:
        # The link is kept as stored, as SQL's save leaves it (only `regroup` changes it).
        kept = self._s.customers.get(customer.key)
        self._j.put(self._s.customers, customer.key, replace(
            copy.deepcopy(customer), person_key=kept.person_key if kept else None))

    def add_alias(self, address_key: str, customer_key: str) -> None:
        if address_key not in self._s.aliases:
            self._j.put(self._s.aliases, address_key, customer_key)

    def many(self, keys: Collection[str]) -> dict[str, Customer]:
        return {k: copy.deepcopy(c) for k in set(keys)
                if (c := self._s.customers.get(k)) is not None}

    def person(self, key: str) -> list[Customer]:
        found = self.get(key)
        if found is None or found.person_key is None:
            return [found] if found is not None else []
        group = {c.key: c for c in self._s.customers.values()
                 if c.person_key == found.person_key}
        return [copy.deepcopy(group[k])
                for k in person.members(found.person_key, key, list(group))]

    def regroup(self, person_keys: Mapping[str, str | None]) -> None:
        for key, person_key in person_keys.items():
            if (kept := self._s.customers.get(key)) is not None:
                self._j.put(self._s.customers, key, replace(kept, person_key=person_key))


class InMemoryReadStateRepository:
    def __init__(self, state: ConversationState, journal: Journal) -> None:
        self._s = state
        self._j = journal

    def mark(self, ticket_id: int, reader: str, message_id: int, at: datetime) -> int:
        key = (ticket_id, reader)
        kept = max(message_id, self._s.reads.get(key, 0))
        self._j.put(self._s.reads, key, kept)
        return kept

    def unread(self, reader: str, ticket_ids: Collection[int]) -> dict[int, int]:
        wanted = set(ticket_ids)
        found: dict[int, int] = {}
        for m in self._s.messages.values():
            if (m.ticket_id in wanted and m.direction is Direction.IN
                    and m.id > self._s.reads.get((m.ticket_id, reader), 0)):
                found[m.ticket_id] = found.get(m.ticket_id, 0) + 1
        return found


class InMemoryCannedReplyRepository:
    def __init__(self, state: ConversationState, journal: Journal) -> None:
        self._s = state
        self._j = journal

    def add(self, reply: CannedReply) -> CannedReply:
        self._j.set(self._s, "last_canned_id", self._s.last_canned_id + 1)
        reply.id = self._s.last_canned_id
        self._j.put(self._s.canned, reply.id, copy.copy(reply))
        return reply

    def get(self, reply_id: int) -> CannedReply | None:
        found = self._s.canned.get(reply_id)
        return copy.copy(found) if found is not None else None

    def save(self, reply: CannedReply) -> None:
        self._j.put(self._s.canned, reply.id, copy.copy(reply))

    def remove(self, reply_id: int) -> None:
        self._j.drop(self._s.canned, reply_id)

    def applying(self, queues: Collection[str] | None,
                 language: str | None = None) -> list[CannedReply]:
        found = [copy.copy(r) for r in self._s.canned.values()
                 if (queues is None or r.queue is None or r.queue in queues)
                 and (language is None or r.language in (None, language))]
        return sorted(found, key=lambda r: r.id)
