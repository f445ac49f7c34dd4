"""The floor's day so far, for the supervisor's page: each queue's service level and each
agent's presence, response and handle times and utilization over its time online, read from
today's history and presence log (the workload already reads today's history whole)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from giliran.domain.model import Agent, HistoryEntry, Queue
from giliran.domain.service_level import ServiceLevel, agent_times, median, service_level
from giliran.service.ports import UnitOfWork
from giliran.service.utilization import replay


@dataclass(frozen=True)
class AgentToday:
    presence_since: datetime | None  # its latest presence change today; None: before today
    response_median: float | None  # its assignment to its accept, seconds
    handle_median: float | None  # its accept to completion, seconds
    utilization: float | None  # time holding a ticket over time online, today


def queue_levels(uow: UnitOfWork, queues: Sequence[Queue], entries: Sequence[HistoryEntry],
                 since: datetime, until: datetime) -> dict[str, ServiceLevel]:
    """Each queue's service level over [since, until); `entries` the history from `since` on
    (a ticket that arrived since then has its whole history there)."""
    by_ticket: dict[int, list[HistoryEntry]] = {}
    for e in entries:
        by_ticket.setdefault(e.ticket_id, []).append(e)
    queue_of = {t.id: t.queue for t in uow.tickets.many(set(by_ticket))}
    per_queue: dict[str, list[list[HistoryEntry]]] = {q.name: [] for q in queues}
    for ticket_id, history in by_ticket.items():
        per_queue.setdefault(queue_of.get(ticket_id, ""), []).append(history)
    return {q.name: service_level(per_queue[q.name], q.service_level_seconds, since, until)
            for q in queues}


def agents_today(uow: UnitOfWork, agents: Sequence[Agent], queues: Sequence[Queue],
                 entries: Sequence[HistoryEntry], since: datetime,
                 until: datetime) -> dict[int, AgentToday]:
    times = agent_times(entries)
    usage = replay(uow, agents, queues, since, until, entries).agents
    latest = {c.agent_id: c.at for c in uow.presence_log.during(since, until)}
    found = {}
    for a in agents:
        mine = times.get(a.id)
        found[a.id] = AgentToday(
            presence_since=latest.get(a.id),
            response_median=median(mine.responses) if mine else None,
            handle_median=median(mine.handling) if mine else None,
            utilization=usage[a.id].utilization if a.id in usage else None,
        )
    return found
