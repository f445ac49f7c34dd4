"""What the in-memory store holds: the rows of every table, and the indexes its queries use
(each one kept by the repository that writes the rows it indexes, through the journal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from giliran.adapters.memory.conversation import ConversationState
from giliran.adapters.memory.journal import Journal
from giliran.domain.audit import AuditEntry
from giliran.domain.daybook import Figure
from giliran.domain.delivery import Delivery, Webhook
from giliran.domain.events import Event
from giliran.domain.hours import Schedule
from giliran.domain.model import (
    DEFAULT_QUEUE,
    Agent,
    HistoryEntry,
    PresenceChange,
    Queue,
    StrategyName,
    Ticket,
)
from giliran.domain.notices import ChatLink, Notice
from giliran.domain.people import ApiToken, User
from giliran.domain.people import Session as SignedIn
from giliran.domain.sla import Outcome, Policy, SlaClock

QueueKey = tuple[int, int, int]


@dataclass
class MemoryState:
    agents: dict[int, Agent] = field(default_factory=dict)
    token_hashes: dict[str, int] = field(default_factory=dict)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    queues: dict[str, Queue] = field(
        default_factory=lambda: {DEFAULT_QUEUE: Queue(DEFAULT_QUEUE, StrategyName.ROUND_ROBIN)}
    )
    schedules: dict[str, Schedule] = field(default_factory=dict)
    seq: int = 0
    settings: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)  # by id
    events_in_time_order: bool = True  # and by time too, as long as no clock went back
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    conversation: ConversationState = field(default_factory=ConversationState)
    audit: list[AuditEntry] = field(default_factory=list)
    presence: list[PresenceChange] = field(default_factory=list)
    notices: dict[int, Notice] = field(default_factory=dict)
    notice_keys: dict[str, int] = field(default_factory=dict)
    chat_links: dict[int, ChatLink] = field(default_factory=dict)
    link_codes: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    rate_limits: dict[str, tuple[int, int]] = field(default_factory=dict)  # window, hits
    users: dict[int, User] = field(default_factory=dict)
    api_tokens: dict[int, ApiToken] = field(default_factory=dict)
    sessions: dict[int, SignedIn] = field(default_factory=dict)
    # Agents who could receive work (active, online, opted in): dispatch looks at these only.
    ready: dict[int, None] = field(default_factory=dict)
    sla_policies: dict[int, Policy] = field(default_factory=dict)
    sla_clocks: dict[tuple[int, str], SlaClock] = field(default_factory=dict)
    sla_outcomes: list[Outcome] = field(default_factory=list)
    # Indexes of the tickets.
    queued: dict[str, list[QueueKey]] = field(default_factory=dict)  # per queue, in order
    active: dict[int, None] = field(default_factory=dict)  # assigned, in progress, on hold
    # Per queue, its assigned (not yet accepted) tickets by (assigned_at, id): the timer pass
    # finds the overdue ones at the front.
    assigned: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    held: dict[int, dict[int, None]] = field(default_factory=dict)  # agent → its held ones
    external_ids: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, dict[int, None]] = field(default_factory=dict)
    history_of: dict[int, list[HistoryEntry]] = field(default_factory=dict)  # per ticket
    # The last id given out per table: never reused, even after a prune or a rollback (as
    # with SQL's sequences).
    last_ids: dict[str, int] = field(default_factory=dict)
    # The day's figures: per day, (subject, figure, bucket) -> sum.
    day_figures: dict[date, dict[tuple[str, Figure, int], float]] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]


@dataclass
class Session:
    """What one unit of work shares among its repositories: the journal of its changes, and
    the copies of the rows it handed out (one per row, as SQL's identity map)."""

    state: MemoryState
    journal: Journal = field(default_factory=Journal)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    agents: dict[int, Agent] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    written: list[HistoryEntry] = field(default_factory=list)  # history since the last commit
    pending_events: list[Event] = field(default_factory=list)
    queued: bool = False  # a notice or delivery awaits its first attempt (the senders' work)

    def forget_rows(self) -> None:
        self.tickets.clear()
        self.agents.clear()
        self.queues.clear()
