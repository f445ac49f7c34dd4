"""Staffing advice: the fewest agents online, hour by hour, that meet a service target.

For each hour of the day the scenario's arrival rate at that hour is held steady and the desk
is simulated with more and more agents until the target holds: a share of customers accepted
within the target wait, and the agents' utilization at most a ceiling. Erlang C gives the
starting point (it is exact for one ticket per agent; with more, agents share their time
between tickets and the formula no longer applies, so simulation decides).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from giliran.simulation import theory, traffic
from giliran.simulation.runner import simulate
from giliran.simulation.scenario import AgentGroup, Arrivals, Scenario, Shift

HOUR = 3600.0
WARMUP_HOURS = 2.0  # simulated before measuring, so the desk does not start empty


@dataclass(frozen=True)
class Target:
    within: float = 0.80  # share accepted within the scenario's wait target
    max_utilization: float = 0.90


@dataclass(frozen=True)
class HourAdvice:
    hour: int
    per_hour: float  # arrivals
    erlang_lower_bound: int
    agents: int | None  # None: not met within the search limit
    within: float
    utilization: float


def advise(scenario: Scenario, target: Target = Target(), *, hours: int = 8,
           limit: int = 500, progress: Callable[[int], None] | None = None) -> list[HourAdvice]:
    """One piece of advice per hour of the day (in the scenario's zone), each found by
    simulating `hours` hours of that hour's traffic on the scenario's first agent group and
    first policy."""
    found = []
    known: dict[float, HourAdvice] = {}  # hours with the same traffic need the same agents
    for hour in range(24):
        rate = round(traffic.rate(scenario, _seconds_into(scenario, hour)) * HOUR, 6)
        if rate not in known:
            known[rate] = _hour(scenario, target, hour, rate, hours, limit)
        found.append(replace(known[rate], hour=hour))
        if progress is not None:
            progress(hour)
    return found


def _seconds_into(scenario: Scenario, hour: int) -> float:
    """Seconds from the start to `hour` o'clock on the first day (the hour's own rate)."""
    start = scenario.start
    return ((hour - start.hour) % 24) * HOUR - start.minute * 60


def _hour(scenario: Scenario, target: Target, hour: int, per_hour: float, hours: int,
          limit: int) -> HourAdvice:
    if per_hour <= 0:
        return HourAdvice(hour, 0.0, 0, 0, 1.0, 0.0)
    group = scenario.agents[0]
    work = (scenario.queues[0].handling or scenario.handling).mean_seconds / group.speed
    lam, mu, wait = per_hour / HOUR, 1 / work, scenario.wait_target_seconds
    servers = theory.agents_needed(lam, mu)
    while (theory.within(lam, mu, servers, wait) < target.within
           and servers < limit * max(1, group.max_tickets)):
        servers += 1
    lower = max(1, math.ceil(servers / max(1, group.max_tickets)))
    tried: dict[int, tuple[float, float]] = {}

    def meets(agents: int) -> bool:
        tried[agents] = _try(scenario, group, per_hour, agents, hours)
        found_within, utilization = tried[agents]
        return found_within >= target.within and utilization <= target.max_utilization

    agents = lower
    if meets(agents):  # the bound holds: can fewer do it too (several tickets per agent)?
        while agents > 1 and meets(agents - 1):
            agents -= 1
    else:
        agents += 1
        while agents <= limit and not meets(agents):
            agents += 1
        if agents > limit:
            return HourAdvice(hour, per_hour, lower, None, math.nan, math.nan)
    return HourAdvice(hour, per_hour, lower, agents, *tried[agents])


def _try(scenario: Scenario, group: AgentGroup, per_hour: float, agents: int,
         hours: int) -> tuple[float, float]:
    steady = scenario.model_copy(update={
        "days": (hours + WARMUP_HOURS) / 24, "warmup_hours": WARMUP_HOURS,
        "replications": min(3, scenario.replications),
        "arrivals": Arrivals(per_hour=per_hour),
        "agents": [group.model_copy(update={"count": agents, "shift": Shift()})],
        "policies": scenario.policies[:1],
    })
    figures = simulate(steady).policies[0]
    return figures.figure("within_target").mean, figures.figure("utilization").mean


def schedule(advice: list[HourAdvice]) -> str:
    """The advice as lines a person reads: hour, arrivals, agents."""
    lines = ["hour   arrivals/h   agents (Erlang C bound)   accepted in time   utilization"]
    for a in advice:
        agents = "—" if a.agents is None else str(a.agents)
        lines.append(f"{a.hour:02d}:00  {a.per_hour:10.1f}   {agents:>6} "
                     f"({a.erlang_lower_bound:>4})           {a.within * 100:6.1f} %         "
                     f"{a.utilization * 100:5.1f} %")
    return "\n".join(lines)
