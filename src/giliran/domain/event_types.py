"""The registry of event types: every kind of history entry and every event the floor
publishes, each with the typed payload it carries on the wire.

Event names are compared only through these members (a `StrEnum` equals its string, so the
strings already stored in the database read back unchanged). The payload dataclasses and the
wire shapes of the objects they carry (`TicketWire`...) are what `docs/events/` is generated
from (entrypoints/event_schema.py), so the published schemas cannot drift from what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict


class HistoryKind(StrEnum):
    """What one line of a ticket's assignment history records."""

    CREATED = "created"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"
    UNASSIGNED = "unassigned"
    FLAGGED = "flagged"
    RELEASED = "released"
    MOVED_TO_FRONT = "moved to front"
    PRIORITY_LOW = "priority_low"  # the priority it was set to (by hand or by aging)
    PRIORITY_NORMAL = "priority_normal"
    PRIORITY_HIGH = "priority_high"
    PRIORITY_URGENT = "priority_urgent"

    @classmethod
    def priority(cls, label: str) -> HistoryKind:
        return cls(f"priority_{label}")

    @property
    def sets_priority(self) -> bool:
        return self in _PRIORITY_KINDS

    @property
    def event_type(self) -> EventType:
        return _TICKET_TYPES.get(self, EventType.TICKET_PRIORITY)


class EventType(StrEnum):
    """Every event the floor publishes (WebSocket frames, webhook bodies)."""

    TICKET_CREATED = "ticket.created"
    TICKET_ASSIGNED = "ticket.assigned"
    TICKET_ACCEPTED = "ticket.accepted"
    TICKET_COMPLETED = "ticket.completed"
    TICKET_CANCELLED = "ticket.cancelled"
    TICKET_ESCALATED = "ticket.escalated"
    TICKET_UNASSIGNED = "ticket.unassigned"
    TICKET_FLAGGED = "ticket.flagged"
    TICKET_RELEASED = "ticket.released"
    TICKET_PRIORITY = "ticket.priority"
    AGENT_PRESENCE = "agent.presence"
    AGENT_CHANGED = "agent.changed"
    QUEUE_CHANGED = "queue.changed"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    MESSAGE_STATUS = "message.status"
    MESSAGE_EDITED = "message.edited"

    @property
    def is_ticket(self) -> bool:
        return self.value.startswith("ticket.")

    @property
    def is_agent(self) -> bool:
        return self.value.startswith("agent.")

    @property
    def is_message(self) -> bool:
        return self.value.startswith("message.")

    @property
    def payload(self) -> type[TicketPayload | AgentPayload | QueuePayload | MessagePayload]:
        """The payload this type carries besides `type`, `id` and `at`."""
        return PAYLOADS[self.value.partition(".")[0]]


_TICKET_TYPES = {
    HistoryKind.CREATED: EventType.TICKET_CREATED,
    HistoryKind.ASSIGNED: EventType.TICKET_ASSIGNED,
    HistoryKind.ACCEPTED: EventType.TICKET_ACCEPTED,
    HistoryKind.COMPLETED: EventType.TICKET_COMPLETED,
    HistoryKind.CANCELLED: EventType.TICKET_CANCELLED,
    HistoryKind.ESCALATED: EventType.TICKET_ESCALATED,
    HistoryKind.UNASSIGNED: EventType.TICKET_UNASSIGNED,
    HistoryKind.FLAGGED: EventType.TICKET_FLAGGED,
    HistoryKind.RELEASED: EventType.TICKET_RELEASED,
}
_PRIORITY_KINDS = frozenset({HistoryKind.PRIORITY_LOW, HistoryKind.PRIORITY_NORMAL,
                             HistoryKind.PRIORITY_HIGH, HistoryKind.PRIORITY_URGENT})
# Where a ticket enters or leaves its queue's line (waiting times, queue depth over time).
ENTERS_QUEUE = frozenset({HistoryKind.CREATED, HistoryKind.UNASSIGNED, HistoryKind.ESCALATED})
LEAVES_QUEUE = frozenset({HistoryKind.ASSIGNED, HistoryKind.CANCELLED})
# Where a ticket leaves its holder (an agent's load goes down).
RELEASES_HOLDER = frozenset({HistoryKind.COMPLETED, HistoryKind.CANCELLED,
                             HistoryKind.UNASSIGNED, HistoryKind.ESCALATED})


# The objects as they travel (domain/views.py builds them, to the same JSON as the REST API's
# TicketOut, AgentOut, QueueOut and MessageOut); more keys may be added, never taken away or
# changed in meaning without a new schema version. Times are ISO 8601 in UTC, written with `Z`.
class TicketWire(TypedDict):
    id: int
    number: str
    title: str
    category: str | None
    description: str | None
    priority: str  # as asked: low, normal, high, urgent
    effective_priority: str  # what it is served at (aging, a move to the front)
    queue: str
    status: str
    assigned_agent_id: int | None
    external_id: str | None
    created_at: str | None
    assigned_at: str | None
    accepted_at: str | None
    closed_at: str | None
    escalations: int
    flag: str | None
    flag_reason: str | None
    flagged_at: str | None
    auto_dispatch: bool
    queue_position: int | None  # a queued ticket's place in its queue, where the reader adds it
    channel: str | None
    accept_deadline: str | None


class PausedWire(TypedDict):
    queue: str
    since: str | None
    reason: str
    missed_in_row: int


class AgentWire(TypedDict):
    id: int
    name: str
    max_tickets: int
    auto_assign: bool
    rotation_order: int
    active: bool
    online: bool
    presence: str
    last_seen_at: str | None
    active_tickets: int
    missed_in_row: int
    queues: list[str]
    paused: list[PausedWire]
    language: str
    language_chosen: bool
    auto_assign_locked: bool
    last_assigned_at: str | None
    telegram_ticket_left: bool


class QueueWire(TypedDict):
    name: str
    strategy: str
    accept_timeout_seconds: int
    max_escalations: int
    away_after_misses: int
    offline_policy: str
    max_wait_seconds: int
    auto_assign_percent: int
    active: bool
    priority_aging_seconds: int
    reply_accepts: bool
    max_per_agent: int
    slot_freed_on: str
    claim: str
    pickup: str
    service_level_seconds: int


class MessageWire(TypedDict):
    id: int
    ticket_id: int
    direction: str
    channel: str
    kind: str
    sender: str
    author: str | None
    body: str
    content: dict[str, object]
    at: str
    state: str | None
    state_at: str | None
    error: str | None
    edited_at: str | None
    has_media: bool


class AgentLoad(TypedDict):
    active_tickets: int
    max_tickets: int


class LeftQueue(TypedDict):
    agent_id: int
    why: str  # escalated, moved, offline, cancelled, completed


@dataclass(frozen=True)
class TicketPayload:
    """A ticket moved: the ticket right after the move, and why and by whom.
    `agent_load` (on assignments) and `left_queue` (when it left its holder's personal queue
    by someone else's hand) are present only when they apply."""

    ticket: TicketWire
    reason: str
    actor: str | None
    from_agent_id: int | None
    to_agent_id: int | None
    agent_load: AgentLoad | None = None
    left_queue: LeftQueue | None = None


@dataclass(frozen=True)
class AgentPayload:
    agent: AgentWire


@dataclass(frozen=True)
class QueuePayload:
    queue: QueueWire


@dataclass(frozen=True)
class MessagePayload:
    ticket_id: int
    number: str
    message: MessageWire


PAYLOADS: dict[str, type[TicketPayload | AgentPayload | QueuePayload | MessagePayload]] = {
    "ticket": TicketPayload, "agent": AgentPayload, "queue": QueuePayload,
    "message": MessagePayload,
}
OPTIONAL_KEYS = frozenset({"agent_load", "left_queue"})  # left out of the wire when None
