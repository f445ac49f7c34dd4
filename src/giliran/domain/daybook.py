"""Today's figures, kept as work happens.

Each commit adds what it changed to per-day rows (`DayAdd`): counts, seconds online and busy,
and histograms of waits and response times. Reading a day's figures then costs the rows of that
day, which are bounded by the agents, the queues and the histograms' buckets, not by the tickets
handled: the supervisor's page costs the same at 8 a.m. and at 8 p.m. (`GET /workload`).

Histograms: whole seconds are kept exactly up to two minutes (a sample is rounded up to the
second); above, buckets grow by 2 % and read as their top, so a median or p90 read from them is
never shorter than the exact one and at most 2 % longer (a share within a target judges the
samples within 2 % below the target by their bucket's top: as late).

Days are UTC days, as the rest of the figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from giliran.domain.event_types import HistoryKind
from giliran.domain.model import Agent, HistoryEntry, Presence, Ticket

SCALAR = -1  # the bucket of a plain sum
EXACT_BELOW = 120  # seconds kept exactly (one bucket per whole second)
GROWTH = 1.02
_LOG_GROWTH = math.log(GROWTH)


class Figure(StrEnum):
    # Of a queue.
    ARRIVED = "arrived"
    WAIT = "wait"  # histogram: each stay in the queue that ended in an assignment
    FIRST_RESPONSE = "first_response"  # histogram: arrival to the first accept
    # Of an agent.
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    MISSED = "missed"
    RESPONSE = "response"  # histogram: its assignment to its accept
    HANDLE = "handle"  # histogram: its accept to completion
    ONLINE = "online"  # seconds online
    BUSY = "busy"  # seconds online while holding at least one ticket


@dataclass(frozen=True)
class DayAdd:
    """Add `value` to one figure of one subject on one day (`bucket`: a histogram's bucket, or
    SCALAR)."""

    day: date
    subject: str
    figure: Figure
    bucket: int
    value: float


def queue_subject(name: str) -> str:
    return f"queue:{name}"


def agent_subject(agent_id: int) -> str:
    return f"agent:{agent_id}"


def day_of(at: datetime) -> date:
    return at.date()


def midnight(day: date, like: datetime) -> datetime:
    return datetime.combine(day, time(0), tzinfo=like.tzinfo)


# Histograms. A bucket reads as the top of its range, so a wait is never read shorter than it
# was (at most 2 % longer above two minutes).
def bucket_of(seconds: float) -> int:
    s = max(0.0, seconds)
    if s <= EXACT_BELOW:
        return math.ceil(s - 1e-9)
    return EXACT_BELOW + max(1, math.ceil(math.log(s / EXACT_BELOW) / _LOG_GROWTH - 1e-9))


def bucket_value(bucket: int) -> float:
    """What a bucket's samples read as: the whole second up to two minutes (a sample is
    rounded up to it), the top of the bucket above."""
    if bucket <= EXACT_BELOW:
        return float(bucket)
    return math.ceil(EXACT_BELOW * GROWTH ** (bucket - EXACT_BELOW) * 10) / 10  # a tenth up


@dataclass
class Histogram:
    """Counts per bucket, dense (index = bucket): a stored day's histogram loads as it is."""

    counts: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Histogram:
        found = cls()
        for s in seconds:
            found.add(s)
        return found

    def add(self, seconds: float, count: int = 1) -> None:
        self.add_to(bucket_of(seconds), count)

    def add_to(self, bucket: int, count: int) -> None:
        if bucket >= len(self.counts):
            self.counts.extend([0] * (bucket + 1 - len(self.counts)))
        self.counts[bucket] += count

    def merged(self, other: Histogram) -> Histogram:
        longer, shorter = sorted((self.counts, other.counts), key=len, reverse=True)
        counts = list(longer)
        for b, n in enumerate(shorter):
            counts[b] += n
        return Histogram(counts)

    @property
    def count(self) -> int:
        return sum(self.counts)

    def quantile(self, q: float) -> float | None:
        """Nearest rank, as `service_level.percentile`."""
        total = self.count
        if total == 0:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for b, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return bucket_value(b)
        return None  # pragma: no cover - the ranks add up to the total

    def at_most(self, seconds: float) -> int:
        """Samples that read as `seconds` or less."""
        return sum(n for b, n in enumerate(self.counts) if n and bucket_value(b) <= seconds)


# What a commit adds.
def of_entry(entry: HistoryEntry, ticket: Ticket | None) -> list[DayAdd]:
    """What one history entry adds to its day: counts, and the measures the lifecycle took
    (they are not stored with the entry; see HistoryEntry)."""
    day = day_of(entry.at)
    found: list[DayAdd] = []
    queue = queue_subject(ticket.queue) if ticket is not None else None

    def add(subject: str | None, figure: Figure, seconds: float | None = None) -> None:
        if subject is None:
            return
        if seconds is None:
            found.append(DayAdd(day, subject, figure, SCALAR, 1.0))
        else:
            found.append(DayAdd(day, subject, figure, bucket_of(seconds), 1.0))

    if entry.event == HistoryKind.CREATED:
        add(queue, Figure.ARRIVED)
    elif entry.event == HistoryKind.ASSIGNED and entry.to_agent_id is not None:
        add(agent_subject(entry.to_agent_id), Figure.ASSIGNED)
        if entry.waited_seconds is not None:
            add(queue, Figure.WAIT, entry.waited_seconds)
    elif entry.event == HistoryKind.ACCEPTED and entry.to_agent_id is not None:
        if entry.response_seconds is not None:
            add(agent_subject(entry.to_agent_id), Figure.RESPONSE, entry.response_seconds)
        if entry.first_response_seconds is not None and ticket is not None:
            # Judged with the tickets that arrived the same day (domain/service_level.py).
            found.append(DayAdd(day_of(ticket.created_at), queue_subject(ticket.queue),
                                Figure.FIRST_RESPONSE,
                                bucket_of(entry.first_response_seconds), 1.0))
    elif entry.event == HistoryKind.COMPLETED and entry.from_agent_id is not None:
        add(agent_subject(entry.from_agent_id), Figure.COMPLETED)
        if entry.handle_seconds is not None:
            add(agent_subject(entry.from_agent_id), Figure.HANDLE, entry.handle_seconds)
    elif entry.event == HistoryKind.ESCALATED and entry.from_agent_id is not None:
        add(agent_subject(entry.from_agent_id), Figure.MISSED)
    return found


def of_commit(entries: Sequence[HistoryEntry], ticket_of: Callable[[int], Ticket | None],
              agents: Iterable[Agent], now: datetime) -> tuple[list[DayAdd], list[Agent]]:
    """What one commit adds to the day's figures: its history's counts and measures, and the
    time online and busy of each agent whose presence or load moved; and those agents, which
    the unit of work saves again (their count starts from `now`). Both stores call this, so
    they cannot count differently."""
    adds = [a for e in entries for a in of_entry(e, ticket_of(e.ticket_id))]
    moved = []
    for agent in agents:
        found = account(agent, now)
        if found is not None:
            adds += found
            moved.append(agent)
    return adds, moved


def usage_state(agent: Agent) -> int:
    """Bit 0: online; bit 1: holding at least one ticket."""
    return int(agent.presence is Presence.ONLINE) | (2 if agent.active_tickets > 0 else 0)


def account(agent: Agent, now: datetime) -> list[DayAdd] | None:
    """When an agent's presence or load changed since it was last accounted: its time online
    and busy since then goes to the days it fell on, and the count starts again from `now`
    (the agent is changed: save it). None, and the agent unchanged, when nothing changed."""
    state = usage_state(agent)
    if state == agent.usage_state and agent.usage_since is not None:
        return None
    found = list(spans(agent.id, agent.usage_state, agent.usage_since, now))
    agent.usage_state = state
    agent.usage_since = now
    return found


def spans(agent_id: int, state: int, since: datetime | None,
          until: datetime) -> Iterator[DayAdd]:
    """Seconds online (and busy) in [since, until), split at midnights."""
    if since is None or not state & 1 or until <= since:
        return
    subject = agent_subject(agent_id)
    start = since
    while start < until:
        end = min(until, midnight(day_of(start) + timedelta(days=1), start))
        seconds = (end - start).total_seconds()
        yield DayAdd(day_of(start), subject, Figure.ONLINE, SCALAR, seconds)
        if state & 2:
            yield DayAdd(day_of(start), subject, Figure.BUSY, SCALAR, seconds)
        start = end


@dataclass
class Day:
    """A day's rows, read back: sums and histograms per subject and figure."""

    sums: dict[tuple[str, Figure], float] = field(default_factory=dict)
    histograms: dict[tuple[str, Figure], Histogram] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[DayAdd]) -> Day:
        found = cls()
        for row in rows:
            key = (row.subject, row.figure)
            if row.bucket == SCALAR:
                found.sums[key] = found.sums.get(key, 0.0) + row.value
            else:
                found.histograms.setdefault(key, Histogram()).add_to(row.bucket, int(row.value))
        return found

    def sum(self, subject: str, figure: Figure) -> float:
        return self.sums.get((subject, figure), 0.0)

    def histogram(self, subject: str, figure: Figure) -> Histogram:
        return self.histograms.get((subject, figure)) or Histogram()
