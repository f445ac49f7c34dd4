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
from typing import Any, NewType, TypedDict


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
    # Its holder (or a supervisor) handed it on with a reason: to a colleague, another queue,
    # or back to its own queue; the reason is in the entry's detail.
    TRANSFERRED = "transferred"
    # Holds. Where a hold ends with the ticket back in the queue, or completed, the move is
    # recorded as `unassigned` or `completed` (reason customer_wrote / hold_expired), so the
    # queue's and the agents' figures read it as they read any other.
    HELD = "held"  # put on hold by its holder (or a supervisor)
    UNHELD = "unheld"  # taken off hold by a person: in progress again
    HOLD_RETURNED = "hold_returned"  # the customer wrote: back in progress with its holder
    HOLD_EXPIRED = "hold_expired"  # the hold reached its limit: back with its holder
    # A supervisor moved a waiting ticket to another queue: it keeps its place in time (its
    # wait goes on), so it neither leaves nor enters a line as the figures count them.
    MOVED = "moved"

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
    TICKET_HELD = "ticket.held"
    TICKET_UNHELD = "ticket.unheld"  # taken off hold, by a person, the customer or the clock
    AGENT_PRESENCE = "agent.presence"
    AGENT_CHANGED = "agent.changed"
    QUEUE_CHANGED = "queue.changed"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    MESSAGE_STATUS = "message.status"
    MESSAGE_EDITED = "message.edited"
    MESSAGE_CREATED = "message.created"  # an internal note, written on the desk (issue 23)
    USER_CHANGED = "user.changed"
    TICKET_TRANSFERRED = "ticket.transferred"
    SLA_WARNING = "sla.warning"  # an SLA clock reached its warning share (issue 26)
    SLA_BREACHED = "sla.breached"  # an SLA clock reached its due time
    SCHEDULE_CHANGED = "schedule.changed"  # opening hours created, changed or deleted

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
    def is_user(self) -> bool:
        return self.value.startswith("user.")

    @property
    def payload(self) -> type[Payload]:
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
    HistoryKind.TRANSFERRED: EventType.TICKET_TRANSFERRED,
    HistoryKind.MOVED: EventType.TICKET_TRANSFERRED,
    HistoryKind.HELD: EventType.TICKET_HELD,
    HistoryKind.UNHELD: EventType.TICKET_UNHELD,
    HistoryKind.HOLD_RETURNED: EventType.TICKET_UNHELD,
    HistoryKind.HOLD_EXPIRED: EventType.TICKET_UNHELD,
}
_PRIORITY_KINDS = frozenset({HistoryKind.PRIORITY_LOW, HistoryKind.PRIORITY_NORMAL,
                             HistoryKind.PRIORITY_HIGH, HistoryKind.PRIORITY_URGENT})
# Where a ticket enters or leaves its queue's line (waiting times, queue depth over time).
ENTERS_QUEUE = frozenset({HistoryKind.CREATED, HistoryKind.UNASSIGNED, HistoryKind.ESCALATED,
                          HistoryKind.TRANSFERRED})
LEAVES_QUEUE = frozenset({HistoryKind.ASSIGNED, HistoryKind.CANCELLED})
# Where a ticket leaves its holder (an agent's load goes down).
RELEASES_HOLDER = frozenset({HistoryKind.COMPLETED, HistoryKind.CANCELLED,
                             HistoryKind.UNASSIGNED, HistoryKind.ESCALATED,
                             HistoryKind.TRANSFERRED})


# The objects as they travel: exactly as the REST API shows them (TicketOut, AgentOut, QueueOut;
# a message as MessageOut with its ticket_id), built by domain/views.py and held to those shapes
# by tests/unit/test_views_match_rest.py. The REST schemas are their one declaration: the
# published event schema takes them from there (entrypoints/event_schema.py), so the fields
# are not listed twice. More keys may be added, never taken away or changed in meaning without
# a new schema version.
TicketWire = NewType("TicketWire", dict[str, Any])
AgentWire = NewType("AgentWire", dict[str, Any])
QueueWire = NewType("QueueWire", dict[str, Any])
MessageWire = NewType("MessageWire", dict[str, Any])
UserWire = NewType("UserWire", dict[str, Any])  # as UserOut: never a password or its hash
ScheduleWire = NewType("ScheduleWire", dict[str, Any])  # as ScheduleOut (GET /schedules/{name})


class AgentLoad(TypedDict):
    active_tickets: int
    max_tickets: int


class ActorDetail(TypedDict):
    """Who `actor` was: their user id (none for the admin token, the command line, giliran
    itself, a channel's customer), their name at the time, how they came (session, token,
    agent_token, admin_token, intake_token, cli, system, channel) and the personal token's name
    when they came through one."""

    user_id: int | None
    name: str
    via: str
    token: str | None


class LeftQueue(TypedDict):
    agent_id: int
    why: str  # escalated, unanswered, moved, offline, cancelled, completed


@dataclass(frozen=True)
class TicketPayload:
    """A ticket moved: the ticket right after the move, and why and by whom.
    `agent_load` (on assignments) and `left_queue` (when it left its holder's personal queue
    by someone else's hand) are present only when they apply. `actor` is the key the history
    shows ("agent:5", "admin", "system"); `by` says who that was (absent from events sent before
    it was added)."""

    ticket: TicketWire
    reason: str
    actor: str | None
    from_agent_id: int | None
    to_agent_id: int | None
    agent_load: AgentLoad | None = None
    left_queue: LeftQueue | None = None
    by: ActorDetail | None = None
    because: str | None = None  # a transfer's reason, as the person gave it


@dataclass(frozen=True)
class AgentPayload:
    """`by`: who changed it, when a person did (absent for giliran's own changes: a miss, a
    pause, presence)."""

    agent: AgentWire
    by: ActorDetail | None = None


@dataclass(frozen=True)
class QueuePayload:
    queue: QueueWire
    by: ActorDetail | None = None


@dataclass(frozen=True)
class MessagePayload:
    ticket_id: int
    number: str
    message: MessageWire


@dataclass(frozen=True)
class UserPayload:
    """A person's account or their access changed: `action` is the audit log's (created,
    changed, deactivated, reactivated, password reset, password changed), or "session ended"
    and "token revoked". Only admins and the user see it; their open sockets are checked again
    on it, so a deactivated user's or an ended session's socket closes at once."""

    user: UserWire
    action: str
    by: ActorDetail | None = None


@dataclass(frozen=True)
class SlaPayload:
    """A ticket's SLA clock reached its warning or its due time (each once): which target,
    under which policy, when it is due, the breach actions taken (on a breach), and the ticket
    as it stands after them."""

    ticket: TicketWire
    target: str  # first_response, next_response, resolution
    policy: str | None
    due_at: str | None
    actions: list[str]  # raise_priority, reassign, move: those that did something


@dataclass(frozen=True)
class SchedulePayload:
    """A schedule (opening hours) was created, changed, given a country's holidays or deleted:
    `action` says which (created, changed, holidays_imported, deleted); `schedule` is as
    GET /schedules/{name} shows it after the change (its `open_now` and `until` at that
    moment), absent when it was deleted; `name` is its name either way. For supervisors and
    admins (agents do not see opening hours' administration)."""

    name: str
    action: str
    schedule: ScheduleWire | None = None
    by: ActorDetail | None = None


Payload = (TicketPayload | AgentPayload | QueuePayload | MessagePayload | UserPayload
           | SlaPayload | SchedulePayload)
PAYLOADS: dict[str, type[Payload]] = {
    "ticket": TicketPayload, "agent": AgentPayload, "queue": QueuePayload,
    "message": MessagePayload, "user": UserPayload, "sla": SlaPayload,
    "schedule": SchedulePayload,
}
# Left out of the wire when None.
OPTIONAL_KEYS = frozenset({"agent_load", "left_queue", "by", "because", "schedule"})
