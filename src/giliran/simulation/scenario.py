"""A what-if scenario: a desk's traffic, its people, and the policies to compare on it.

Written in TOML (see docs/what-if.md for every field) and validated here, so a mistake is
reported by its place in the file ("arrivals.per_hour: must be greater than 0") before anything
runs.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from giliran.domain import hours as domain_hours
from giliran.domain.errors import InvalidInput
from giliran.domain.model import Clock, Priority, Queue

PRIORITIES = tuple(p.label for p in Priority)


class ScenarioError(ValueError):
    """The scenario cannot run; the message lists every problem, one per line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0)]


class Burst(_Strict):
    day: Annotated[int, Field(ge=0)] = 0  # days after the start
    at: time  # local time of day
    minutes: Annotated[int, Field(gt=0, le=24 * 60)]
    per_hour: Positive  # extra arrivals per hour while it lasts


class Arrivals(_Strict):
    """Where tickets come from: a Poisson stream shaped by the hour and the weekday (with
    bursts on top), a CSV file of arrivals, or this desk's own history."""

    kind: Literal["poisson", "csv", "history"] = "poisson"
    per_hour: Positive = 20.0
    hourly: list[Share] | None = None  # 24 multipliers, hour of day (local)
    weekly: list[Share] | None = None  # 7 multipliers, Monday first
    bursts: list[Burst] = Field(default_factory=list)
    file: Path | None = None  # csv: columns at, queue?, priority?, handle_seconds?
    database_url: str | None = None  # history: the desk's database (default: the server's)
    since: datetime | None = None  # history: the period to replay
    until: datetime | None = None

    @model_validator(mode="after")
    def _complete(self) -> Arrivals:
        if self.hourly is not None and len(self.hourly) != 24:
            raise ValueError("hourly needs 24 multipliers, one per hour of the day")
        if self.weekly is not None and len(self.weekly) != 7:
            raise ValueError("weekly needs 7 multipliers, Monday first")
        if self.kind == "csv" and self.file is None:
            raise ValueError("a csv replay needs file")
        if self.kind == "history" and (self.since is None or self.until is None):
            raise ValueError("a history replay needs since and until")
        return self


class Handling(_Strict):
    """How long an agent works on a ticket once accepted."""

    distribution: Literal["exponential", "lognormal", "fixed", "empirical"] = "exponential"
    mean_seconds: Positive = 600.0
    sigma: Positive = 0.75  # lognormal: the spread of log(duration)
    samples: list[Positive] | None = None  # empirical: durations to draw from

    @model_validator(mode="after")
    def _samples(self) -> Handling:
        if self.distribution == "empirical" and not self.samples:
            raise ValueError("an empirical distribution needs samples (or a history replay)")
        return self


class Shift(_Strict):
    start: time = time(0, 0)
    end: time = time(0, 0)  # equal to start: around the clock
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=lambda: list(range(7)))

    def covers_whole_day(self) -> bool:
        return self.start == self.end


class Disconnects(_Strict):
    """Network blips: how often an agent's connection drops and for how long (the grace
    period decides which of them send the agent offline)."""

    per_hour: Annotated[float, Field(ge=0)] = 0.0
    mean_seconds: Positive = 60.0


class AgentGroup(_Strict):
    count: Annotated[int, Field(ge=1, le=10_000)] = 1
    name: str | None = None
    max_tickets: Annotated[int, Field(ge=0, le=1000)] = 5
    queues: list[str] | None = None  # default: every queue
    accept_delay_seconds: Annotated[float, Field(ge=0)] = 0.0  # mean, exponential
    no_show: Annotated[float, Field(ge=0, le=1)] = 0.0  # an assignment never accepted
    speed: Positive = 1.0  # handle time is divided by this
    shift: Shift = Field(default_factory=Shift)
    # Exact periods online, in seconds after the start (a replay of the desk's presence log);
    # when given, they replace the shift.
    online: list[tuple[float, float]] | None = None
    disconnects: Disconnects = Field(default_factory=Disconnects)
    # At work for the whole open hours of every day it works (its shift or replayed periods
    # say which days), so opening earlier or later brings the people with it.
    follows_hours: bool = False


class SpecialHours(_Strict):
    date: date
    hours: list[tuple[str, str]] = Field(default_factory=list)  # none: closed that day
    note: str = ""


class Hours(_Strict):
    """A queue's opening hours, in the shape of POST /schedules: while closed its tickets
    wait, its timers stand still, and its agents are not at work."""

    timezone: str = "Asia/Jakarta"
    hours: dict[str, list[tuple[str, str]]] = Field(default_factory=dict)  # a day left out: closed
    exceptions: list[SpecialHours] = Field(default_factory=list)

    @model_validator(mode="after")
    def _valid(self) -> Hours:
        try:
            self.schedule("check")
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
        return self

    def schedule(self, name: str) -> domain_hours.Schedule:
        return domain_hours.Schedule(
            name=name, timezone=self.timezone, weekly=domain_hours.parse_weekly(self.hours),
            exceptions=tuple(domain_hours.SpecialDay(x.date, domain_hours.parse_intervals(
                x.hours, str(x.date)), x.note) for x in self.exceptions))


class Sla(_Strict):
    """A first-response target: met when an agent takes the ticket up (accepts it) within
    it, counted in the queue's open hours (`business_hours`) or around the clock."""

    first_response_seconds: Positive
    business_hours: bool = True


class QueueSpec(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")]
    share: Positive = 1.0  # of the arrivals
    priorities: dict[str, Share] = Field(default_factory=lambda: {"normal": 1.0})
    handling: Handling | None = None  # default: the scenario's
    settings: dict[str, Any] = Field(default_factory=dict)  # the queue's policy
    hours: Hours | None = None  # opening hours; none: always open

    @model_validator(mode="after")
    def _priorities(self) -> QueueSpec:
        unknown = sorted(set(self.priorities) - set(PRIORITIES))
        if unknown:
            raise ValueError(f"unknown priority {unknown[0]!r} (one of {', '.join(PRIORITIES)})")
        if sum(self.priorities.values()) <= 0:
            raise ValueError("priorities need a positive share")
        return self


class Policy(_Strict):
    """One way of running the desk: queue settings and agent capacities over the base ones."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    queues: dict[str, dict[str, Any]] = Field(default_factory=dict)  # queue -> settings
    max_tickets: Annotated[int, Field(ge=0, le=1000)] | None = None  # every agent's
    presence_grace_seconds: Annotated[int, Field(ge=0)] | None = None
    hours: dict[str, Hours] = Field(default_factory=dict)  # queue -> its opening hours
    sla: Sla | None = None  # the target measured (default: the scenario's)


class Scenario(_Strict):
    name: str = "scenario"
    start: datetime = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
    days: Positive = 1.0
    seed: int = 1
    replications: Annotated[int, Field(ge=1, le=100)] = 5
    wait_target_seconds: Positive = 300.0
    # Tickets arriving in the first hours are left out of the wait figures: a desk that starts
    # empty waits less than one in its stride.
    warmup_hours: Annotated[float, Field(ge=0)] = 0.0
    utilization_band: tuple[float, float] = (0.70, 0.90)
    presence_grace_seconds: Annotated[int, Field(ge=0)] = 300
    patience_seconds: Positive | None = None  # mean, exponential: customers who give up
    sla: Sla | None = None  # a first-response target to report met and breached against
    arrivals: Arrivals = Field(default_factory=Arrivals)
    handling: Handling = Field(default_factory=Handling)
    queues: list[QueueSpec] = Field(default_factory=lambda: [QueueSpec(name="default")])
    agents: list[AgentGroup] = Field(default_factory=lambda: [AgentGroup(count=5)])
    policies: list[Policy] = Field(default_factory=lambda: [Policy(name="current")])

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        names = [q.name for q in self.queues]
        if len(set(names)) != len(names):
            raise ValueError("queue names must differ")
        for group in self.agents:
            for q in group.queues or []:
                if q not in names:
                    raise ValueError(f"agents serve {q!r}, which is not among the queues")
        for policy in self.policies:
            for q, settings in policy.queues.items():
                if q not in names:
                    raise ValueError(f"policy {policy.name!r} sets queue {q!r}, which is not "
                                     "among the queues")
                check_settings(settings, f"policy {policy.name!r}, queue {q!r}")
            for q in policy.hours:
                if q not in names:
                    raise ValueError(f"policy {policy.name!r} gives hours to queue {q!r}, "
                                     "which is not among the queues")
        for spec in self.queues:
            check_settings(spec.settings, f"queue {spec.name!r}")
        if len({p.name for p in self.policies}) != len(self.policies):
            raise ValueError("policy names must differ")
        if not self.start.tzinfo:
            raise ValueError("start needs a time zone (e.g. 2026-11-02T00:00:00+07:00)")
        low, high = self.utilization_band
        if not 0 <= low < high <= 1:
            raise ValueError("utilization_band is two shares, low < high, within 0..1")
        return self

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def hours_of(self, policy: Policy) -> dict[str, Hours]:
        """Each queue's opening hours under `policy` (queues always open left out)."""
        found = {q.name: q.hours for q in self.queues if q.hours is not None}
        return {**found, **policy.hours}

    def sla_of(self, policy: Policy) -> Sla | None:
        return policy.sla or self.sla


# Opening hours come with the scenario's `hours` (the simulator keeps the schedule), not with
# the queue's settings.
HOURS_FIELDS = ("schedule",)


def settable() -> dict[str, Any]:
    """Queue settings a scenario may set, with their defaults: every policy field of a queue
    (so a new one is here without touching this file)."""
    sample = Queue("x")
    return {f.name: getattr(sample, f.name) for f in fields(Queue)
            if f.name not in ("name", "active", "pointer_set_by_hand", *HOURS_FIELDS)
            and getattr(sample, f.name) is not None}


def check_settings(settings: dict[str, Any], where: str) -> None:
    known = settable()
    for key, value in settings.items():
        if key not in known:
            raise ValueError(f"{where}: unknown setting {key!r} "
                             f"(one of {', '.join(sorted(known))})")
        default = known[key]
        if isinstance(default, Enum):
            allowed = sorted(str(m.value) for m in type(default))
            if value not in allowed:
                raise ValueError(f"{where}: {key} is one of {', '.join(allowed)}")
        elif isinstance(default, frozenset):
            allowed = sorted(c.value for c in Clock)
            if not isinstance(value, list | tuple | frozenset | set) or any(
                    v not in allowed for v in value):
                raise ValueError(f"{where}: {key} is a list of {', '.join(allowed)}")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{where}: {key} is true or false")
        elif isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)
                                           or value < 0):
            raise ValueError(f"{where}: {key} is a whole number of 0 or more")


def typed_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The values as the queue holds them (enum members for enum fields)."""
    known = settable()
    return {k: type(known[k])(v) if isinstance(known[k], Enum)
            else frozenset(v) if isinstance(known[k], frozenset) else v
            for k, v in settings.items()}


def parse(data: dict[str, Any]) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            place = ".".join(str(p) for p in err["loc"]) or "scenario"
            lines.append(f"{place}: {err['msg'].removeprefix('Value error, ')}")
        raise ScenarioError("\n".join(lines)) from None


def load(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc})") from None
    base = path.parent
    found = parse(data)
    if found.arrivals.file is not None and not found.arrivals.file.is_absolute():
        arrivals = found.arrivals.model_copy(update={"file": base / found.arrivals.file})
        found = found.model_copy(update={"arrivals": arrivals})
    return found
