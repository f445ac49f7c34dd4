"""The conversations' ports: the messages of a ticket, who the customers are, how far each
reader has read, and the desk's canned replies."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Protocol

from giliran.domain.canned import CannedReply
from giliran.domain.conversation import Customer, Message, Receipt
from giliran.domain.inbox import Thread


class MessageRepository(Protocol):
    """Tickets' conversations, both directions, and the channels' reports on what was sent."""

    def add(self, message: Message) -> Message:
        """Stores it and sets its id."""
        ...
    def seen(self, external_id: str) -> bool: ...
    def get(self, message_id: int) -> Message | None: ...
    def by_external_id(self, external_id: str) -> Message | None: ...
    def by_channel_id(self, channel: str, channel_message_id: str) -> Message | None:
        """The outgoing message the channel knows by this id."""
        ...
    def save(self, message: Message) -> None:
        """Its state, body, content and edits."""
        ...
    def for_ticket(self, ticket_id: int, limit: int | None = None,
                   offset: int = 0) -> list[Message]:
        """Oldest first."""
        ...
    def count_for_ticket(self, ticket_id: int) -> int: ...
    def last_incoming(self, ticket_id: int) -> Message | None: ...
    def add_receipt(self, receipt: Receipt) -> bool:
        """Keeps a channel's report; False when the same one was kept before."""
        ...
    def receipts(self, channel: str, channel_message_id: str) -> list[Receipt]:
        """Reports kept for a message id, oldest first (they may come before the id is
        known to be ours: the channel reports while the sender is still recording it)."""
        ...
    def newest(self, ticket_ids: Collection[int]) -> dict[int, Message]:
        """Each ticket's newest message, notes included (one read); tickets without any are
        left out."""
        ...
    def threads(self, ticket_ids: Collection[int]) -> dict[int, Thread]:
        """Who spoke last in each ticket's conversation (one read); tickets without any
        message are left out."""
        ...
    def unresolved_failures(self, *, ticket_ids: Collection[int] | None = None,
                            queues: Collection[str] = (),
                            open_only: bool = False) -> list[Message]:
        """The desk's replies that failed with no later reply of their ticket reaching the
        customer (domain.conversation.unresolved_failures), newest first: of `ticket_ids`
        when given, of tickets in `queues` (every queue when empty), of open tickets only
        with `open_only` (open conversations: of open tickets with a contact)."""
        ...


class CustomerRepository(Protocol):
    def get(self, key: str) -> Customer | None: ...
    def resolve(self, address_key: str) -> Customer | None:
        """The customer known by this address: their first one, or one they moved to."""
        ...
    def add(self, customer: Customer) -> None: ...
    def save(self, customer: Customer) -> None: ...
    def add_alias(self, address_key: str, customer_key: str) -> None:
        """Another address of the same customer (a changed number)."""
        ...
    def many(self, keys: Collection[str]) -> dict[str, Customer]:
        """The customers known by these keys (their first address), by key."""
        ...
    def person(self, key: str) -> list[Customer]:
        """Every customer linked with this one as one person (domain/person.py `members`
        order: the first customer, then by key); just this one when unlinked; [] unknown."""
        ...
    def regroup(self, person_keys: Mapping[str, str | None]) -> None:
        """Sets each customer's `person_key` (a link or unlink); `save` leaves it as it is."""
        ...


class ReadStateRepository(Protocol):
    """How far each reader (an actor key: "agent:5", "user:3") has read each conversation."""

    def mark(self, ticket_id: int, reader: str, message_id: int, at: datetime) -> int:
        """Read up to `message_id`; a mark only moves forward (a late request from another
        tab does not make messages unread again). Returns the mark now kept."""
        ...
    def unread(self, reader: str, ticket_ids: Collection[int]) -> dict[int, int]:
        """Per ticket, the customer's messages after the reader's mark (one read); tickets
        with none are left out."""
        ...


class CannedReplyRepository(Protocol):
    def add(self, reply: CannedReply) -> CannedReply:
        """Stores it and sets its id."""
        ...
    def get(self, reply_id: int) -> CannedReply | None: ...
    def save(self, reply: CannedReply) -> None: ...
    def remove(self, reply_id: int) -> None: ...
    def applying(self, queues: Collection[str] | None,
                 language: str | None = None) -> list[CannedReply]:
        """Those for any of `queues` and the global ones (`queues` None: every reply), in
        `language` or for any language when one is given; by id."""
        ...
