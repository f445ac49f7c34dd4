"""What the service layer needs from the outside world, as Protocols.

`SqlX` and `InMemoryX` in the adapters implement `X`; one contract suite runs against both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.conversation import Customer, Message, Receipt
from giliran.domain.daybook import Day, DayAdd
from giliran.domain.delivery import Delivery, DeliveryStatus, Webhook
from giliran.domain.events import Event
from giliran.domain.listing import TicketSort
from giliran.domain.model import (
    Agent,
    HistoryEntry,
    Presence,
    PresenceChange,
    Priority,
    Queue,
    Ticket,
    TicketFlag,
    TicketStatus,
)
from giliran.domain.notices import ChatLink, Notice

BATCH = 100  # rows a timer pass claims per transaction


class Clock(Protocol):
    def now(self) -> datetime: ...


class DestinationCheck(Protocol):
    def check(self, url: str) -> None:
        """Raise DestinationNotAllowed when an outgoing webhook may not go to `url`."""


class AgentRepository(Protocol):
    def add(self, agent: Agent, token_hash: str) -> Agent: ...
    def get(self, agent_id: int) -> Agent | None: ...
    def by_token_hash(self, token_hash: str) -> Agent | None: ...
    def all(self) -> list[Agent]: ...
    def active_names(self) -> list[tuple[int, str]]:
        """Each active agent's id and name, by id: what a new name is checked against,
        without loading every agent."""
        ...
    def save(self, agent: Agent) -> None: ...
    def eligible(self, queue: Queue, ordering: tuple[str, ...], limit: int | None) -> list[Agent]:
        """Eligible members of `queue`, sorted by the Agent fields in `ordering` (ascending):
        not paused there, and within its per-agent limit (their tickets of the queue that still
        count, by its `slot_freed_on`, below `max_per_agent`)."""
        ...
    def members(self, queue: str) -> list[Agent]:
        """Active agents who serve `queue` (paused or not), in turn order: rotation_order,
        then id."""
        ...
    def count_members(self, queue: str, excluding: frozenset[int],
                      opted_in: bool = True) -> int:
        """Active agents who serve `queue` (only those opted in to automatic assignment, unless
        `opted_in` is False), leaving out the ids in `excluding`. Callers ask whether anyone is
        left, so an adapter may stop counting at 1 (a count over every member grows with the
        floor)."""
        ...
    def silent_since(self, cutoff: datetime, limit: int) -> list[Agent]:
        """Agents not offline whose last sign of life is at or before `cutoff`."""
        ...


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
    def queued_head_of(self, queue: str, limit: int, offset: int = 0) -> list[Ticket]:
        """The same, for the tickets of one queue."""
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
    def orphans(self, limit: int) -> list[Ticket]:
        """Active tickets held by nobody, by an unknown agent or by a deactivated one."""
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
        """Per agent and queue, the tickets it holds: (assigned, in progress)."""
        ...
    def existing_external_ids(self, external_ids: set[str]) -> set[str]:
        """Those of `external_ids` that a ticket already has."""
        ...
    def open_for_contact(self, contact: str) -> Ticket | None:
        """The contact's open (queued or active) ticket, the newest if several."""
        ...
    def for_contact(self, contact: str, limit: int) -> list[Ticket]:
        """The contact's tickets, newest first."""
        ...
    def front_order(self) -> int:
        """A queue_order below every queued ticket's (and below 0)."""
        ...
    def queue_position(self, ticket: Ticket) -> int:
        """1-based place of a queued ticket among the queued tickets of its own queue."""
        ...
    def queue_positions(self, tickets: Sequence[Ticket]) -> dict[int, int]:
        """The same for many tickets at once (one read on SQL), by id; the ones not queued
        are left out."""
        ...
    def held_by(self, agent_id: int) -> list[Ticket]:
        """The agent's active tickets in personal-queue order (oldest assignment first)."""
        ...
    def search(self, query: TicketFilter) -> Sequence[Ticket]: ...
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


class EventRepository(Protocol):
    def append(self, event: Event) -> None:
        """Written no later than the commit of the unit of work."""
        ...
    def after(self, event_id: int, limit: int) -> list[Event]:
        """Events with a larger id, oldest first."""
        ...
    def bounds(self) -> tuple[int, int]:
        """(first, last) ids kept; (0, 0) when there are none."""
        ...
    def prune(self, before: datetime) -> int: ...


class WebhookRepository(Protocol):
    def add(self, webhook: Webhook) -> Webhook: ...
    def get(self, webhook_id: int) -> Webhook | None: ...
    def all(self) -> list[Webhook]: ...
    def save(self, webhook: Webhook) -> None: ...


class DeliveryRepository(Protocol):
    def add_many(self, deliveries: Sequence[Delivery]) -> None: ...
    def get(self, delivery_id: int) -> Delivery | None: ...
    def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries whose attempt is due and that no process holds a lease on."""
        ...
    def claim(self, now: datetime, limit: int) -> list[Delivery]:
        """The same, each locked for this unit of work, skipping those another writer is
        claiming right now (so two senders never lease one delivery, without the floor lock)."""
        ...
    def save(self, delivery: Delivery) -> None: ...
    def search(self, status: DeliveryStatus | None, webhook_id: int | None, limit: int,
               offset: int) -> tuple[list[Delivery], int]: ...
    def prune_delivered(self, before: datetime) -> int:
        """Forget deliveries that succeeded before `before` (dead ones stay for admins)."""
        ...


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


class NoticeRepository(Protocol):
    """The chat channels' outbox (Telegram messages to send)."""

    def add(self, notice: Notice) -> bool:
        """False, writing nothing, when a notice with the same key is already there."""
        ...
    def exists(self, key: str) -> bool: ...
    def by_sent_id(self, chat_id: str, sent_id: str) -> Notice | None:
        """The notice a chat received as this message (what a reply in the chat answers)."""
        ...
    def get(self, notice_id: int) -> Notice | None: ...
    def due(self, now: datetime, limit: int) -> list[Notice]:
        """Pending notices whose attempt is due and which nobody holds a lease on."""
        ...
    def claim(self, now: datetime, limit: int) -> list[Notice]:
        """The same, each locked for this unit of work, skipping those another writer is
        claiming right now (so two senders never lease one notice, without the floor lock)."""
        ...
    def save(self, notice: Notice) -> None: ...
    def search(self, status: DeliveryStatus | None, limit: int,
               offset: int) -> tuple[list[Notice], int]: ...
    def prune_delivered(self, before: datetime) -> int: ...


class ChatLinkRepository(Protocol):
    """Which chat belongs to which agent, and the one-time codes that link them."""

    def link(self, link: ChatLink) -> None:
        """Replaces the agent's earlier link and any link of the same chat."""
        ...
    def for_agent(self, agent_id: int) -> ChatLink | None: ...
    def for_chat(self, chat_id: str) -> ChatLink | None: ...
    def unlink(self, agent_id: int) -> bool: ...
    def any(self) -> bool:
        """Whether any chat is linked at all."""
        ...
    def add_code(self, code_hash: str, agent_id: int, expires_at: datetime) -> None: ...
    def take_code(self, code_hash: str, now: datetime) -> int | None:
        """The agent a code links, once: the code is gone afterwards (expired ones too)."""
        ...


class RateLimitRepository(Protocol):
    def hit(self, key: str, window_start: int) -> int:
        """Count a hit for `key` in the window starting at `window_start` (epoch seconds; a
        new window starts again from 1); the hits so far in this window."""

    def prune(self, before: int) -> int:
        """Forget windows that started before `before`."""


class QueueRepository(Protocol):
    def add(self, queue: Queue) -> Queue:
        """The caller has checked that the name is free (under the floor lock)."""
        ...
    def get(self, name: str) -> Queue | None: ...
    def all(self) -> list[Queue]:
        """Every queue, by name; read once per unit of work."""
        ...
    def save(self, queue: Queue) -> None: ...
    def move_pointer(self, name: str, agent_id: int | None) -> None:
        """The rotation moved on (an assignment): the pointer is no longer the one a
        supervisor set. Not a change of policy, so no event."""
        ...


@dataclass(frozen=True)
class AuditFilter:
    kind: AuditKind | None = None
    subject: str | None = None
    actor: str | None = None
    since: datetime | None = None  # at >= since
    until: datetime | None = None  # at < until
    before_id: int | None = None  # keyset paging for exports: only entries with a smaller id
    limit: int = 100
    offset: int = 0


class AuditRepository(Protocol):
    """Changes to agents, queues and settings; never pruned."""

    def append(self, entry: AuditEntry) -> None: ...
    def search(self, query: AuditFilter) -> list[AuditEntry]:
        """Newest first."""
        ...
    def count(self, query: AuditFilter) -> int: ...


class PresenceLogRepository(Protocol):
    """Every presence change, appended with it; kept with the history, never pruned."""

    def append(self, change: PresenceChange) -> None: ...
    def during(self, since: datetime, until: datetime | None = None) -> list[PresenceChange]:
        """Changes at or after `since` (and before `until`), oldest first."""
        ...
    def at(self, when: datetime) -> dict[int, Presence]:
        """Each agent's presence just before `when` (agents with no change before it are
        left out: they were offline, as every agent starts)."""
        ...


class DaybookRepository(Protocol):
    """The day's figures, kept as work happens (domain/daybook.py). The units of work add to
    them at commit, from what they wrote and changed."""

    def add(self, adds: Sequence[DayAdd]) -> None:
        """Added to the day's sums no later than the commit of the unit of work."""
        ...
    def day(self, day: date) -> Day:
        """Every sum and histogram kept for `day`."""
        ...
    def compact(self) -> int:
        """Fold what commits added into the packed rows a day is read from (how many additions
        it folded); reads stay cheap as long as this runs now and then."""
        ...


class SettingsRepository(Protocol):
    """Settings an admin changes at run time; stored so every process and replica agrees."""

    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...


class UnitOfWork(Protocol):
    """One transaction. Writers are serialized by the database (BEGIN IMMEDIATE on SQLite, a
    transaction-scoped advisory lock on PostgreSQL); readers never block them."""

    agents: AgentRepository
    tickets: TicketRepository
    history: HistoryRepository
    queues: QueueRepository
    settings: SettingsRepository
    events: EventRepository
    webhooks: WebhookRepository
    deliveries: DeliveryRepository
    messages: MessageRepository
    customers: CustomerRepository
    notices: NoticeRepository
    chat_links: ChatLinkRepository
    rate_limits: RateLimitRepository
    audit: AuditRepository
    presence_log: PresenceLogRepository
    daybook: DaybookRepository

    def lock_floor(self) -> None:
        """Serialize with every other writer from here on (idempotent). A writing unit of work
        holds this from its start unless opened with `defer_lock=True`, for work that touches
        no shared row first (inserting a new ticket)."""
        ...

    def next_seq(self) -> int:
        """A strictly increasing number that orders assignments (the rotation's clock)."""
        ...

    def record(self, event: Event) -> None:
        """The event of a change, recorded by the use case where it makes the change: written
        with the commit, in the same transaction, in the order recorded."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@dataclass(frozen=True)
class Committed:
    """What one commit tells the process's subscribers, once it is durable: "events up to N"
    (and the history that came with them), and whether a sender has work. Heard from another
    process (PostgreSQL NOTIFY), it knows neither N nor the history: read what is new."""

    events_upto: int | None = None  # the last event id it wrote; None: none, or not known
    entries: Sequence[HistoryEntry] = ()  # the history it wrote (this process's commits)
    # A sender has work whether or not anyone subscribes to events: a notice or a delivery
    # awaits its first attempt (a reply to a customer, an admin's retry), or, heard from a
    # process that sends nothing itself, its events and notices wait for a sender.
    outgoing: bool = False
    here: bool = True  # committed by this process

    @property
    def moved(self) -> bool:
        """Whether there may be events to read."""
        return self.events_upto is not None or not self.here

    def gives_work(self, listening: bool) -> bool:
        """Whether a sender of this process should look now: work queued, or (when anyone
        subscribes to events, `listening`) this process's events to fan out. Another process's
        events are its own senders' (Wake.EVENTS in adapters/sql/wakeup.py): racing them for
        every commit would only make the replicas' senders contend."""
        return self.outgoing or (listening and self.here and self.events_upto is not None)


Subscriber = Callable[[Committed], None]


class CommitSignal(Protocol):
    """The one path from a commit to whatever must react to it in this process (the event
    hub, the senders, the metrics): units of work publish after commit, other processes'
    commits arrive through the same signal. Subscribers run in the publishing thread, must be
    quick and must not raise (they cannot undo the commit)."""

    def publish(self, commit: Committed) -> None: ...

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Hear every commit from now on; the result unsubscribes."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool, defer_lock: bool = False) -> UnitOfWork: ...
