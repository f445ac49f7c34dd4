"""Tickets, agents and queues: plain data with the invariants that concern a single object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

DEFAULT_QUEUE = "default"
DEFAULT_MAX_TICKETS = 5


class TicketStatus(StrEnum):
    QUEUED = "queued"
    ASSIGNED = "assigned"  # in an agent's personal queue, not yet started ("Pending")
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """Active tickets count against the holder's capacity."""
        return self in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)

    @property
    def is_final(self) -> bool:
        return self in (TicketStatus.COMPLETED, TicketStatus.CANCELLED)


class Priority(IntEnum):
    """Higher value is served first."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Priority:
        return cls[label.upper()]


class StrategyName(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    RANDOM = "random"


class Reason(StrEnum):
    """Why a ticket moved; written to the assignment history."""

    AUTO = "auto"  # dispatched on arrival or when an agent became eligible
    REFILL = "refill"  # dispatched into a slot another ticket just freed
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CREATED = "created"
    AGENT_DEACTIVATED = "agent_deactivated"  # back to the queue because its holder left

    @property
    def moves_rotation(self) -> bool:
        """Only automatic assignments cost an agent its turn in the rotation."""
        return self in (Reason.AUTO, Reason.REFILL)


@dataclass
class Agent:
    id: int
    name: str
    max_tickets: int = DEFAULT_MAX_TICKETS
    auto_assign: bool = True
    active: bool = True
    online: bool = False
    rotation_order: int = 0
    active_tickets: int = 0
    # Sequence number of this agent's latest automatic assignment; 0 = never assigned.
    last_assigned_seq: int = 0

    @property
    def free_slots(self) -> int:
        return max(0, self.max_tickets - self.active_tickets)


@dataclass
class Ticket:
    id: int
    title: str
    created_at: datetime
    queue: str = DEFAULT_QUEUE
    priority: Priority = Priority.NORMAL
    status: TicketStatus = TicketStatus.QUEUED
    category: str | None = None
    description: str | None = None
    external_id: str | None = None
    agent_id: int | None = None
    # Sequence number of the assignment that put it in the holder's personal queue.
    assigned_seq: int = 0
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def queue_key(self) -> tuple[int, int]:
        """Global queue order: priority first, then arrival (ids grow with arrival)."""
        return (-int(self.priority), self.id)

    @property
    def number(self) -> str:
        """The human ticket number, derived so it can never disagree with the id."""
        return f"INC{self.created_at:%Y%m%d}{self.id:06d}"


@dataclass
class Queue:
    name: str
    strategy: StrategyName = StrategyName.ROUND_ROBIN


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the append-only assignment history."""

    ticket_id: int
    at: datetime
    event: str
    reason: Reason
    actor: str
    from_agent_id: int | None = None
    to_agent_id: int | None = None
    id: int = 0
