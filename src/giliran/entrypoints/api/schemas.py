"""Request and response shapes of the public API (Pydantic v2)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

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
    ClaimPolicy,
    HistoryEntry,
    Language,
    OfflinePolicy,
    PickupPolicy,
    Presence,
    Priority,
    Queue,
    SlotFreedOn,
    StrategyName,
    Ticket,
    TicketFlag,
    TicketStatus,
)
from giliran.domain.presets import Preset
from giliran.domain.service_level import ServiceLevel, median, percentile
from giliran.domain.text import unstorable_at
from giliran.entrypoints.api.schemas_desk import BandOut, PausedOut, ShareOut, UsageOut
from giliran.service.ports import ListedTicket
from giliran.service.series import Series
from giliran.service.stats import Stats

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
    auto_assign_locked: bool

    @classmethod
    def of(cls, agent: Agent) -> AgentOut:
        return cls(
            id=agent.id, name=agent.name, max_tickets=agent.max_tickets,
            auto_assign=agent.auto_assign, rotation_order=agent.rotation_order,
            active=agent.active, online=agent.online, presence=agent.presence,
            last_seen_at=agent.last_seen_at, active_tickets=agent.active_tickets,
            missed_in_row=agent.missed_in_row, queues=sorted(agent.queues),
            paused=PausedOut.all_of(agent), language=agent.language,
            auto_assign_locked=agent.auto_assign_locked,
        )


class AgentCreated(AgentOut):
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


class TicketOut(BaseModel):
    id: int
    number: str
    title: str
    category: str | None
    description: str | None
    priority: PriorityLabel
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

    @classmethod
    def of(cls, ticket: Ticket, queue_position: int | None = None,
           accept_deadline: datetime | None = None) -> TicketOut:
        return cls(
            accept_deadline=accept_deadline,
            channel=split_contact(ticket.contact)[0] if ticket.contact else None,
            escalations=ticket.escalations, flag=ticket.flag, flagged_at=ticket.flagged_at,
            auto_dispatch=ticket.auto_dispatch,
            id=ticket.id, number=ticket.number, title=ticket.title, category=ticket.category,
            description=ticket.description, priority=PriorityLabel(ticket.priority.label),
            queue=ticket.queue, status=ticket.status, assigned_agent_id=ticket.agent_id,
            external_id=ticket.external_id, created_at=ticket.created_at,
            assigned_at=ticket.assigned_at, accepted_at=ticket.accepted_at,
            closed_at=ticket.closed_at, queue_position=queue_position,
        )


class TicketPatch(Strict):
    priority: PriorityLabel

    @property
    def priority_value(self) -> Priority:
        return Priority.from_label(self.priority.value)


class Reassign(Strict):
    agent_id: RowRef
    force: Flag = Field(default=False, description="Past the agent's capacity or queues")


class ListedTicketOut(TicketOut):
    customer: str | None = Field(default=None, description="The customer's name, when known")
    agent_name: str | None = Field(default=None, description="Who holds it")
    since: datetime = Field(description="What \"waiting / held for\" counts from: when it "
                            "entered the queue, was assigned, or closed")

    @classmethod
    def listed(cls, row: ListedTicket) -> ListedTicketOut:
        base = TicketOut.of(row.ticket, accept_deadline=row.accept_deadline)
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
    max: int
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
    note: str | None = Field(default=None, description="Why an automatic assignment (or a pick-up "
                             "in turn) went to this agent: the strategy and the deciding fact, "
                             'e.g. "rotation: next in turn after B; C skipped: missed this '
                             'ticket"')
    detail: dict[str, Any] | None = Field(default=None, description="The same as data "
                                          "(strategy, agent_id, after, skipped, load, ...)")
    ticket_number: str | None = Field(default=None, description="In GET /history")

    @classmethod
    def of(cls, entry: HistoryEntry, number: str | None = None) -> HistoryOut:
        return cls(id=entry.id, ticket_id=entry.ticket_id, ticket_number=number, at=entry.at,
                   event=entry.event,
                   from_agent_id=entry.from_agent_id,
                   to_agent_id=entry.to_agent_id, reason=entry.reason.value, actor=entry.actor,
                   note=entry.note, detail=entry.detail)


class WorkloadAgent(BaseModel):
    id: int
    name: str
    online: bool
    presence: Presence
    auto_assign: bool
    active_tickets: int
    max_tickets: int
    utilization: float | None = Field(description="active_tickets / max_tickets now (the load "
                                      "at this moment; utilization over time: GET /stats)")
    full: bool
    queues: list[str]
    missed_in_row: int
    paused: list[PausedOut]
    assigned_today: int
    completed_today: int
    missed_today: int
    presence_since: datetime | None = Field(default=None, description="Its latest presence "
                                            "change today (null: before today)")
    last_seen_at: datetime | None = Field(default=None, description="Its last sign of life")
    away_reason: str | None = Field(default=None, description="Why it receives nothing of a "
                                    "queue: the reason of its first pause, if paused")
    first_response_median_today: float | None = Field(
        default=None, description="Seconds from its assignments to its accepts, today")
    handle_time_median_today: float | None = Field(
        default=None, description="Seconds from its accepts to completion, today")
    utilization_online_today: float | None = Field(
        default=None, description="Time holding at least one ticket over time online, today")


class WorkloadQueue(BaseModel):
    """The whole floor (every queue together)."""

    pending: int
    online_agents: int
    total_agents: int
    free_slots: int


class WorkloadPerQueue(BaseModel):
    name: str
    strategy: StrategyName
    active: bool
    pending: int
    flagged: int
    next_agent_id: int | None = Field(description="Who gets this queue's next ticket (in a "
                                      "rotation: the member whose turn it is)")
    max_per_agent: int
    claim: ClaimPolicy
    pickup: PickupPolicy
    members: int
    online_members: int
    free_slots: int
    oldest_waiting_since: datetime | None
    service_level: ServiceLevelOut | None = Field(default=None, description="Today's (since "
                                                  "midnight UTC)")


class ServiceLevelOut(BaseModel):
    """Against the queue's target: tickets answered (accepted) within `target_seconds` of
    arriving, among those that arrived in the period and were answered or are past the
    target unanswered."""

    target_seconds: int
    arrived: int
    answered: int
    within_target: int
    counted: int = Field(description="Answered, or past the target unanswered: the share's "
                         "denominator")
    share_within_target: float | None
    wait_median: float | None = Field(description="Seconds, stays in the queue that ended in "
                                      "an assignment in the period")
    wait_p90: float | None
    first_response_median: float | None = Field(description="Seconds, arrival to first accept")

    @classmethod
    def of(cls, level: ServiceLevel) -> ServiceLevelOut:
        return cls(target_seconds=level.target_seconds, arrived=level.arrived,
                   answered=level.answered, within_target=level.within_target,
                   counted=level.counted,
                   share_within_target=level.share_within_target,
                   wait_median=median(level.waits), wait_p90=percentile(level.waits, 0.9),
                   first_response_median=median(level.first_responses))


class FlaggedTicket(BaseModel):
    id: int
    number: str
    queue: str
    status: TicketStatus
    flag: TicketFlag
    flagged_at: datetime | None
    escalations: int


class WorkloadOut(BaseModel):
    agents: list[WorkloadAgent]
    queue: WorkloadQueue
    queues: list[WorkloadPerQueue]
    flagged: list[FlaggedTicket] = Field(description="Tickets waiting for a supervisor "
                                         "(the 50 oldest)")
    utilization_band: BandOut = Field(description="The utilization the desk aims for "
                                      "(GILIRAN_UTILIZATION_BAND)")


class QueueOut(BaseModel):
    name: str
    strategy: StrategyName
    accept_timeout_seconds: int
    max_escalations: int
    away_after_misses: int
    offline_policy: OfflinePolicy
    max_wait_seconds: int
    auto_assign_percent: int
    active: bool
    priority_aging_seconds: int
    reply_accepts: bool
    max_per_agent: int
    slot_freed_on: SlotFreedOn
    claim: ClaimPolicy
    pickup: PickupPolicy
    service_level_seconds: int

    @classmethod
    def of(cls, queue: Queue) -> QueueOut:
        return cls(
            name=queue.name, strategy=queue.strategy,
            accept_timeout_seconds=queue.accept_timeout_seconds,
            max_escalations=queue.max_escalations, away_after_misses=queue.away_after_misses,
            offline_policy=queue.offline_policy, max_wait_seconds=queue.max_wait_seconds,
            auto_assign_percent=queue.auto_assign_percent, active=queue.active,
            priority_aging_seconds=queue.priority_aging_seconds,
            reply_accepts=queue.reply_accepts, max_per_agent=queue.max_per_agent,
            slot_freed_on=queue.slot_freed_on, claim=queue.claim, pickup=queue.pickup,
            service_level_seconds=queue.service_level_seconds,
        )


class QueuePolicy(Strict):
    strategy: StrategyName | None = None
    accept_timeout_seconds: Seconds | None = Field(
        default=None, description="Take back an assignment not accepted within this; 0 = off")
    max_escalations: Times | None = Field(
        default=None, description="Flag a ticket after this many escalations; 0 = only when "
                                  "every member has missed it")
    away_after_misses: Times | None = Field(
        default=None, description="Set an agent away after this many misses in a row; 0 = off")
    offline_policy: OfflinePolicy | None = None
    max_wait_seconds: Seconds | None = Field(
        default=None, description="Flag a ticket queued longer than this; 0 = off")
    auto_assign_percent: Annotated[int, PydanticStrict(), Field(ge=0, le=100)] | None = Field(
        default=None, description="Share of new tickets dispatched automatically; the rest "
                                  "wait for a manual pick-up (100 = all, 0 = a manual desk)")
    priority_aging_seconds: Seconds | None = Field(
        default=None, description="A queued ticket moves up one priority level after waiting "
                                  "this long at its level (starvation guard); 0 = off")
    reply_accepts: bool | None = Field(
        default=None, description="The holder's first reply to the customer accepts the "
                                  "ticket (stops its accept timer); default true")
    max_per_agent: Times | None = Field(
        default=None, description="Open tickets of this queue an agent may hold at once, on "
                                  "top of its max_tickets; 0 = no limit")
    slot_freed_on: SlotFreedOn | None = Field(
        default=None, description="complete (default): a ticket counts against the limit "
                                  "until completed; accept: until its holder responds")
    claim: ClaimPolicy | None = Field(
        default=None, description="anyone (default) may pick up a waiting ticket, or only the "
                                  "member whose turn it is (turn: 409 not_your_turn)")
    pickup: PickupPolicy | None = Field(
        default=None, description="off: nobody picks up by hand (409 pickup_disabled)")
    service_level_seconds: Annotated[int, PydanticStrict(), Field(ge=1, le=604800)] | None = (
        Field(default=None, description="The service level's target: tickets answered "
                                        "(accepted) within this many seconds of arriving; "
                                        "default 300"))
    preset: Preset | None = Field(
        default=None, description="lead_rotation: strategy rotation, max_per_agent 1, "
                                  "slot_freed_on accept, accept_timeout_seconds 300, claim "
                                  "turn; ticket_desk: those back to their defaults. Applied "
                                  "first; other fields in the request apply after it")


class QueueCreate(QueuePolicy):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")] = Field(
        description="Lowercase letters, digits, '-' and '_'")


class QueuePatch(QueuePolicy):
    active: Flag | None = Field(
        default=None, description="false: the queue takes no new tickets; its tickets carry on")
    next_agent_id: RowRef | None = Field(
        default=None, description="Make this agent next in turn: a rotation's pointer (an "
                                  "active member); otherwise the rotation continues in "
                                  "rotation_order from there")


class HeartbeatOut(BaseModel):
    presence: Presence
    last_seen_at: datetime
    grace_seconds: int = Field(description="Beat more often than this; 0 = presence never "
                                           "expires")
    expires_at: datetime | None


class RuntimeSettingsOut(BaseModel):
    presence_grace_seconds: int


class RuntimeSettingsPatch(Strict):
    presence_grace_seconds: Seconds | None = None


class HistoryPage(BaseModel):
    items: list[HistoryOut]
    total: int
    limit: int
    offset: int


class DistributionOut(BaseModel):
    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None


class StatsOut(BaseModel):
    """Seconds for times; utilization and load as shares (0..1) of time online."""

    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    queue: str | None
    created: int
    assigned: int
    completed: int
    escalations: int
    assignment_time: DistributionOut = Field(description="Arrival to first assignment")
    queue_wait: DistributionOut = Field(description="Each stay in the queue that ended in an "
                                                    "assignment")
    agent_utilization: dict[str, float] = Field(description="Per agent: time online holding at "
                                                "least one ticket (of `queue`, when given), "
                                                "over time online; agents never online in the "
                                                "period are left out")
    agent_load: dict[str, float] = Field(description="Per agent: tickets held over capacity, "
                                         "averaged over time online")
    agents: dict[str, UsageOut] = Field(description="Per agent: time online, utilization, load "
                                        "and where utilization stands against the band")
    floor_utilization: float | None
    floor_load: float | None
    queues: dict[str, UsageOut] = Field(description="Per queue, over its members' time "
                                        "online (load against max_per_agent when set)")
    utilization_band: BandOut
    fairness: list[ShareOut] = Field(description="Per agent online in the period: assignments "
                                     "received against the share its time online would give")
    gini: float | None = Field(description="Of assignments among the agents online: 0 = equal")
    orphaned_tickets: int = Field(description="Active tickets held by nobody right now; must "
                                              "be 0")
    orphans_requeued: int = Field(description="Orphans the periodic check found and requeued")
    service_levels: dict[str, ServiceLevelOut] = Field(
        default_factory=dict, description="Per queue, against its service_level_seconds: "
        "tickets that arrived in the period, answered within the target, waits, first response")

    @classmethod
    def of(cls, s: Stats) -> StatsOut:
        online = {k: u for k, u in s.agents.items() if u.online_seconds > 0}
        return cls(
            since=s.since, until=s.until, queue=s.queue, created=s.created,
            assigned=s.assigned, completed=s.completed, escalations=s.escalations,
            assignment_time=DistributionOut(**s.assignment_time.__dict__),
            queue_wait=DistributionOut(**s.queue_wait.__dict__),
            agent_utilization={str(k): round(u.utilization or 0.0, 4)
                               for k, u in online.items()},
            agent_load={str(k): round(u.load or 0.0, 4) for k, u in online.items()},
            agents={str(k): UsageOut.of(u, s.band) for k, u in online.items()},
            floor_utilization=_round(s.floor.utilization), floor_load=_round(s.floor.load),
            queues={k: UsageOut.of(u, s.band) for k, u in s.queues.items()},
            utilization_band=BandOut(low=s.band[0], high=s.band[1]),
            fairness=[ShareOut.of(x) for x in s.shares], gini=_round(s.gini),
            orphaned_tickets=s.orphaned_now, orphans_requeued=s.orphans_requeued,
            service_levels={k: ServiceLevelOut.of(v) for k, v in s.service_levels.items()},
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class BucketOut(BaseModel):
    start: datetime
    end: datetime
    queued: int = Field(description="Tickets waiting in the queue at the end of the bucket")
    assigned: int = Field(description="Assignments out of the queue during the bucket")
    mean_wait_seconds: float | None = Field(description="How long those had waited")


class SeriesOut(BaseModel):
    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    bucket_minutes: int
    queue: str | None
    buckets: list[BucketOut]

    @classmethod
    def of(cls, s: Series) -> SeriesOut:
        return cls(since=s.since, until=s.until, bucket_minutes=s.bucket_minutes, queue=s.queue,
                   buckets=[BucketOut(**b.__dict__) for b in s.buckets])
