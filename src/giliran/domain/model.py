"""Tickets, agents and queues: plain data with the invariants that concern a single object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from giliran.domain.actor import Actor
from giliran.domain.event_types import HistoryKind

DEFAULT_QUEUE = "default"
DEFAULT_MAX_TICKETS = 5
DEFAULT_PRIORITY_AGING_SECONDS = 600
DEFAULT_SERVICE_LEVEL_SECONDS = 300  # a ticket answered within 5 minutes meets the target
DEFAULT_HOLD_MINUTES = 1440  # a day
MAX_HOLD_MINUTES = 43200  # 30 days


class TicketStatus(StrEnum):
    QUEUED = "queued"
    ASSIGNED = "assigned"  # in an agent's personal queue, not yet started ("Pending")
    IN_PROGRESS = "in_progress"
    # Waiting for the customer: still its holder's, still open; whether it takes one of the
    # holder's slots is the ticket's own `hold_keeps_slot` (see Ticket.takes_slot).
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """Being worked on: waiting for its holder's accept, or in progress (not on hold)."""
        return self in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)

    @property
    def is_held(self) -> bool:
        """Held by an agent (active or on hold): the agent answers for it."""
        return self.is_active or self is TicketStatus.ON_HOLD

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
    ROTATION = "rotation"  # a strict turn over the queue's members, with a stored pointer


class SlotFreedOn(StrEnum):
    """When a ticket stops counting against its queue's per-agent limit."""

    COMPLETE = "complete"  # while the agent holds it (assigned or in progress)
    ACCEPT = "accept"  # once the agent responds (accepts, or replies): the next one may come


class ClaimPolicy(StrEnum):
    """Who may pick up a waiting ticket of a queue by hand."""

    ANYONE = "anyone"  # any member with room
    TURN = "turn"  # only the member whose turn it is in the rotation


class PickupPolicy(StrEnum):
    ON = "on"
    OFF = "off"  # the last step of a migration: nobody picks up by hand any more


class HoldExpiry(StrEnum):
    """What a queue does with a hold that reached its limit (`hold_until`)."""

    RETURN = "return"  # back to its holder, or to the queue, as a customer message would
    CLOSE = "close"  # completed: the customer never came back


class WaitingOrder(StrEnum):
    """How a queue orders its waiting tickets."""

    PRIORITY = "priority"  # effective priority, then age
    SLA_DUE = "sla_due"  # the soonest SLA due time first (none: after them), then as above


class Clock(StrEnum):
    """A queue's timers. Outside its opening hours each stands still (business time), unless
    the queue lists it in `calendar_clocks` (it runs around the clock)."""

    ACCEPT = "accept"  # accept_timeout_seconds: escalation
    AGING = "aging"  # priority_aging_seconds
    WAITING = "waiting"  # max_wait_seconds: the waiting-too-long flag
    REPLY = "reply"  # reply_timeout_seconds: the reply timer
    HOLD = "hold"  # hold_minutes: a hold's limit


class Language(StrEnum):
    """What an agent's chat notices are written in."""

    EN = "en"
    ID = "id"


class Presence(StrEnum):
    ONLINE = "online"  # receives work
    # Kept for agents set away by earlier versions (which did it after missed tickets); misses
    # now pause an agent in one queue only (QueueState), and go-online brings it back.
    AWAY = "away"
    OFFLINE = "offline"


class OfflinePolicy(StrEnum):
    """What happens to an agent's tickets when it goes offline (per queue)."""

    KEEP = "keep"  # they stay with the agent
    REQUEUE = "requeue"  # the ones it has not accepted go back to the queue
    REQUEUE_ALL = "requeue_all"  # every active one goes back to the queue


class TicketFlag(StrEnum):
    """Why a ticket needs a supervisor."""

    EXHAUSTED = "exhausted"  # escalated until nobody was left to try; automation stopped
    WAITING_TOO_LONG = "waiting_too_long"  # queued longer than the queue's max_wait_seconds
    # Nobody can ever take it as things stand (`flag_reason` says why: domain/reach.py);
    # released by itself as soon as a way in exists.
    UNREACHABLE = "unreachable"


class Reason(StrEnum):
    """Why a ticket moved; written to the assignment history."""

    AUTO = "auto"  # dispatched on arrival or when an agent became eligible
    REFILL = "refill"  # dispatched into a slot another ticket just freed
    ACCEPTED = "accepted"
    REPLIED = "replied"  # accepted by the holder's first reply to the customer
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CREATED = "created"
    AGENT_DEACTIVATED = "agent_deactivated"  # back to the queue because its holder left
    ESCALATION = "escalation"  # not accepted in time: taken back from its holder
    AGENT_OFFLINE = "agent_offline"  # back to the queue under the queue's offline policy
    EXHAUSTED = "exhausted"  # flagged: no agent left to escalate to
    WAITING_TOO_LONG = "waiting_too_long"  # flagged: queued longer than max_wait_seconds
    UNREACHABLE = "unreachable"  # flagged: nobody can take it as things stand (domain/reach.py)
    REACHABLE = "reachable"  # released: its queue has a way in again
    PICKUP_OFF = "pickup_off"  # left for a pick-up, made automatic: pick-up was switched off
    AGING = "aging"  # waited long enough to move up one priority level
    PRIORITY = "priority"  # an admin changed its priority
    FRONT = "front"  # an admin moved it to the front of the queue
    PICKUP = "pickup"  # an agent took it from the queue by hand
    REASSIGNED = "reassigned"  # an admin moved it to a named agent
    FORCED = "forced"  # the same, past the agent's capacity or queues
    UNASSIGNED = "unassigned"  # an admin sent it back to the queue
    ORPHANED = "orphaned"  # found active with no (active) holder, and sent back to the queue
    TRANSFERRED = "transferred"  # its holder or a supervisor handed it on, saying why
    HELD = "held"  # its holder put it on hold, waiting for the customer
    UNHELD = "unheld"  # taken off hold by a person
    CUSTOMER_WROTE = "customer_wrote"  # back from hold: the customer wrote
    HOLD_EXPIRED = "hold_expired"  # back from hold (or completed): the hold reached its limit
    FLAG_CLEARED = "flag_cleared"  # a supervisor took the flag off (it stays where it is)
    MOVED = "moved"  # a supervisor moved a waiting ticket to another queue
    SLA_BREACH = "sla_breach"  # an SLA policy's breach action (raise, reassign, move)

    @property
    def moves_rotation(self) -> bool:
        """Only automatic assignments cost an agent its turn in the rotation."""
        return self in (Reason.AUTO, Reason.REFILL)


@dataclass
class QueueState:
    """An agent's standing in one of its queues: misses in a row there, and whether it is paused
    there (it then receives nothing of that queue, and keeps receiving its other queues)."""

    missed_in_row: int = 0
    paused_at: datetime | None = None
    pause_reason: str | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def plain(self) -> bool:
        """Nothing to remember: the state of every queue an agent has just joined."""
        return self.missed_in_row == 0 and self.paused_at is None


@dataclass
class Agent:
    id: int
    name: str
    max_tickets: int = DEFAULT_MAX_TICKETS
    auto_assign: bool = True
    active: bool = True
    presence: Presence = Presence.OFFLINE
    rotation_order: int = 0
    active_tickets: int = 0
    # Sequence number of this agent's latest automatic assignment; 0 = never assigned.
    last_assigned_seq: int = 0
    # When it last received a ticket, by any way (automatic, pick-up, a supervisor's move).
    last_assigned_at: datetime | None = None
    # When it last replied to a customer (shown to supervisors on the Floor).
    last_reply_at: datetime | None = None
    # Last sign of life (going online, a heartbeat, an accept); presence expires from it.
    last_seen_at: datetime | None = None
    # Assignments in a row this agent let time out, in any queue; an accept or going online
    # resets it. What pauses an agent is the count per queue, in `queue_state`.
    missed_in_row: int = 0
    # The queues (mailboxes) it serves; its capacity is shared across all of them.
    queues: frozenset[str] = frozenset({DEFAULT_QUEUE})
    # Per queue it serves, when not plain (misses in a row there, a pause there).
    queue_state: dict[str, QueueState] = field(default_factory=dict)
    language: Language = Language.EN  # of its chat notices
    # The agent (or an admin) chose `language`. Until then it is the deployment's default, or
    # the language of the dashboard the agent last asked for a Telegram link code from.
    language_chosen: bool = False
    # Tell it in its Telegram chat when a ticket leaves its queue by someone else's hand
    # (escalated, moved, cancelled or completed by a supervisor, sent back as it went
    # offline). On unless it says no.
    telegram_ticket_left: bool = True
    # An admin decided for it: the agent cannot switch automatic assignment itself.
    auto_assign_locked: bool = False
    # Its presence and load (domain/daybook.usage_state) when its time online and busy was last
    # counted into the day's figures, and since when (the span not counted yet).
    usage_state: int = 0
    usage_since: datetime | None = None

    @property
    def online(self) -> bool:
        return self.presence is Presence.ONLINE

    @property
    def free_slots(self) -> int:
        return max(0, self.max_tickets - self.active_tickets)

    def state_in(self, queue: str) -> QueueState:
        return self.queue_state.get(queue) or QueueState()

    def paused_in(self, queue: str) -> bool:
        found = self.queue_state.get(queue)
        return found is not None and found.paused

    def set_state(self, queue: str, state: QueueState) -> None:
        """Keep only what is worth remembering, and only for queues it serves."""
        if state.plain or queue not in self.queues:
            self.queue_state.pop(queue, None)
        else:
            self.queue_state[queue] = state

    @property
    def rotation_key(self) -> tuple[int, int]:
        """Its place in a queue's strict rotation: the admin's order, then the id."""
        return (self.rotation_order, self.id)


@dataclass(frozen=True)
class SlaMark:
    """One SLA target of a ticket, as the ticket shows it (domain/sla.py keeps the clocks)."""

    target: str  # first_response, next_response, resolution
    due_at: datetime | None  # None while paused
    state: str  # active, warning, met, breached
    warn_at: datetime | None


@dataclass(frozen=True)
class TicketSla:
    """The SLA a ticket is under: its policy's name and a mark per target."""

    policy: str | None
    targets: tuple[SlaMark, ...] = ()


@dataclass
class Ticket:
    id: int
    title: str
    created_at: datetime
    queue: str = DEFAULT_QUEUE
    # What the customer, the API or a supervisor asked for; aging never changes it.
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
    # Its first accept (an accept after a requeue does not move it): when it was answered.
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    # When it last entered the global queue (arrival, or taken back from an agent).
    queued_at: datetime | None = None
    escalations: int = 0
    # Agents who let this ticket time out; it is never offered to them again.
    missed_by: frozenset[int] = field(default_factory=frozenset)
    flag: TicketFlag | None = None
    flagged_at: datetime | None = None
    # Why it is flagged, where the flag alone does not say (unreachable: domain/reach.py).
    flag_reason: str | None = None
    # False: dispatch leaves it alone (it waits for a supervisor or a manual pick-up).
    auto_dispatch: bool = True
    # Orders tickets of equal priority before their arrival: 0, or below 0 once an admin moved
    # the ticket to the front (the latest move goes first).
    queue_order: int = 0
    # When its current priority took effect (arrival, a change, aging); aging counts from here.
    priority_since: datetime | None = None
    # Who it is for, on the channel it came from (e.g. "whatsapp:6281234567890"): later
    # messages from the same contact join the ticket while it is open.
    contact: str | None = None
    # One of several open tickets of its contact: a channel that keeps conversations apart
    # opened it (a mail thread of its own), or it predates the one-open-ticket rule. Only the
    # other tickets are one open per contact (migration 0017's index).
    contact_shared: bool = False
    # The priority it is served at: the asked one, raised by aging while it waits (or to
    # urgent by a move to the front). Never below `priority` (see __post_init__).
    effective_priority: Priority = Priority.LOW
    # On hold: until when (then its queue's hold_expiry applies), and whether it still takes
    # one of its holder's slots (the queue's hold_frees_slot, as it was when put on hold).
    hold_until: datetime | None = None
    hold_keeps_slot: bool = False
    # Its SLA as the clocks left it (kept with them by service/sla), and the soonest due time
    # of a running clock (a queue with waiting_order sla_due serves that first).
    sla: TicketSla | None = None
    sla_due_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.effective_priority < self.priority:
            self.effective_priority = self.priority

    @property
    def takes_slot(self) -> bool:
        """Whether it takes one of its holder's slots (counts in `active_tickets`): capacity
        is the ticket's, not its status's, since a hold may keep the slot or free it."""
        if self.status is TicketStatus.ON_HOLD:
            return self.hold_keeps_slot
        return self.status.is_active

    @property
    def dispatchable(self) -> bool:
        return self.status is TicketStatus.QUEUED and self.auto_dispatch

    @property
    def queue_key(self) -> tuple[int, int, int]:
        """Global queue order: the priority it is served at first, then moves to the front,
        then arrival (ids grow with arrival)."""
        return (-int(self.effective_priority), self.queue_order, self.id)

    def line_key(self, order: WaitingOrder) -> tuple[Any, ...]:
        """Its place in its queue's line under the queue's waiting order: by SLA due time the
        soonest due clock first, tickets without one after them, then as `queue_key`.
        Across queues (a list of several) the same key is a total order: the due tickets of
        queues that serve by SLA due time first, then the rest by priority and age."""
        due = self.sla_due_at if order is WaitingOrder.SLA_DUE else None
        return (due is None, due.timestamp() if due is not None else 0.0, *self.queue_key)

    @property
    def number(self) -> str:
        """The human ticket number, derived so it can never disagree with the id."""
        # Spelled out rather than strftime'd: several per write, and strftime is slow.
        day = self.created_at
        return f"INC{day.year:04d}{day.month:02d}{day.day:02d}{self.id:06d}"


@dataclass
class Queue:
    """A mailbox or channel and its policy. Every number of seconds or times: 0 = off."""

    name: str
    strategy: StrategyName = StrategyName.ROUND_ROBIN
    accept_timeout_seconds: int = 0
    max_escalations: int = 0  # 0: escalate until every member has missed the ticket
    away_after_misses: int = 0
    offline_policy: OfflinePolicy = OfflinePolicy.KEEP
    max_wait_seconds: int = 0
    # Share of new tickets dispatched automatically (0-100); the rest wait for a manual pick-up.
    auto_assign_percent: int = 100
    active: bool = True  # an inactive queue takes no new tickets; the ones it has carry on
    # A queued ticket moves up one priority level after waiting this long at its level, so a
    # low one is urgent after 3 steps and then ahead of every later arrival (no starvation).
    priority_aging_seconds: int = DEFAULT_PRIORITY_AGING_SECONDS
    # The holder's first reply to the customer accepts the ticket (stops its accept timer).
    reply_accepts: bool = True
    # How many of this queue's tickets an agent may hold at once (0 = no limit but max_tickets),
    # and when one stops counting.
    max_per_agent: int = 0
    slot_freed_on: SlotFreedOn = SlotFreedOn.COMPLETE
    claim: ClaimPolicy = ClaimPolicy.ANYONE
    pickup: PickupPolicy = PickupPolicy.ON
    # The rotation's pointer: the member next in turn (None: the first member). Who follows
    # is read from the members' order at each assignment, so a reorder never skips anyone.
    next_agent_id: int | None = None
    # A supervisor set the pointer (not an assignment moving it on): the next assignment or
    # claim in turn says so, and moving the pointer on clears it.
    pointer_set_by_hand: bool = False
    # The service level's target: the share of tickets answered (accepted) within this long
    # of arriving is what the dashboards and /stats report against.
    service_level_seconds: int = DEFAULT_SERVICE_LEVEL_SECONDS
    # Holds: whether a ticket on hold frees its holder's slot, how long a hold lasts at most,
    # and what happens when it ends by itself.
    hold_frees_slot: bool = False
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    hold_expiry: HoldExpiry = HoldExpiry.RETURN
    # Opening hours: the schedule it keeps (None: always open). While closed its tickets wait,
    # nobody is assigned, and its timers stand still but for those in `calendar_clocks`.
    schedule: str | None = None
    calendar_clocks: frozenset[str] = frozenset()  # Clock values
    # While closed, a customer writing on a chat channel is told once per conversation when it
    # opens (`out_of_hours_reply`); agents may be set offline at closing and told at opening.
    out_of_hours_reply: bool = True
    offline_at_closing: bool = False
    # The reply timer: an accepted ticket whose holder has not replied to the customer within
    # this is taken back and offered to the next agent (0 = off).
    reply_timeout_seconds: int = 0
    waiting_order: WaitingOrder = WaitingOrder.PRIORITY

    def in_business_time(self, clock: Clock) -> bool:
        """Whether `clock` stands still while the queue is closed."""
        return self.schedule is not None and clock.value not in self.calendar_clocks

    def counts(self, ticket: Ticket) -> bool:
        """Whether `ticket` (of this queue) takes one of its holder's slots in this queue."""
        if self.slot_freed_on is SlotFreedOn.ACCEPT:
            return ticket.status is TicketStatus.ASSIGNED
        return ticket.takes_slot

    def has_room_for(self, held_here: int) -> bool:
        """Within the per-agent limit, given how many of its slots the agent uses here."""
        return self.max_per_agent <= 0 or held_here < self.max_per_agent


@dataclass(frozen=True)
class PresenceChange:
    """One line of the presence log: kept over time, so figures can divide by time online."""

    agent_id: int
    at: datetime
    presence: Presence


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the append-only assignment history."""

    ticket_id: int
    at: datetime
    event: HistoryKind  # a StrEnum: stored and compared as its string
    reason: Reason
    actor: Actor  # who: the key the history always showed, and their name and how
    from_agent_id: int | None = None
    to_agent_id: int | None = None
    id: int = 0
    # Why it happened, for people: the strategy and the deciding fact in words (English), and
    # the same as data (for the dashboards to say in their language, and for analysis).
    note: str | None = None
    detail: dict[str, Any] | None = None
    # Measures of a move, for metrics and the day's figures (domain/daybook.py); not stored
    # (the history has the timestamps).
    waited_seconds: float | None = field(default=None, compare=False)  # this stay in the queue
    since_arrival_seconds: float | None = field(default=None, compare=False)  # first only
    response_seconds: float | None = field(default=None, compare=False)  # assigned to accepted
    first_response_seconds: float | None = field(default=None, compare=False)  # arrival to the
    # first accept, on that accept only
    handle_seconds: float | None = field(default=None, compare=False)  # accepted to completed
    # The new holder's (active tickets, capacity) right after an assignment: its notice tells
    # the load as the assignment left it, not as it is when the notice is written. Not stored.
    load: tuple[int, int] | None = field(default=None, compare=False)
