"""Service levels, read from the assignment history: how long tickets wait, how many are
answered within the queue's target, and how quickly agents respond and finish.

- answered: the ticket's first accept (by the Accept button, or the holder's first reply);
- share within target: of the tickets that arrived in the period, those answered within the
  target, over those answered plus those still unanswered past the target at the period's end
  (a ticket younger than the target and not yet answered counts neither way);
- first response: arrival to the first accept; an agent's response time: its assignment to
  its accept; handle time: accept to completion.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from giliran.domain.model import HistoryEntry

ENTERS_QUEUE = ("created", "unassigned", "escalated")


@dataclass(frozen=True)
class ServiceLevel:
    target_seconds: int
    arrived: int  # tickets that arrived in the period
    answered: int
    within_target: int
    counted: int  # answered, or unanswered past the target: the share's denominator
    waits: list[float]  # each stay in the queue that ended in an assignment (seconds)
    first_responses: list[float]  # arrival to first accept (seconds)

    @property
    def share_within_target(self) -> float | None:
        return round(self.within_target / self.counted, 4) if self.counted else None


def service_level(histories: Iterable[Sequence[HistoryEntry]], target_seconds: int,
                  since: datetime, until: datetime) -> ServiceLevel:
    """`histories`: each ticket's whole history, oldest first (tickets of one queue)."""
    arrived = answered = within = counted = 0
    waits: list[float] = []
    responses: list[float] = []
    for entries in histories:
        waits += [w for at, w in queue_stays(entries) if since <= at < until]
        created = next((e.at for e in entries if e.event == "created"), None)
        if created is None or not since <= created < until:
            continue
        arrived += 1
        accepted = next((e.at for e in entries if e.event == "accepted" and e.at < until), None)
        if accepted is not None:
            seconds = (accepted - created).total_seconds()
            answered += 1
            counted += 1
            within += seconds <= target_seconds
            responses.append(seconds)
        elif (until - created).total_seconds() > target_seconds:
            counted += 1
    return ServiceLevel(target_seconds, arrived, answered, within, counted, waits, responses)


def queue_stays(entries: Sequence[HistoryEntry]) -> list[tuple[datetime, float]]:
    """Each stay of one ticket in the queue that ended in an assignment: when it ended, and
    how long it lasted in seconds."""
    found = []
    entered: datetime | None = None
    for e in entries:
        if e.event in ENTERS_QUEUE:
            entered = e.at
        elif e.event == "assigned" and entered is not None:
            found.append((e.at, (e.at - entered).total_seconds()))
            entered = None
    return found


@dataclass(frozen=True)
class AgentTimes:
    responses: list[float]  # its assignment to its accept (seconds)
    handling: list[float]  # its accept to completion (seconds)


def agent_times(entries: Iterable[HistoryEntry]) -> dict[int, AgentTimes]:
    """Per agent, from the history of a period in the order written: how long it took to
    take each ticket on, and to finish it."""
    assigned: dict[tuple[int, int], datetime] = {}
    accepted: dict[tuple[int, int], datetime] = {}
    found: dict[int, AgentTimes] = {}
    for e in entries:
        if e.event == "assigned" and e.to_agent_id is not None:
            assigned[(e.ticket_id, e.to_agent_id)] = e.at
        elif e.event == "accepted" and e.to_agent_id is not None:
            key = (e.ticket_id, e.to_agent_id)
            accepted[key] = e.at
            if key in assigned:
                times = found.setdefault(e.to_agent_id, AgentTimes([], []))
                times.responses.append((e.at - assigned.pop(key)).total_seconds())
        elif e.event == "completed" and e.from_agent_id is not None:
            key = (e.ticket_id, e.from_agent_id)
            if key in accepted:
                times = found.setdefault(e.from_agent_id, AgentTimes([], []))
                times.handling.append((e.at - accepted.pop(key)).total_seconds())
    return found


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
