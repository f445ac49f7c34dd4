"""Request and response shapes of the public API (Pydantic v2)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)
from pydantic import Strict as PydanticStrict
from pydantic_core import PydanticCustomError

from giliran.domain import text
from giliran.domain.conversation import split_contact
from giliran.domain.listing import since
from giliran.domain.model import (
    Agent,
    HistoryEntry,
    Language,
    Presence,
    Priority,
    Ticket,
    TicketFlag,
    TicketSla,
    TicketStatus,
)
from giliran.domain.text import unstorable_at
from giliran.entrypoints.api.schemas_desk import ByOut, PausedOut, Warnings
from giliran.service.ports import ListedTicket

MAX_INT = 2_147_483_647
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z]{1,20}$")]
QueueName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# Request numbers and flags are strict: JSON true is no 1, and 5.0 or "5" is no count.
Capacity = Annotated[int, PydanticStrict(), Field(ge=0, le=1000)]
RotationOrder = Annotated[int, PydanticStrict(), Field(ge=-1_000_000, le=1_000_000)]
Seconds = Annotated[int, PydanticStrict(), Field(ge=0, le=7 * 24 * 3600, description="0 = off")]
Times = Annotated[int, PydanticStrict(), Field(ge=0, le=1000, description="0 = off")]
RowRef = Annotated[int, PydanticStrict(), Field(ge=1, le=MAX_INT)]
Flag = StrictBool


def _not_a_number(value: Any) -> Any:
    """Pydantic reads "0.5" as a Unix time; a query's times are ISO 8601 or nothing."""
    if isinstance(value, int | float) or (isinstance(value, str) and NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date-time, such as 2026-01-05T10:00:00Z")
    return value


NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
Moment = Annotated[datetime, BeforeValidator(_not_a_number)]


class PriorityLabel(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Strict(BaseModel):
    """Every request body: no unknown fields, and no text the databases cannot store."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        where = unstorable_at(data)
        if where is not None:  # named only when it is a field of ours: keys are input too
            field = where[0] if where and where[0] in cls.model_fields else "a field"
            raise PydanticCustomError("unstorable_text", "{field} " + text.PROBLEM,
                                      {"field": field})
        return data


QueueNames = Annotated[list[QueueName], Field(max_length=100, description="Queues served")]


class AgentCreate(Strict):
    name: Name
    max_tickets: Capacity = 5
    auto_assign: Flag = True
    rotation_order: RotationOrder = 0
    queues: QueueNames = Field(default_factory=lambda: ["default"])
    language: Language | None = Field(default=None, description="Of its chat notices; "
                                      "default GILIRAN_DEFAULT_LANGUAGE")
    auto_assign_locked: bool = Field(default=False, description="The agent cannot switch "
                                     "auto_assign itself")


class AgentPatch(Strict):
    name: Name | None = None
    max_tickets: Capacity | None = None
    auto_assign: Flag | None = None
    rotation_order: RotationOrder | None = None
    active: Flag | None = None
    queues: QueueNames | None = None
    language: Language | None = None
    auto_assign_locked: bool | None = None


class AgentOut(BaseModel):
    id: int
    name: str
    max_tickets: int
    auto_assign: bool
    rotation_order: int
    active: bool
    online: bool = Field(description="presence == online: the agent receives work")
    presence: Presence
    last_seen_at: datetime | None
    active_tickets: int
    missed_in_row: int = Field(description="Misses in a row in any queue (pauses count per "
                               "queue: `paused`)")
    queues: list[str]
    paused: list[PausedOut] = Field(description="Queues it is paused in after too many misses "
                                    "there; its other queues carry on")
    language: Language = Field(description="Of its chat notices")
    language_chosen: bool = Field(description="The agent or an admin chose `language`; until "
                                  "then it is GILIRAN_DEFAULT_LANGUAGE, or the language of the "
                                  "dashboard the agent last asked for a Telegram link code from")
    auto_assign_locked: bool
    last_assigned_at: datetime | None = Field(default=None, description="When it last "
                                              "received a ticket (any way)")
    telegram_ticket_left: bool = Field(description="Its Telegram chat hears of tickets that "
                                       "leave its queue by someone else's hand")

    @classmethod
    def of(cls, agent: Agent) -> AgentOut:
        return cls(
            id=agent.id, name=agent.name, max_tickets=agent.max_tickets,
            auto_assign=agent.auto_assign, rotation_order=agent.rotation_order,
            active=agent.active, online=agent.online, presence=agent.presence,
            last_seen_at=agent.last_seen_at, last_assigned_at=agent.last_assigned_at,
            active_tickets=agent.active_tickets,
            missed_in_row=agent.missed_in_row, queues=sorted(agent.queues),
            paused=PausedOut.all_of(agent), language=agent.language,
            language_chosen=agent.language_chosen,
            auto_assign_locked=agent.auto_assign_locked,
            telegram_ticket_left=agent.telegram_ticket_left,
        )


class AgentChanged(AgentOut):
    warnings: Warnings


class AgentCreated(AgentChanged):
    token: str = Field(description="Shown once; only its hash is stored.")


class TicketCreate(Strict):
    title: Title
    category: Category | None = None
    description: Description | None = None
    priority: PriorityLabel = PriorityLabel.NORMAL
    queue: QueueName = "default"
    external_id: ExternalId | None = None

    @property
    def priority_value(self) -> Priority:
        return Priority.from_label(self.priority.value)


class SlaTargetOut(BaseModel):
    target: Literal["first_response", "next_response", "resolution"]
    due_at: datetime | None = Field(description="null while paused (a pausing status)")
    state: Literal["active", "warning", "met", "breached"]
    warn_at: datetime | None


class TicketSlaOut(BaseModel):
    policy: str | None = Field(description="The SLA policy it is under; null: none applies")
    targets: list[SlaTargetOut]

    @classmethod
    def of(cls, sla: TicketSla | None) -> TicketSlaOut:
        if sla is None:
            return cls(policy=None, targets=[])
        return cls(policy=sla.policy, targets=[
            SlaTargetOut(target=m.target, due_at=m.due_at, state=m.state,
                         warn_at=m.warn_at) for m in sla.targets])


class TicketOut(BaseModel):
    id: int
    number: str
    title: str
    category: str | None
    description: str | None
    priority: PriorityLabel = Field(description="As asked (by the customer's channel, the API "
                                    "or a supervisor); aging never changes it")
    effective_priority: PriorityLabel = Field(
        description="What it is served at: `priority`, raised one level by each aging step "
                    "while it waits (the queue's priority_aging_seconds), or urgent after a "
                    "move to the front. Orders the queue")
    queue: str
    status: TicketStatus
    assigned_agent_id: int | None
    external_id: str | None
    created_at: datetime
    assigned_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None
    escalations: int = Field(description="How many times it was taken back unaccepted")
    flag: TicketFlag | None = Field(description="Why it needs a supervisor, if it does")
    flag_reason: str | None = Field(default=None, description="More on the flag, where it alone "
                                    "does not say (unreachable: no_members, nobody_receives)")
    flagged_at: datetime | None
    auto_dispatch: bool = Field(description="false: it waits for a pick-up or a supervisor "
                                            "(rollout, or escalations exhausted)")
    queue_position: int | None = Field(default=None, description="A queued ticket's place "
                                       "among the queued tickets of its own queue (1 = next)")
    channel: str | None = Field(default=None, description="The channel the customer wrote "
                                "on (whatsapp, telegram); null for tickets posted to the API. "
                                "Who the customer is: GET /tickets/{id}/customer")
    accept_deadline: datetime | None = Field(
        default=None, description="Taken back unless accepted by then (the queue's "
                                  "accept_timeout_seconds after assigned_at); null when no "
                                  "timer runs")
    hold_until: datetime | None = Field(
        default=None, description="On hold: when the hold ends by itself (the queue's "
                                  "hold_expiry then returns or closes it)")
    sla: TicketSlaOut = Field(default_factory=lambda: TicketSlaOut(policy=None, targets=[]),
                              description="Its SLA policy and each target's due time and "
                                          "state (GET /sla-policies)")

    @classmethod
    def of(cls, ticket: Ticket, queue_position: int | None = None,
           accept_deadline: datetime | None = None) -> TicketOut:
        return cls(
            accept_deadline=accept_deadline,
            channel=split_contact(ticket.contact)[0] if ticket.contact else None,
            escalations=ticket.escalations, flag=ticket.flag, flag_reason=ticket.flag_reason,
            flagged_at=ticket.flagged_at,
            auto_dispatch=ticket.auto_dispatch,
            id=ticket.id, number=ticket.number, title=ticket.title, category=ticket.category,
            description=ticket.description, priority=PriorityLabel(ticket.priority.label),
            effective_priority=PriorityLabel(ticket.effective_priority.label),
            queue=ticket.queue, status=ticket.status, assigned_agent_id=ticket.agent_id,
            external_id=ticket.external_id, created_at=ticket.created_at,
            assigned_at=ticket.assigned_at, accepted_at=ticket.accepted_at,
            closed_at=ticket.closed_at, queue_position=queue_position,
            hold_until=ticket.hold_until, sla=TicketSlaOut.of(ticket.sla),
        )


class TicketPatch(Strict):
    priority: PriorityLabel

    @property
    def priority_value(self) -> Priority:
        return Priority.from_label(self.priority.value)


class Reassign(Strict):
    agent_id: RowRef
    force: Flag = Field(default=False, description="Past the agent's capacity or queues")


class ColleagueOut(BaseModel):
    """An agent a ticket could be handed to (GET /tickets/{id}/colleagues)."""

    agent_id: int
    name: str
    presence: Presence
    active_tickets: int
    max_tickets: int
    available: bool = Field(description="Whether a transfer to them would be taken now")
    why_not: str | None = Field(description="The rule that stops it now, when not available")


class ColleaguePage(BaseModel):
    items: list[ColleagueOut]


class TransferIn(Strict):
    """To a colleague (`agent_id`) or another queue (`queue`); neither: back to its queue."""

    agent_id: RowRef | None = Field(default=None, description="The colleague to hand it to")
    queue: QueueName | None = Field(default=None, description="The queue to send it to")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=500)] = Field(
        description="Why: the history keeps it, and the new holder is told")

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if self.agent_id is not None and self.queue is not None:
            raise ValueError("give agent_id or queue, not both")
        return self


class ListedTicketOut(TicketOut):
    customer: str | None = Field(default=None, description="The customer's name, when known")
    agent_name: str | None = Field(default=None, description="Who holds it")
    since: datetime = Field(description="What \"waiting / held for\" counts from: when it "
                            "entered the queue, was assigned, or closed")

    @classmethod
    def listed(cls, row: ListedTicket) -> ListedTicketOut:
        base = TicketOut.of(row.ticket, row.queue_position, row.accept_deadline)
        return cls(**base.__dict__, customer=row.customer, agent_name=row.agent_name,
                   since=since(row.ticket))


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int
    limit: int
    offset: int


class ListedTicketPage(BaseModel):
    items: list[ListedTicketOut]
    total: int = Field(description="How many tickets match, on every page")
    limit: int
    offset: int


class QueuedTicket(TicketOut):
    position: int


class MyQueue(BaseModel):
    queue: list[QueuedTicket]
    count: int
    max: int = Field(description="What it could hold now: its tickets plus its room within "
                     "max_tickets and each of its queues' max_per_agent")
    server_time: datetime = Field(description="The server's clock, to count down deadlines")


class HistoryOut(BaseModel):
    id: int
    ticket_id: int
    at: datetime
    event: str
    from_agent_id: int | None
    to_agent_id: int | None
    reason: str
    actor: str
    by: ByOut
    note: str | None = Field(default=None, description="Why an automatic assignment (or a pick-up "
                             "in turn) went to this agent: the strategy and the deciding fact, "
                             'e.g. "rotation: next in turn after B; C skipped: missed this '
                             'ticket"')
    detail: dict[str, Any] | None = Field(default=None, description="The same as data "
                                          "(strategy, agent_id, after, set_by_hand: the turn "
                                          "was set by a supervisor, skipped, load, ...)")
    ticket_number: str | None = Field(default=None, description="The ticket's number, "
                                      "e.g. INC20261202000013")

    @classmethod
    def of(cls, entry: HistoryEntry, number: str | None = None) -> HistoryOut:
        return cls(id=entry.id, ticket_id=entry.ticket_id, ticket_number=number, at=entry.at,
                   event=entry.event,
                   from_agent_id=entry.from_agent_id,
                   to_agent_id=entry.to_agent_id, reason=entry.reason.value, actor=entry.actor.key,
                   by=ByOut.of(entry.actor),
                   note=entry.note, detail=entry.detail)
