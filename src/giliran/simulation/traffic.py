"""The traffic of one replication: when tickets arrive, to which queue, how urgent, how long
they take, how patient their customers are.

Drawn once per replication from its own seed and then shared by every policy (common random
numbers), so two policies are compared on the very same tickets and the difference between
them is the policies', not the dice's.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from giliran.simulation.scenario import Handling, QueueSpec, Scenario, ScenarioError

HOUR = 3600.0
DAY = 86_400.0


Replayed = tuple[float, str | None, str | None, float | None]  # at, queue, priority, work


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds after the scenario's start
    queue: str
    priority: str
    work_seconds: float  # handle time of an agent with speed 1
    patience: float | None  # seconds the customer waits for an agent before giving up
    seed: int  # for whatever else this ticket needs drawn (accept delays, no-shows)


def arrivals(scenario: Scenario, replication: int,
             replayed: Sequence[Replayed] | None = None) -> list[Arrival]:
    """The replication's arrivals in time order. `replayed`: (at, queue, priority, work) from a
    CSV file or the desk's history, instead of the Poisson stream."""
    rng = random.Random(f"{scenario.seed}:{replication}:arrivals")
    times: Sequence[Replayed]
    if replayed is not None:
        times = replayed
    else:
        times = [(t, None, None, None) for t in poisson_times(scenario, rng)]
    queues = scenario.queues
    shares = [q.share for q in queues]
    found = []
    for at, queue_name, priority, work in times:
        spec = _queue(queues, queue_name) if queue_name else rng.choices(queues, shares)[0]
        level = priority or rng.choices(list(spec.priorities), list(spec.priorities.values()))[0]
        handling = spec.handling or scenario.handling
        patience = (rng.expovariate(1 / scenario.patience_seconds)
                    if scenario.patience_seconds else None)
        found.append(Arrival(at, spec.name, level,
                             work if work is not None else draw_work(handling, rng),
                             patience, rng.getrandbits(48)))
    return found


def _queue(queues: Sequence[QueueSpec], name: str) -> QueueSpec:
    for q in queues:
        if q.name == name:
            return q
    raise ScenarioError(f"the replay names queue {name!r}, which is not among the queues")


def rate(scenario: Scenario, at: float) -> float:
    """Arrivals per second at `at` (local hour of day and weekday of the scenario's zone)."""
    a = scenario.arrivals
    when = scenario.start + timedelta(seconds=at)
    per_hour = a.per_hour
    if a.hourly is not None:
        per_hour *= a.hourly[when.hour]
    if a.weekly is not None:
        per_hour *= a.weekly[when.weekday()]
    for burst in a.bursts:
        begins = (scenario.start + timedelta(days=burst.day)).replace(
            hour=burst.at.hour, minute=burst.at.minute, second=0, microsecond=0)
        if begins <= when < begins + timedelta(minutes=burst.minutes):
            per_hour += burst.per_hour
    return per_hour / HOUR


def peak_rate(scenario: Scenario) -> float:
    a = scenario.arrivals
    per_hour = a.per_hour * max(a.hourly or [1.0]) * max(a.weekly or [1.0])
    return (per_hour + sum(b.per_hour for b in a.bursts)) / HOUR


def poisson_times(scenario: Scenario, rng: random.Random) -> Iterator[float]:
    """A non-homogeneous Poisson process by thinning: candidates at the peak rate, each kept
    with probability rate/peak."""
    peak = peak_rate(scenario)
    if peak <= 0:
        return
    horizon = scenario.days * DAY
    at = 0.0
    while True:
        at += rng.expovariate(peak)
        if at >= horizon:
            return
        if rng.random() * peak < rate(scenario, at):
            yield at


def draw_work(h: Handling, rng: random.Random) -> float:
    if h.distribution == "fixed":
        return h.mean_seconds
    if h.distribution == "exponential":
        return rng.expovariate(1 / h.mean_seconds)
    if h.distribution == "lognormal":
        mu = math.log(h.mean_seconds) - h.sigma ** 2 / 2  # so that the mean is mean_seconds
        return rng.lognormvariate(mu, h.sigma)
    assert h.samples
    return rng.choice(h.samples)


def read_csv(path: Path, start: datetime) -> list[Replayed]:
    """Arrivals from a CSV file with a header: `at` (ISO 8601, with a zone), and optionally
    `queue`, `priority`, `handle_seconds`."""
    found = []
    try:
        with path.open(newline="", encoding="utf-8") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                try:
                    at = datetime.fromisoformat(row["at"])
                    if at.tzinfo is None:
                        raise ValueError("needs a time zone")
                    work = row.get("handle_seconds") or None
                    found.append(((at - start).total_seconds(), row.get("queue") or None,
                                  (row.get("priority") or "").lower() or None,
                                  float(work) if work else None))
                except (KeyError, ValueError) as exc:
                    raise ScenarioError(f"{path}:{line}: {exc}") from None
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    return sorted(f for f in found if f[0] >= 0)
