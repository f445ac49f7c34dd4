"""The floor's day so far, for the supervisor's page: each queue's service level and each
agent's day (counts, response and handle times, utilization over its time online).

Read from the day's figures the units of work keep as work happens (domain/daybook.py), plus
the part that is live by nature, read from indexes: the tickets waiting now with their age so
far, the unanswered ones already past their target, each agent's time online since it was last
counted. So it costs the same at 8 a.m. and 8 p.m.: O(agents + queues + the day's histogram
buckets + the waiting tickets read), never O(the day's history).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from giliran.domain import daybook
from giliran.domain.daybook import Day, Figure, Histogram, agent_subject, queue_subject
from giliran.domain.figures import Usage
from giliran.domain.model import Agent, Queue
from giliran.domain.service_level import ServiceLevel
from giliran.service.context import Context
from giliran.service.ports import UnitOfWork

# The waiting tickets whose ages are read, per queue (oldest first). Behind a longer backlog
# the younger ones are counted as old as the last one read: a wait is never shown shorter
# than it is.
WAITING_READ = 1000


@dataclass(frozen=True)
class AgentToday:
    presence_since: datetime | None  # its latest presence change today; None: before today
    response_median: float | None  # its assignment to its accept, seconds
    handle_median: float | None  # its accept to completion, seconds
    utilization: float | None  # time holding a ticket over time online, today
    assigned: int = 0
    completed: int = 0
    missed: int = 0


def read_day(uow: UnitOfWork, now: datetime) -> Day:
    return uow.daybook.day(daybook.day_of(now))


def queued_times(uow: UnitOfWork, queues: Sequence[Queue]) -> dict[str, list[datetime]]:
    """When each queue's waiting tickets entered it, the longest waiting first (at most
    WAITING_READ a queue): the live part of the waits, and each queue's oldest."""
    return {q.name: uow.tickets.queued_times(q.name, WAITING_READ) for q in queues}


def queue_levels(uow: UnitOfWork, queues: Sequence[Queue], day: Day, depths: dict[str, int],
                 queued: dict[str, list[datetime]], now: datetime) -> dict[str, ServiceLevel]:
    """Each queue's service level since midnight (UTC), as of `now`."""
    midnight = daybook.midnight(daybook.day_of(now), now)
    found = {}
    for q in queues:
        subject = queue_subject(q.name)
        live = waiting_ages(queued[q.name], depths.get(q.name, 0), now)
        late = uow.tickets.count_unanswered(
            q.name, midnight, now - timedelta(seconds=q.service_level_seconds))
        found[q.name] = ServiceLevel(
            q.service_level_seconds, int(day.sum(subject, Figure.ARRIVED)),
            day.histogram(subject, Figure.FIRST_RESPONSE), late,
            day.histogram(subject, Figure.WAIT).merged(live), live.count)
    return found


def waiting_ages(since: list[datetime], waiting: int, now: datetime) -> Histogram:
    """The ages of a queue's `waiting` tickets now, from when the longest waiting of them
    entered it (`since`, oldest first)."""
    ages = Histogram.of((now - at).total_seconds() for at in since)
    if since and waiting > len(since):
        ages.add((now - since[-1]).total_seconds(), waiting - len(since))
    return ages


def agents_today(uow: UnitOfWork, agents: Sequence[Agent], day: Day,
                 now: datetime) -> dict[int, AgentToday]:
    midnight = daybook.midnight(daybook.day_of(now), now)
    latest = {c.agent_id: c.at for c in uow.presence_log.during(midnight, now)}
    found = {}
    for a in agents:
        subject = agent_subject(a.id)
        found[a.id] = AgentToday(
            presence_since=latest.get(a.id),
            response_median=day.histogram(subject, Figure.RESPONSE).quantile(0.5),
            handle_median=day.histogram(subject, Figure.HANDLE).quantile(0.5),
            utilization=usage_today(a, day, midnight, now).utilization,
            assigned=int(day.sum(subject, Figure.ASSIGNED)),
            completed=int(day.sum(subject, Figure.COMPLETED)),
            missed=int(day.sum(subject, Figure.MISSED)),
        )
    return found


def usage_today(agent: Agent, day: Day, midnight: datetime, now: datetime) -> Usage:
    """Counted so far, and the span since it was last counted (still going on)."""
    subject = agent_subject(agent.id)
    online = day.sum(subject, Figure.ONLINE)
    busy = day.sum(subject, Figure.BUSY)
    since = agent.usage_since
    if since is not None:
        for add in daybook.spans(agent.id, agent.usage_state, max(since, midnight), now):
            online += add.value if add.figure is Figure.ONLINE else 0.0
            busy += add.value if add.figure is Figure.BUSY else 0.0
    return Usage(online_seconds=online, busy_seconds=busy)


def compact(ctx: Context) -> int:
    """Fold the day's additions into the rows the workload reads (the scheduler runs it every
    half minute, `giliran tick` on each run)."""
    with ctx.uow(write=True) as uow:
        folded = uow.daybook.compact()
        uow.commit()
    return folded
