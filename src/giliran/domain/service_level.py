"""Service levels: how long tickets wait, how many are answered within the queue's target, and
how quickly agents respond and finish. One definition of each figure, used by the supervisor's
page (today's, kept as work happens: domain/daybook.py), by `GET /stats` (any period, replayed
from the history) and by the What-if page (the recorded desk beside the simulated one):

- the tickets judged are those that arrived in the period;
- answered: a ticket's first accept (by the Accept button, or the holder's first reply) before
  the period's end (or now, for a period not over yet); first response: from its arrival to
  that accept;
- late: unanswered at the period's end and past the target by then: already a miss (a ticket
  cancelled unanswered too: its customer was not answered);
- share within target: answered within the target, over answered plus late (a ticket younger
  than the target and not answered yet counts neither way);
- wait: each stay in the queue that ended in an assignment in the period, and each stay still
  going at its end, with its age so far (a ticket waiting for 30 minutes has waited at least
  that long: leaving it out made a drowning queue look healthy);
- an agent's response time: its assignment to its accept; handle time: accept to completion.

Waits and response times are kept as histograms (domain/daybook.Histogram): to the second up to
two minutes, above never shorter than they were and at most 2 % longer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from giliran.domain.daybook import Histogram
from giliran.domain.event_types import ENTERS_QUEUE, LEAVES_QUEUE, HistoryKind
from giliran.domain.model import HistoryEntry


@dataclass(frozen=True)
class ServiceLevel:
    target_seconds: int
    arrived: int  # tickets that arrived in the period
    first_responses: Histogram  # of those answered: arrival to first accept (seconds)
    late: int  # unanswered past the target at the period's end
    waits: Histogram = field(default_factory=Histogram)  # ended stays, and stays going on
    waiting: int = 0  # of the waits, the stays still going at the period's end

    @property
    def answered(self) -> int:
        return self.first_responses.count

    @property
    def within_target(self) -> int:
        return self.first_responses.at_most(self.target_seconds)

    @property
    def counted(self) -> int:
        """The share's denominator: answered, or late."""
        return self.answered + self.late

    @property
    def share_within_target(self) -> float | None:
        return share(self.within_target, self.counted)

    @property
    def wait_median(self) -> float | None:
        return self.waits.quantile(0.5)

    @property
    def wait_p90(self) -> float | None:
        return self.waits.quantile(0.9)

    @property
    def first_response_median(self) -> float | None:
        return self.first_responses.quantile(0.5)


def share(within: int, counted: int) -> float | None:
    """Answered within the target over answered plus late: the one definition."""
    return round(within / counted, 4) if counted else None


def tally(first_responses: Sequence[float], unanswered: Sequence[float],
          target_seconds: float) -> tuple[int, int]:
    """From exact seconds (the simulator's, the What-if's record of the desk): answered within
    the target, and the share's denominator (answered, or late), given each answered ticket's
    first response and how long each unanswered one has waited so far."""
    within = sum(seconds <= target_seconds for seconds in first_responses)
    late = sum(past_target(age, target_seconds) for age in unanswered)
    return within, len(first_responses) + late


def share_of(first_responses: Sequence[float], unanswered: Sequence[float],
             target_seconds: float) -> float | None:
    return share(*tally(first_responses, unanswered, target_seconds))


def is_late(arrived: datetime, answered: datetime | None, target_seconds: float,
            until: datetime) -> bool:
    """Unanswered by `until`, and past the target by then."""
    return (answered is None or answered >= until) and past_target(
        (until - arrived).total_seconds(), target_seconds)


def past_target(unanswered_for: float, target_seconds: float) -> bool:
    """An unanswered ticket this old is already a miss."""
    return unanswered_for > target_seconds


def service_level(histories: Iterable[Sequence[HistoryEntry]], target_seconds: int,
                  since: datetime, until: datetime, *, open_stays: bool = True) -> ServiceLevel:
    """Replayed: `histories` holds each ticket's history from `since` on, oldest first
    (tickets of one queue; one that arrived in the period has its whole history there).
    `open_stays` False: the stays still going at `until` are left to the caller (a period
    that ends now reads them from the waiting tickets, those waiting since before it too)."""
    arrived = late = waiting = 0
    firsts = Histogram()
    waits = Histogram()
    for entries in histories:
        for at, seconds in queue_stays(entries):
            if since <= at < until:
                waits.add(seconds)
        age = waiting_at(entries, until) if open_stays else None
        if age is not None:
            waits.add(age)
            waiting += 1
        created = next((e.at for e in entries if e.event == HistoryKind.CREATED), None)
        if created is None or not since <= created < until:
            continue
        arrived += 1
        accepted = next((e.at for e in entries if e.event == HistoryKind.ACCEPTED), None)
        if accepted is not None and accepted < until:
            firsts.add((accepted - created).total_seconds())
        else:
            late += is_late(created, accepted, target_seconds, until)
    return ServiceLevel(target_seconds, arrived, firsts, late, waits, waiting)


def queue_stays(entries: Sequence[HistoryEntry]) -> list[tuple[datetime, float]]:
    """Each stay of one ticket in the queue that ended in an assignment: when it ended, and
    how long it lasted in seconds."""
    found = []
    entered: datetime | None = None
    for e in entries:
        if e.event in ENTERS_QUEUE:
            entered = e.at
        elif e.event == HistoryKind.ASSIGNED and entered is not None:
            found.append((e.at, (e.at - entered).total_seconds()))
            entered = None
        elif e.event == HistoryKind.CANCELLED:
            entered = None
    return found


def waiting_at(entries: Sequence[HistoryEntry], until: datetime) -> float | None:
    """How long the ticket had been waiting at `until`, if it was waiting then."""
    entered: datetime | None = None
    for e in entries:
        if e.at >= until:
            break
        if e.event in ENTERS_QUEUE:
            entered = e.at
        elif e.event in LEAVES_QUEUE:
            entered = None
    return None if entered is None else (until - entered).total_seconds()


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
