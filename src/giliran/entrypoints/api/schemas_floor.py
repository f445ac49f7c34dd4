"""Response and request shapes of the floor: workload, queues and their settings, heartbeats and
runtime settings."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)
from pydantic import Strict as PydanticStrict

from giliran.domain.model import (
    MAX_HOLD_MINUTES,
    ClaimPolicy,
    Clock,
    HoldExpiry,
    OfflinePolicy,
    PickupPolicy,
    Presence,
    Queue,
    SlotFreedOn,
    StrategyName,
    TicketFlag,
    TicketStatus,
    WaitingOrder,
)
from giliran.domain.presets import Preset
from giliran.domain.service_level import ServiceLevel
from giliran.entrypoints.api.schemas import (
    Flag,
    RowRef,
    Seconds,
    Strict,
    Times,
)
from giliran.entrypoints.api.schemas_desk import BandOut, PausedOut


class WorkloadAgent(BaseModel):
    id: int
    name: str
    online: bool
    presence: Presence
    auto_assign: bool
    active_tickets: int
    max_tickets: int
    utilization: float | None = Field(description="What it holds over what it could hold now "
                                      "(its tickets plus its room within max_tickets and each "
                                      "of its queues' max_per_agent): the load at this moment; "
                                      "utilization over time: GET /stats")
    full: bool = Field(description="It can take nothing more now, by max_tickets or by the "
                       "per-agent limit of every one of its queues")
    room: int = Field(default=0, description="How many more tickets it could take now")
    last_assigned_at: datetime | None = Field(default=None, description="When it last "
                                              "received a ticket (any way)")
    last_reply_at: datetime | None = Field(default=None, description="When it last replied "
                                           "to a customer")
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
    free_slots: int = Field(description="More tickets the online, opted-in agents could take "
                            "now, within every limit")
    unreachable: int = Field(default=0, description="Waiting tickets nobody can take as things "
                             "stand (flag unreachable)")


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
    free_slots: int = Field(description="More of this queue's tickets its online, opted-in "
                            "members could take now (within max_tickets and max_per_agent)")
    unreachable: int = Field(default=0, description="Its waiting tickets nobody can take as "
                             "things stand: no member, or pick-up off and no member taking "
                             "tickets automatically")
    oldest_waiting_since: datetime | None
    open: bool = Field(default=True, description="Open now by its schedule (always, without "
                       "one): while closed its tickets wait and its business-time timers stand "
                       "still")
    open_until: datetime | None = Field(default=None, description="Open: when it closes next "
                                        "(null: it does not)")
    closed_until: datetime | None = Field(default=None, description="Closed: when it opens "
                                          "next (null: it does not)")
    service_level: ServiceLevelOut | None = Field(default=None, description="Today's (since "
                                                  "midnight UTC)")


class ServiceLevelOut(BaseModel):
    """Against the queue's target (domain/service_level.py): first answers (accepts) in the
    period within `target_seconds` of arriving, over those answers plus the tickets that
    arrived in the period and are past the target unanswered (late: already a miss)."""

    target_seconds: int
    arrived: int
    answered: int = Field(description="First answers in the period")
    within_target: int
    late: int = Field(description="Arrived in the period, unanswered past the target")
    counted: int = Field(description="Answered, or late: the share's denominator")
    share_within_target: float | None
    waiting: int = Field(description="Tickets still waiting at the period's end (now, for "
                         "today); their ages so far are among the waits")
    wait_median: float | None = Field(description="Seconds: stays in the queue that ended in "
                                      "an assignment in the period, and stays still going "
                                      "with their age so far (to the second up to 2 minutes, "
                                      "at most 2 % longer above)")
    wait_p90: float | None
    first_response_median: float | None = Field(description="Seconds, arrival to first accept")

    @classmethod
    def of(cls, level: ServiceLevel) -> ServiceLevelOut:
        return cls(target_seconds=level.target_seconds, arrived=level.arrived,
                   answered=level.answered, within_target=level.within_target,
                   late=level.late, counted=level.counted,
                   share_within_target=level.share_within_target, waiting=level.waiting,
                   wait_median=level.wait_median, wait_p90=level.wait_p90,
                   first_response_median=level.first_response_median)


class FlaggedTicket(BaseModel):
    id: int
    number: str
    queue: str
    status: TicketStatus
    flag: TicketFlag
    flag_reason: str | None = Field(default=None, description="Why, where the flag alone does "
                                    "not say (unreachable: no_members, nobody_receives)")
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
    failed_replies: int = Field(default=0, description="Replies to customers on open tickets "
                                "that failed (refused by the channel, or given up on) and are "
                                "not resolved yet: GET /notices?status=failed lists them")


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
    hold_frees_slot: bool = Field(description="A ticket on hold frees its holder's slot "
                                  "(the next one may come); false: it keeps it")
    hold_minutes: int = Field(description="How long a hold lasts at most (and by default)")
    hold_expiry: HoldExpiry = Field(description="At the end of a hold: return (to its holder "
                                    "if online with room, else the queue) or close (completed)")
    schedule: str | None = Field(description="The opening hours it keeps (a schedule's name); "
                                 "null: always open")
    calendar_clocks: list[Clock] = Field(description="Timers that run around the clock even "
                                         "while the queue is closed; the others stand still")
    out_of_hours_reply: bool = Field(description="While closed, a customer writing on a chat "
                                     "channel is told once per conversation when it opens")
    offline_at_closing: bool = Field(description="Members are set offline at closing, and told "
                                     "at opening")
    reply_timeout_seconds: int = Field(description="Take an accepted ticket back when its holder "
                                       "has not replied to the customer within this; 0 = off")
    waiting_order: WaitingOrder = Field(description="priority: effective priority, then age; "
                                        "sla_due: the soonest SLA due time first")

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
            hold_frees_slot=queue.hold_frees_slot, hold_minutes=queue.hold_minutes,
            hold_expiry=queue.hold_expiry, schedule=queue.schedule,
            calendar_clocks=sorted(Clock(c) for c in queue.calendar_clocks),
            out_of_hours_reply=queue.out_of_hours_reply,
            offline_at_closing=queue.offline_at_closing,
            reply_timeout_seconds=queue.reply_timeout_seconds, waiting_order=queue.waiting_order,
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
    hold_frees_slot: Flag | None = Field(
        default=None, description="A ticket on hold frees its holder's slot; default false "
                                  "(it keeps it). Applies to holds begun after the change")
    hold_minutes: Annotated[int, PydanticStrict(), Field(ge=1, le=MAX_HOLD_MINUTES)] | None = (
        Field(default=None, description="How long a hold lasts at most, and by default "
                                        "(minutes, 1 to 43200); default 1440"))
    hold_expiry: HoldExpiry | None = Field(
        default=None, description="return (default): at its end a hold goes back to its holder "
                                  "if online with room, else to the queue; close: completed")
    schedule: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="The opening hours it keeps (a schedule's name, see "
                                  "/schedules); null or \"\": none, always open")
    calendar_clocks: list[Clock] | None = Field(
        default=None, max_length=len(Clock), description="Timers that run around the clock "
        "even while the queue is closed (accept, aging, waiting, reply, hold); default none: "
        "all stand still outside its hours")
    out_of_hours_reply: Flag | None = Field(
        default=None, description="While closed, tell a customer writing on a chat channel, "
                                  "once per conversation, when it opens; default true")
    offline_at_closing: Flag | None = Field(
        default=None, description="Set its members offline at closing (those in no open queue) "
                                  "and tell them at opening; default false")
    reply_timeout_seconds: Seconds | None = Field(
        default=None, description="Take an accepted ticket back and offer it to the next agent "
                                  "when its holder has not replied to the customer within "
                                  "this; 0 = off (default)")
    waiting_order: WaitingOrder | None = None
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


class RotationIn(Strict):
    agent_ids: list[RowRef] = Field(
        max_length=10_000, description="Every active member of the queue, once, in the new "
                                       "turn order; the other agents keep their places")


class RotationOut(BaseModel):
    queue: str
    agent_ids: list[int] = Field(description="The members in turn order")


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
