"""The measures a desk is judged by, over a period, computed from the assignment history.

- assignment time: from a ticket's arrival to its first assignment (tickets that arrived in the
  period and were assigned before its end);
- queue wait: every stay in the queue that ended with an assignment in the period (the first
  one, and again after an escalation or a requeue);
- utilization: time online while holding at least one ticket, over time online; load: tickets
  held over capacity, averaged over time online (both replayed from the presence log and the
  history, `service/reports/utilization.py`), per agent and per queue, beside the desk's
  target band;
- fairness: each agent's assignments against the share its time online would give it, and the
  Gini coefficient of assignments;
- service levels per queue: waits, answered within the queue's target, first response
  (domain/service_level.py);
- escalations in the period, and orphaned tickets: active tickets held by nobody or by a
  deactivated agent. The design never makes one; the timer pass checks and requeues any it finds
  (history reason `orphaned`), and both figures are reported so a desk can see that it holds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from giliran.domain.errors import InvalidInput
from giliran.domain.event_types import HistoryKind
from giliran.domain.figures import Usage
from giliran.domain.model import HistoryEntry, Queue, Reason, TicketFlag
from giliran.domain.people import Can
from giliran.domain.service_level import ServiceLevel, service_level
from giliran.domain.service_level import queue_stays as ticket_stays
from giliran.service.context import Context, Principal
from giliran.service.ports import HistoryFilter, UnitOfWork
from giliran.service.reports.floor_day import queued_times, waiting_ages
from giliran.service.reports.utilization import Share, replay

SCAN = 10**9  # the period's history is read whole; the caller bounds it by the period


@dataclass(frozen=True)
class Distribution:
    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Distribution:
        if not seconds:
            return cls(0, None, None, None, None)
        ordered = sorted(seconds)
        return cls(len(ordered), sum(ordered) / len(ordered), _rank(ordered, 0.5),
                   _rank(ordered, 0.9), ordered[-1])


@dataclass(frozen=True)
class Stats:
    since: datetime
    until: datetime
    queue: str | None
    created: int
    assigned: int
    completed: int
    escalations: int
    assignment_time: Distribution
    queue_wait: Distribution
    agents: dict[int, Usage]  # agent id -> time online, utilization and load
    floor: Usage
    queues: dict[str, Usage]
    shares: list[Share]  # fairness, among the agents online in the period
    gini: float | None
    band: tuple[float, float]
    orphaned_now: int
    orphans_requeued: int
    service_levels: dict[str, ServiceLevel] = field(default_factory=dict)
    unreachable_now: int = 0  # waiting tickets nobody can take as things stand


DEFAULT_PERIOD = timedelta(days=1)
LONGEST_PERIOD = timedelta(days=366)


def period(ctx: Context, since: datetime | None, until: datetime | None,
           default: timedelta) -> tuple[datetime, datetime]:
    """A report's [since, until): until now and `default` long unless given; refused when
    empty or longer than LONGEST_PERIOD."""
    until = until or ctx.clock.now()
    since = since or until - default
    if until <= since:
        raise InvalidInput("'to' must be after 'from'")
    if until - since > LONGEST_PERIOD:
        raise InvalidInput("the period may be at most 366 days")
    return since, until


def stats(ctx: Context, who: Principal, since: datetime | None = None,
          until: datetime | None = None, queue: str | None = None) -> Stats:
    """Over [since, until); by default the last 24 hours."""
    who.require(Can.SUPERVISE)
    since, until = period(ctx, since, until, DEFAULT_PERIOD)
    with ctx.uow(write=False) as uow:
        if queue is not None and uow.queues.get(queue) is None:
            raise InvalidInput("the queue filter names no queue")
        everything = uow.history.search(HistoryFilter(since=since, limit=SCAN))
        window = everything if queue is None else uow.history.search(
            HistoryFilter(queue=queue, since=since, limit=SCAN))
        in_period = [e for e in window if e.at < until]
        histories = histories_assigned(uow, in_period)
        agents = [a for a in uow.agents.all() if queue is None or queue in a.queues]
        queues = [q for q in uow.queues.all() if queue is None or q.name == queue]
        figures = replay(uow, agents, queues, since, until, everything, queue)
        # A ticket is late only once its target has passed by the clock, not by a period's end
        # that lies ahead.
        now = ctx.clock.now()
        levels = replayed_levels(uow, queues, everything, since, min(until, now), now)
        orphaned_now = len(uow.tickets.orphans(SCAN))
        unreachable = sum(n for (q, f), n in uow.tickets.flag_counts().items()
                          if f is TicketFlag.UNREACHABLE and queue in (None, q))
    count = Counter(e.event for e in in_period)
    return Stats(
        since=since, until=until, queue=queue,
        created=count[HistoryKind.CREATED], assigned=count[HistoryKind.ASSIGNED],
        completed=count[HistoryKind.COMPLETED], escalations=count[HistoryKind.ESCALATED],
        assignment_time=Distribution.of(_assignment_times(histories, since, until)),
        queue_wait=Distribution.of(_queue_waits(histories, since, until)),
        agents=figures.agents, floor=figures.floor, queues=figures.queues,
        shares=figures.shares, gini=figures.gini, band=ctx.utilization_band,
        orphaned_now=orphaned_now,
        orphans_requeued=sum(e.reason is Reason.ORPHANED for e in in_period),
        service_levels=levels, unreachable_now=unreachable,
    )


def replayed_levels(uow: UnitOfWork, queues: Sequence[Queue], entries: Sequence[HistoryEntry],
                    since: datetime, until: datetime, now: datetime) -> dict[str, ServiceLevel]:
    """Each queue's service level over [since, until), replayed from `entries`, the history from
    `since` on. A period that ends now counts the tickets waiting now with their age, as the
    workload does (those waiting since before the period too)."""
    by_ticket: dict[int, list[HistoryEntry]] = {}
    for e in entries:
        by_ticket.setdefault(e.ticket_id, []).append(e)
    queue_of = {t.id: t.queue for t in uow.tickets.many(set(by_ticket))}
    per_queue: dict[str, list[list[HistoryEntry]]] = {q.name: [] for q in queues}
    for ticket_id, history in by_ticket.items():
        per_queue.setdefault(queue_of.get(ticket_id, ""), []).append(history)
    live = until >= now
    depths = uow.tickets.depths() if live else {}
    queued = queued_times(uow, queues) if live else {}
    found = {}
    for q in queues:
        level = service_level(per_queue[q.name], q.service_level_seconds, since, until,
                              open_stays=not live)
        if live:
            waiting = waiting_ages(queued[q.name], depths.get(q.name, 0), now)
            level = replace(level, waits=level.waits.merged(waiting), waiting=waiting.count)
        found[q.name] = level
    return found


def histories_assigned(
    uow: UnitOfWork, entries: list[HistoryEntry]
) -> dict[int, list[HistoryEntry]]:
    """Whole histories of the tickets assigned in the period (a stay may have begun before)."""
    assigned = {e.ticket_id for e in entries if e.event == HistoryKind.ASSIGNED}
    return uow.history.for_tickets(sorted(assigned))


def _assignment_times(histories: dict[int, list[HistoryEntry]], since: datetime,
                      until: datetime) -> list[float]:
    found = []
    for entries in histories.values():
        created = next((e for e in entries if e.event == HistoryKind.CREATED), None)
        first = next((e for e in entries if e.event == HistoryKind.ASSIGNED), None)
        if created and first and since <= created.at < until and first.at < until:
            found.append((first.at - created.at).total_seconds())
    return found


def _queue_waits(histories: dict[int, list[HistoryEntry]], since: datetime,
                 until: datetime) -> list[float]:
    return [waited for at, waited in queue_stays(histories) if since <= at < until]


def queue_stays(histories: dict[int, list[HistoryEntry]]) -> list[tuple[datetime, float]]:
    """Each stay in the queue that ended in an assignment, over many tickets (the domain's
    `service_level.queue_stays` per ticket)."""
    return [stay for entries in histories.values() for stay in ticket_stays(entries)]


def _rank(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
