"""The tickets' ports: tickets (and how a list of them is asked for and answered), their
history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from giliran.domain.listing import TicketSort
from giliran.domain.model import (
    HistoryEntry,
    Priority,
    Ticket,
    TicketFlag,
    TicketStatus,
    WaitingOrder,
)


@dataclass(frozen=True)
class TicketFilter:
    status: TicketStatus | None = None
    agent_id: int | None = None
    queue: str | None = None
    flagged: bool | None = None
    flag: TicketFlag | None = None  # flagged for this reason
    auto_dispatch: bool | None = None  # False: left for a pick-up or a supervisor
    limit: int = 50
    offset: int = 0
    # The supervisor's listing (TicketRepository.listing) also reads these.
    text: str | None = None  # a number, or part of a title, customer name or external id
    priority: Priority | None = None
    channel: str | None = None  # "api" for tickets without a contact
    open_only: bool = False  # queued, assigned or in progress
    waiting_before: datetime | None = None  # queued, and waiting since then or earlier
    sort: TicketSort = TicketSort.QUEUE
    descending: bool = False
    queues: frozenset[str] | None = None  # a supervisor of some queues sees only theirs
    ids: frozenset[int] | None = None  # only these (a bulk action's check of one ticket)


@dataclass(frozen=True)
class ListedTicket:
    """A row of the supervisor's ticket list: the ticket with the names it shows."""

    ticket: Ticket
    customer: str | None
    agent_name: str | None
    accept_deadline: datetime | None
    queue_position: int | None = None  # a queued ticket's place in its queue (service-filled)


@dataclass(frozen=True)
class TicketListing:
    rows: list[ListedTicket]
    total: int


class TicketRepository(Protocol):
    def add(self, ticket: Ticket) -> Ticket:
        """Raises DuplicateExternalId when another ticket already has its external_id, and
        ContactHasOpenTicket for a second open ticket of one contact (a unique index on SQL,
        so it holds for writers without the floor lock too)."""
        ...
    def get(self, ticket_id: int) -> Ticket | None: ...
    def by_external_id(self, external_id: str) -> Ticket | None: ...
    def many(self, ids: set[int]) -> list[Ticket]: ...
    def save(self, ticket: Ticket) -> None: ...
    def queued_head(self, limit: int, offset: int = 0) -> list[Ticket]:
        """Tickets `offset`+1 .. `offset`+`limit` of the global queue (priority, then
        arrival), counting only those open to automatic dispatch."""
        ...
    def queued_head_of(self, queue: str, limit: int, offset: int = 0,
                       order: WaitingOrder = WaitingOrder.PRIORITY) -> list[Ticket]:
        """The same, for the tickets of one queue, in the line `order` gives
        (`Ticket.line_key`)."""
        ...
    def overdue(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        """Assigned, not accepted, tickets of `queue` assigned at or before `cutoff`."""
        ...
    def waiting_since(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        """Unflagged queued tickets of `queue` that entered the queue at or before `cutoff`."""
        ...
    def due_for_aging(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        """Queued tickets of `queue` below urgent whose priority dates from `cutoff` or
        earlier."""
        ...
    def holds_due(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        """Tickets of `queue` on hold until `cutoff` or earlier, the earliest first."""
        ...
    def orphans(self, limit: int) -> list[Ticket]:
        """Held tickets (active or on hold) held by nobody, by an unknown agent or by a
        deactivated one."""
        ...
    def queued_times(self, queue: str, limit: int) -> list[datetime]:
        """When the queued tickets of `queue` entered the queue, the longest waiting first."""
        ...
    def count_unanswered(self, queue: str, since: datetime, before: datetime) -> int:
        """Tickets of `queue` never answered (no first accept) that arrived in [since,
        before)."""
        ...
    def depths(self) -> dict[str, int]:
        """Queued tickets per queue (kept by the database, not counted)."""
        ...
    def flag_counts(self) -> dict[tuple[str, TicketFlag], int]:
        """Flagged tickets per queue and flag."""
        ...
    def held_counts(self) -> dict[tuple[int, str], tuple[int, int]]:
        """Per agent and queue, the tickets that take its slots: (assigned, in progress or on
        hold keeping the slot)."""
        ...
    def existing_external_ids(self, external_ids: set[str]) -> set[str]:
        """Those of `external_ids` that a ticket already has."""
        ...
    def open_for_contact(self, contact: str) -> Ticket | None:
        """The contact's open (queued, active or on hold) ticket, the newest if several."""
        ...
    def for_contact(self, contact: str, limit: int) -> list[Ticket]:
        """The contact's tickets, newest first."""
        ...
    def for_contacts(self, contacts: Collection[str], limit: int,
                     offset: int = 0) -> tuple[list[Ticket], int]:
        """One page of the tickets of any of these contacts (one person's addresses), newest
        first, and how many there are in all."""
        ...
    def front_order(self) -> int:
        """A queue_order below every queued ticket's (and below 0)."""
        ...
    def queue_position(self, ticket: Ticket) -> int:
        """1-based place of a queued ticket among the queued tickets of its own queue, in the
        queue's waiting order."""
        ...
    def queue_positions(self, tickets: Sequence[Ticket]) -> dict[int, int]:
        """The same for many tickets at once (one read on SQL), by id; the ones not queued
        are left out."""
        ...
    def held_by(self, agent_id: int) -> list[Ticket]:
        """The agent's held tickets (active and on hold) in personal-queue order (oldest
        assignment first)."""
        ...
    def search(self, query: TicketFilter) -> Sequence[Ticket]:
        """Queued tickets in line (`Ticket.line_key` under each queue's waiting order), the
        flagged ones the longest flagged first, the others by id."""
        ...
    def listing(self, query: TicketFilter) -> TicketListing:
        """One page of the supervisor's list and the total that match, in one read."""
        ...
    def count(self, query: TicketFilter) -> int: ...


@dataclass(frozen=True)
class HistoryFilter:
    """Every field that is set must match; `agent_id` matches either side of a move."""

    ticket_id: int | None = None
    agent_id: int | None = None
    reason: str | None = None
    event: str | None = None
    queue: str | None = None
    since: datetime | None = None  # at >= since
    until: datetime | None = None  # at < until
    after_id: int = 0  # keyset paging for exports: only entries with a larger id
    newest_first: bool = False  # a page's order (exports always go oldest first)
    limit: int = 100
    offset: int = 0


class HistoryRepository(Protocol):
    def append(self, entry: HistoryEntry) -> None:
        """Written no later than the commit of the unit of work."""
        ...
    def for_ticket(self, ticket_id: int) -> list[HistoryEntry]: ...
    def for_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[HistoryEntry]]:
        """Each ticket's whole history, oldest first, in a few reads."""
        ...
    def search(self, query: HistoryFilter) -> list[HistoryEntry]:
        """Matching entries in the order they were written (by id)."""
        ...
    def count(self, query: HistoryFilter) -> int: ...
