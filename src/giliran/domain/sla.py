"""SLA policies and the per-ticket SLA clocks (issue 26).

A policy promises targets (first response, next response, resolution), flat or per priority,
to the tickets its conditions match; the first active policy in order that matches applies.
Each target is a clock: it starts, may pause (pausing statuses), and ends met or breached. A
clock stores its budget (`seconds`) and its due time; what is left of the budget is always the
open time from now to `due_at` (business time when the policy says so, calendar time
otherwise), so a pause needs only `paused_seconds` (what was used before it) and a restart
recomputes nothing: every deadline is a stored timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from giliran.domain import hours
from giliran.domain.errors import InvalidInput
from giliran.domain.hours import Schedule
from giliran.domain.model import Priority, SlaMark, TicketSla

PRIORITIES = ("low", "normal", "high", "urgent")
MAX_SECONDS = 366 * 86400


class Target(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"

    @property
    def key(self) -> str:
        return f"{self.value}_seconds"


class SlaState(StrEnum):
    ACTIVE = "active"
    WARNING = "warning"
    MET = "met"
    BREACHED = "breached"


class BreachAction(StrEnum):
    RAISE_PRIORITY = "raise_priority"
    REASSIGN = "reassign"
    MOVE = "move"


@dataclass(frozen=True)
class Action:
    action: BreachAction
    queue: str | None = None  # move: where to

    def wire(self) -> dict[str, Any]:
        found: dict[str, Any] = {"action": self.action.value}
        if self.queue is not None:
            found["queue"] = self.queue
        return found


@dataclass(frozen=True)
class Conditions:
    """Absent (None): any."""

    queues: frozenset[str] | None = None
    priorities: frozenset[str] | None = None
    channels: frozenset[str] | None = None

    def wire(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in (("queues", self.queues),
                                          ("priorities", self.priorities),
                                          ("channels", self.channels)) if v is not None}


Budget = Mapping[Target, int]


@dataclass
class Policy:
    name: str
    targets: dict[str, dict[Target, int]]  # "*" (flat) or a priority label -> target -> s
    id: int = 0
    position: int = 0
    active: bool = True
    conditions: Conditions = field(default_factory=Conditions)
    business_hours: bool = False
    warn_percent: int = 80
    pause_statuses: frozenset[str] = frozenset({"on_hold"})
    breach_actions: tuple[Action, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def budget(self, priority: Priority) -> Budget:
        """The targets for a ticket of this priority (per priority, else flat)."""
        return self.targets.get(priority.label) or self.targets.get("*") or {}

    def matches(self, queue: str, priority: Priority, channel: str | None) -> bool:
        c = self.conditions
        return (self.active
                and (c.queues is None or queue in c.queues)
                and (c.priorities is None or priority.label in c.priorities)
                and (c.channels is None or (channel or "api") in c.channels))

    def targets_wire(self) -> dict[str, Any]:
        def flat(budget: Mapping[Target, int]) -> dict[str, int]:
            return {t.key: s for t, s in sorted(budget.items())}
        if set(self.targets) == {"*"}:
            return flat(self.targets["*"])
        return {p: flat(b) for p, b in self.targets.items()}


def applying(policies: Iterable[Policy], queue: str, priority: Priority,
             channel: str | None) -> Policy | None:
    """The first active policy in order whose conditions match."""
    for policy in sorted(policies, key=lambda p: (p.position, p.id)):
        if policy.matches(queue, priority, channel):
            return policy
    return None


# Parsing and checks: what the API takes, refused as InvalidInput with the field named.

def parse_targets(raw: Any) -> dict[str, dict[Target, int]]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput("targets: give first_response_seconds, next_response_seconds or "
                           "resolution_seconds, flat or per priority")
    if all(k in PRIORITIES for k in raw):
        return {p: _budget(b, f"targets.{p}") for p, b in raw.items()}
    return {"*": _budget(raw, "targets")}


def _budget(raw: Any, where: str) -> dict[Target, int]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput(f"{where}: an object of target seconds")
    keys = {t.key: t for t in Target}
    found: dict[Target, int] = {}
    for key, value in raw.items():
        if key not in keys:
            raise InvalidInput(f"{where}: unknown target {key!r} (known: {', '.join(keys)})")
        if type(value) is not int or not 1 <= value <= MAX_SECONDS:
            raise InvalidInput(f"{where}.{key}: whole seconds from 1 to {MAX_SECONDS}")
        found[keys[key]] = value
    return found


def parse_conditions(raw: Any) -> Conditions:
    if raw is None:
        return Conditions()
    if not isinstance(raw, Mapping):
        raise InvalidInput("conditions: an object with queues, priorities, channels")
    unknown = set(raw) - {"queues", "priorities", "channels"}
    if unknown:
        raise InvalidInput(f"conditions: unknown {sorted(unknown)}")
    values = {k: _names(raw.get(k), f"conditions.{k}") for k in ("queues", "priorities",
                                                                 "channels")}
    bad = (values["priorities"] or frozenset()) - set(PRIORITIES)
    if bad:
        raise InvalidInput(f"conditions.priorities: unknown {sorted(bad)}")
    return Conditions(**values)


def _names(raw: Any, where: str) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or not all(
            isinstance(v, str) and 0 < len(v) <= 100 for v in raw):
        raise InvalidInput(f"{where}: a non-empty list of names")
    return frozenset(raw)


def parse_actions(raw: Any) -> tuple[Action, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 3:
        raise InvalidInput("breach_actions: a list of up to 3 actions")
    found = []
    for item in raw:
        kind = item.get("action") if isinstance(item, Mapping) else None
        if kind not in set(BreachAction):
            raise InvalidInput("breach_actions: each {\"action\": raise_priority | reassign |"
                               " move, \"queue\" for move}")
        queue = item.get("queue")
        if (kind == BreachAction.MOVE) != isinstance(queue, str) or set(item) - {"action",
                                                                                 "queue"}:
            raise InvalidInput("breach_actions: move names its queue, the others none")
        found.append(Action(BreachAction(kind), queue))
    return tuple(found)


def parse_pauses(raw: Any) -> frozenset[str]:
    allowed = {"on_hold", "assigned", "queued"}
    if not isinstance(raw, list) or not all(v in allowed for v in raw):
        raise InvalidInput(f"pause_statuses: a list of {sorted(allowed)}")
    return frozenset(raw)


def check(policy: Policy) -> None:
    if not policy.name.strip() or len(policy.name) > 100:
        raise InvalidInput("name: 1 to 100 characters")
    if not 1 <= policy.warn_percent <= 99:
        raise InvalidInput("warn_percent: from 1 to 99")


# The clocks.

@dataclass
class SlaClock:
    ticket_id: int
    target: Target
    policy_id: int
    seconds: int  # the budget
    started_at: datetime
    due_at: datetime | None  # None while paused, or if the schedule never gives that much
    warn_at: datetime | None
    state: SlaState = SlaState.ACTIVE
    paused_at: datetime | None = None
    paused_seconds: float = 0.0  # the budget used before the pause
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    met_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.state in (SlaState.ACTIVE, SlaState.WARNING)

    def mark(self) -> SlaMark:
        return SlaMark(self.target.value, self.due_at, self.state.value, self.warn_at)


def start(ticket_id: int, target: Target, policy: Policy, seconds: int,
          schedule: Schedule | None, now: datetime) -> SlaClock:
    clock = SlaClock(ticket_id, target, policy.id, seconds, now, None, None)
    aim(clock, policy, schedule, now, used=0.0)
    return clock


def aim(clock: SlaClock, policy: Policy, schedule: Schedule | None, now: datetime,
         used: float) -> None:
    """Due and warning times from `now`, with `used` of the budget gone."""
    schedule = schedule if policy.business_hours else None
    clock.due_at = hours.add(schedule, now, clock.seconds - used)
    warn_after = clock.seconds * policy.warn_percent / 100 - used
    clock.warn_at = hours.add(schedule, now, warn_after) if warn_after > 0 else None
    if clock.warned_at is not None:
        clock.warn_at = clock.warned_at


def used(clock: SlaClock, policy: Policy, schedule: Schedule | None, now: datetime) -> float:
    """The budget used by `now` (more than `seconds` once past due)."""
    if clock.paused_at is not None or clock.due_at is None:
        return clock.paused_seconds
    schedule = schedule if policy.business_hours else None
    if now <= clock.due_at:
        return clock.seconds - hours.business_seconds(schedule, now, clock.due_at)
    return clock.seconds + hours.business_seconds(schedule, clock.due_at, now)


def pause(clock: SlaClock, policy: Policy, schedule: Schedule | None, now: datetime) -> bool:
    if not clock.running or clock.paused_at is not None:
        return False
    clock.paused_seconds = used(clock, policy, schedule, now)
    clock.paused_at, clock.due_at = now, None
    if clock.warned_at is None:
        clock.warn_at = None
    return True


def resume(clock: SlaClock, policy: Policy, schedule: Schedule | None, now: datetime) -> bool:
    if clock.paused_at is None:
        return False
    clock.paused_at = None
    aim(clock, policy, schedule, now, used=clock.paused_seconds)
    return True


def meet(clock: SlaClock, now: datetime) -> bool:
    """Met (or, once breached, ended): False when it had already ended."""
    if clock.met_at is not None or clock.state is SlaState.MET:
        return False
    clock.met_at = now
    if clock.state is not SlaState.BREACHED:
        clock.state = SlaState.MET
    return True


def warn_due(clock: SlaClock, now: datetime) -> bool:
    return (clock.state is SlaState.ACTIVE and clock.paused_at is None
            and clock.warn_at is not None and clock.warn_at <= now)


def breach_due(clock: SlaClock, now: datetime) -> bool:
    return (clock.running and clock.paused_at is None and clock.due_at is not None
            and clock.due_at <= now)


def warn(clock: SlaClock, now: datetime) -> None:
    clock.state, clock.warned_at = SlaState.WARNING, now


def breach(clock: SlaClock, now: datetime) -> None:
    clock.state, clock.breached_at = SlaState.BREACHED, now


def summary(policy: Policy | None, clocks: Sequence[SlaClock]) -> TicketSla | None:
    if policy is None and not clocks:
        return None
    order = list(Target)
    marks = tuple(c.mark() for c in sorted(clocks, key=lambda c: order.index(c.target)))
    return TicketSla(policy.name if policy is not None else None, marks)


def soonest_due(clocks: Iterable[SlaClock]) -> datetime | None:
    due = [c.due_at for c in clocks if c.running and c.due_at is not None]
    return min(due) if due else None


@dataclass(frozen=True)
class Outcome:
    """One clock that ended, for reports."""

    ticket_id: int
    target: Target
    policy_id: int
    queue: str
    agent_id: int | None
    priority: str
    channel: str | None
    started_at: datetime
    due_at: datetime | None
    ended_at: datetime
    outcome: str  # met | breached
    elapsed_seconds: float
    breached_at: datetime | None
    id: int = 0


def outcome(clock: SlaClock, policy: Policy, schedule: Schedule | None, now: datetime, *,
            queue: str, agent_id: int | None, priority: Priority,
            channel: str | None) -> Outcome:
    spent = used(clock, policy, schedule, now)
    # Ended past due before a timer pass marked it (the pass runs every few seconds): still
    # breached, at its due time.
    late = clock.due_at if clock.due_at is not None and now > clock.due_at else None
    breached_at = clock.breached_at or late
    return Outcome(clock.ticket_id, clock.target, clock.policy_id, queue, agent_id,
                   priority.label, channel, clock.started_at, clock.due_at, now,
                   "breached" if breached_at is not None else "met", round(spent, 3),
                   breached_at)


def policy_copy(policy: Policy, **changes: Any) -> Policy:
    return replace(policy, **changes)
