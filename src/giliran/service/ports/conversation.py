"""The conversations' ports: the messages of a ticket and who the customers are."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from giliran.domain.conversation import Customer, Message, Receipt


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
