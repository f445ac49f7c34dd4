"""Opening hours in a simulation: when a queue is open, in the run's own seconds.

A run counts seconds from the scenario's start; a schedule speaks of instants in its timezone.
This module turns one into the other with the pure `domain/hours.py` (the simulated clock is
the only "now" there is): a queue's open spans over the run, an agent's time at work (its shift
within the open hours of the queues it serves), a timer's due moment in business time, and the
first-response target's verdict for a ticket.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from giliran.domain import hours
from giliran.domain.hours import Schedule

Period = tuple[float, float]  # seconds after the start, start < end


def open_spans(schedule: Schedule, start: datetime, horizon: float) -> list[Period]:
    """The schedule's open spans within [0, horizon], in seconds after `start`."""
    found: list[Period] = []
    for a, b in hours.spans_from(schedule, start):
        on, off = (a - start).total_seconds(), (b - start).total_seconds()
        if on >= horizon:
            break
        found.append((max(0.0, on), min(off, horizon)))
    return found


def union(periods: Iterable[Period]) -> list[Period]:
    """Sorted, overlapping and touching periods joined."""
    merged: list[Period] = []
    for a, b in sorted(periods):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def within(periods: Sequence[Period], allowed: Sequence[Period]) -> list[Period]:
    """The parts of `periods` that fall within `allowed` (both sorted, each joined)."""
    found: list[Period] = []
    for a, b in union(periods):
        for c, d in allowed:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                found.append((lo, hi))
    return union(found)


@dataclass(frozen=True)
class Hours:
    """One run's opening hours: each queue's schedule (queues left out are always open)."""

    start: datetime
    horizon: float
    schedules: dict[str, Schedule]

    def spans(self, queue: str) -> list[Period] | None:
        """The queue's open spans; None: always open."""
        schedule = self.schedules.get(queue)
        return None if schedule is None else open_spans(schedule, self.start, self.horizon)

    def at_work(self, shift: Sequence[Period], queues: Iterable[str]) -> list[Period]:
        """An agent's shift within the hours of the queues it serves: while every one of them
        is closed it is not at work. One queue always open: the shift as it is."""
        opened: list[Period] = []
        for queue in queues:
            spans = self.spans(queue)
            if spans is None:
                return union(shift)
            opened += spans
        return within(shift, union(opened))

    def whole_days(self, periods: Sequence[Period], queues: Iterable[str]) -> list[Period]:
        """The local days (in the first scheduled queue's timezone) that `periods` touch,
        whole: who worked a day is at work whatever that day's hours are."""
        schedule = next((self.schedules[q] for q in queues if q in self.schedules), None)
        if schedule is None:
            return union(periods)
        found = []
        for a, b in periods:
            day = schedule.local_date(self.instant(a))
            while (midnight := self.seconds(schedule, day)) < min(b, self.horizon):
                found.append((max(0.0, midnight),
                              self.seconds(schedule, day + timedelta(days=1))))
                day += timedelta(days=1)
        return union(found)

    def seconds(self, schedule: Schedule, day: date) -> float:
        """A local midnight, in the run's seconds."""
        local = datetime.combine(day, time(), tzinfo=ZoneInfo(schedule.timezone))
        return (local - self.start).total_seconds()

    def due(self, queue: str, at: float, seconds: float, business: bool) -> float | None:
        """When a timer started at `at` for `seconds` runs out; in business time it stands
        still while the queue is closed. None: not within the run's reach."""
        schedule = self.schedules.get(queue)
        if not business or schedule is None:
            return at + seconds
        found = hours.add(schedule, self.instant(at), seconds)
        return None if found is None else (found - self.start).total_seconds()

    def elapsed(self, queue: str, a: float, b: float, business: bool) -> float:
        """Seconds from `a` to `b`, counting only open time when `business`."""
        schedule = self.schedules.get(queue)
        if not business or schedule is None:
            return max(0.0, b - a)
        return hours.business_seconds(schedule, self.instant(a), self.instant(b))

    def instant(self, at: float) -> datetime:
        return self.start + timedelta(seconds=at)


@dataclass(frozen=True)
class Verdict:
    """A ticket's first-response clock at the end of a run."""

    met: bool | None  # None: still running (unanswered and not yet past the target)
    elapsed: float


def first_response(opening: Hours, queue: str, arrived: float, answered: float | None,
                   target: float, business: bool) -> Verdict:
    """Met when the ticket was taken up within `target`; breached when it was later, or is
    still unanswered at the end past it; else undecided."""
    end = answered if answered is not None else opening.horizon
    elapsed = opening.elapsed(queue, arrived, end, business)
    if elapsed > target:
        return Verdict(False, elapsed)
    return Verdict(True if answered is not None else None, elapsed)


def shares(verdicts: Sequence[Verdict]) -> tuple[float, float]:
    """Met and breached, each over the clocks decided by the end."""
    decided = [v.met for v in verdicts if v.met is not None]
    if not decided:
        return math.nan, math.nan
    met = sum(decided) / len(decided)
    return met, 1.0 - met
