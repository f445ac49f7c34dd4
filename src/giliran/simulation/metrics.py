"""What a run measured, and the same across replications with 95 % confidence intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from giliran.domain.figures import Usage
from giliran.domain.service_level import share_of
from giliran.simulation import opening
from giliran.simulation.driver import Run, TicketLife
from giliran.simulation.theory import Interval, gini, interval, quantile

HOUR = 3600.0


@dataclass(frozen=True)
class RunFigures:
    """One replication of one policy. Times in seconds; shares in 0..1."""

    tickets: int
    completed: int
    assign_mean: float  # arrival -> first assignment
    assign_p90: float
    wait_mean: float  # arrival -> accepted by an agent
    wait_p90: float
    wait_max: float
    within_target: float  # share accepted within the target wait
    utilization: float  # the floor: time holding >= 1 ticket / time online
    load: float  # mean tickets held / capacity, over time online
    utilization_by_agent: dict[str, float]
    in_band: float  # share of agents whose utilization is within the band
    assignments_by_agent: dict[str, int]
    fairness_max_min: float  # most assignments / fewest
    fairness_gini: float
    escalations: int
    flagged: int
    orphans: int
    abandoned: int
    mean_waiting: float  # time-average number of tickets waiting
    arrival_rate: float  # per second, over the whole run (warm-up included, for Little)
    littles_wait: float  # mean time in the queue (arrival to first assignment, all stays)
    violations: int = 0
    # The first-response target (when the scenario sets one): met and breached over the
    # clocks decided by the end, in business time when the target says so.
    sla_met: float = math.nan
    sla_breached: float = math.nan
    wait_by_hour: list[float] = field(default_factory=list)  # mean wait of arrivals per hour
    queue_samples: list[int] = field(default_factory=list)  # tickets waiting, every sample


def measure(run: Run, target: float, band: tuple[float, float],
            warmup: float = 0.0) -> RunFigures:
    lives = [t for t in run.tickets if t.arrival.at >= warmup]
    assigned = [t.first_assigned - t.arrival.at for t in lives if t.first_assigned is not None]
    waited = [t.accepted - t.arrival.at for t in lives if t.accepted is not None]
    # Customers who gave up, or were never served by the end, waited at least this long.
    unserved = [run.horizon - t.arrival.at for t in lives
                if t.accepted is None and t.abandoned is None]
    # Unanswered by the end, gave up or not: a miss once past the target (service_level.py).
    unanswered = [run.horizon - t.arrival.at for t in lives if t.accepted is None]
    util = {a.name: (a.busy_seconds / a.online_seconds if a.online_seconds else math.nan)
            for a in run.agents}
    online = sum(a.online_seconds for a in run.agents)
    capacity = sum(a.online_seconds * max(1, _capacity(a)) for a in run.agents)
    counts = {a.name: a.assignments for a in run.agents}
    working = [c for c in counts.values()]
    low, high = band
    rated = [u for u in util.values() if not math.isnan(u)]
    return RunFigures(
        tickets=len(lives),
        completed=sum(t.completed is not None for t in lives),
        assign_mean=_mean(assigned), assign_p90=quantile(assigned, 0.9),
        wait_mean=_mean(waited), wait_p90=quantile(waited + unserved, 0.9),
        wait_max=max(waited + unserved, default=math.nan),
        within_target=_within(waited, unanswered, target),
        utilization=_nan(Usage(online, sum(a.busy_seconds for a in run.agents)).utilization),
        load=(sum(a.held_area for a in run.agents) / capacity) if capacity else math.nan,
        utilization_by_agent=util,
        in_band=(sum(low <= u <= high for u in rated) / len(rated)) if rated else math.nan,
        assignments_by_agent=counts,
        fairness_max_min=(max(working) / min(working)) if working and min(working) > 0
        else math.inf if working and max(working) > 0 else math.nan,
        fairness_gini=gini(working),
        escalations=sum(t.escalations for t in lives),
        flagged=sum(t.flagged for t in lives),
        orphans=run.orphans,
        abandoned=sum(t.abandoned is not None for t in lives),
        mean_waiting=_mean([n for _, n in run.queue_samples]),
        arrival_rate=len(run.tickets) / run.horizon,  # all of them, as the two below
        littles_wait=_queue_time(run),
        violations=len(run.violations),
        **_sla(run, lives),
        wait_by_hour=_by_hour(run),
        queue_samples=[n for _, n in run.queue_samples],
    )


def _sla(run: Run, lives: Sequence[TicketLife]) -> dict[str, float]:
    if run.sla is None or run.opening is None:
        return {}
    target, business = run.sla.first_response_seconds, run.sla.business_hours
    met, breached = opening.shares([
        opening.first_response(run.opening, t.arrival.queue, t.arrival.at, t.accepted, target,
                               business) for t in lives])
    return {"sla_met": met, "sla_breached": breached}


def _within(answered: list[float], unanswered: list[float], target: float) -> float:
    """The dashboard's definition (domain/service_level.py): answered within the target over
    answered plus those unanswered past it; the simulator's waits are exact, not bucketed."""
    return _nan(share_of(answered, unanswered, target))


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _capacity(agent: object) -> int:
    group = getattr(agent, "group", None)
    return int(getattr(group, "max_tickets", 1))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _queue_time(run: Run) -> float:
    """Mean time a ticket spent in the queue over all its stays, up to the horizon."""
    return _mean([t.queued_seconds for t in run.tickets])


def _by_hour(run: Run) -> list[float]:
    hours = max(1, math.ceil(run.horizon / HOUR))
    sums, counts = [0.0] * hours, [0] * hours
    for t in run.tickets:
        if t.accepted is not None:
            h = min(hours - 1, int(t.arrival.at // HOUR))
            sums[h] += t.accepted - t.arrival.at
            counts[h] += 1
    return [s / c if c else math.nan for s, c in zip(sums, counts, strict=True)]


# What the report shows per policy, each as an interval across replications.
SUMMARY = ("assign_mean", "assign_p90", "wait_mean", "wait_p90", "wait_max", "within_target",
           "utilization", "load", "in_band", "fairness_max_min", "fairness_gini",
           "escalations", "flagged", "orphans", "abandoned", "mean_waiting", "tickets",
           "sla_met", "sla_breached")


@dataclass(frozen=True)
class PolicyFigures:
    policy: str
    runs: list[RunFigures]

    def figure(self, name: str) -> Interval:
        return interval([float(getattr(r, name)) for r in self.runs])

    def summary(self) -> dict[str, Interval]:
        return {name: self.figure(name) for name in SUMMARY}

    def utilization_by_agent(self) -> dict[str, Interval]:
        names = self.runs[0].utilization_by_agent
        return {n: interval([r.utilization_by_agent[n] for r in self.runs]) for n in names}
