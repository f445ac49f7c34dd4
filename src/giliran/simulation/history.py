"""A desk's own past as a scenario: the tickets that arrived in a period, how long its agents
took to accept and to finish them, when each agent was online, and the queues' settings today.

Replaying it through a policy answers "what would have happened with this setting" on the
traffic the desk really had, not on an invented one.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from giliran.domain.event_types import HistoryKind
from giliran.domain.hours import Schedule, format_minute, weekly_text
from giliran.domain.model import HistoryEntry, Presence
from giliran.service.lookups import history_between, schedule_of
from giliran.service.ports import UnitOfWorkFactory
from giliran.simulation.scenario import (
    AgentGroup,
    Handling,
    Hours,
    Policy,
    QueueSpec,
    Scenario,
    ScenarioError,
    SpecialHours,
    settable,
)
from giliran.simulation.traffic import Replayed

SHORTEST_WORK = 1.0  # seconds: a ticket closed at once still took some time


@dataclass(frozen=True)
class Desk:
    """What the desk's past gives a simulation: a scenario, and its arrivals to replay."""

    scenario: Scenario
    arrivals: list[Replayed]


def from_history(uow_factory: UnitOfWorkFactory, since: datetime, until: datetime, *,
                 policies: list[Policy] | None = None, replications: int = 3,
                 seed: int = 1) -> Desk:
    if until <= since:
        raise ScenarioError("the period's end must come after its start")
    with uow_factory(write=False) as uow:
        created = history_between(uow, HistoryKind.CREATED, since, until)
        tickets = {t.id: t for t in uow.tickets.many({e.ticket_id for e in created})}
        lives = uow.history.for_tickets(sorted(tickets))
        agents = [a for a in uow.agents.all() if a.active]
        queues = uow.queues.all()
        hours = {q.name: as_hours(s) for q in queues if (s := schedule_of(uow, q)) is not None}
        before = uow.presence_log.at(since)
        changes = uow.presence_log.during(since, until)
    if not created:
        raise ScenarioError("no ticket arrived in that period: nothing to replay")
    horizon = (until - since).total_seconds()
    work, accept, missed = _timings(lives)
    arrivals: list[Replayed] = sorted(
        ((e.at - since).total_seconds(), tickets[e.ticket_id].queue,
         tickets[e.ticket_id].priority.label, _work_of(lives.get(e.ticket_id, [])))
        for e in created if e.ticket_id in tickets)
    online = _online(agents, before, changes, since, horizon)
    samples = sorted(w for w in work if w > 0) or [600.0]
    known = settable()
    scenario = Scenario(
        name=f"the desk, {since:%Y-%m-%d} to {until:%Y-%m-%d}", start=since,
        days=horizon / 86_400, seed=seed, replications=replications,
        presence_grace_seconds=0,
        handling=Handling(distribution="empirical", samples=samples),
        queues=[QueueSpec(name=q.name, hours=hours.get(q.name), settings={
            k: _plain(getattr(q, k)) for k in known if hasattr(q, k)}) for q in queues],
        agents=[AgentGroup(
            count=1, name=a.name, max_tickets=a.max_tickets, queues=sorted(a.queues),
            accept_delay_seconds=_mean(accept.get(a.id, [])),
            no_show=min(0.95, missed.get(a.id, 0) / max(1, len(accept.get(a.id, []))
                                                        + missed.get(a.id, 0))),
            online=online.get(a.id, []), follows_hours=bool(hours))
            for a in agents] or [AgentGroup(count=1)],
        policies=policies or [Policy(name="as it is")],
    )
    return Desk(scenario, arrivals)


def as_hours(schedule: Schedule) -> Hours:
    """A kept schedule in the scenario's words; its holidays become closed days."""
    special = {x.day: SpecialHours(date=x.day, note=x.note, hours=[
        (format_minute(a), format_minute(b)) for a, b in x.hours]) for x in schedule.exceptions}
    closed = [SpecialHours(date=h.day, note=h.name) for h in schedule.holidays
              if h.day not in special]
    return Hours(timezone=schedule.timezone, hours={
        day: [(a, b) for a, b in pairs] for day, pairs in weekly_text(schedule).items()},
        exceptions=sorted([*special.values(), *closed], key=lambda x: x.date))


def _timings(lives: dict[int, list[HistoryEntry]]
             ) -> tuple[list[float], dict[int, list[float]], dict[int, int]]:
    """Handle times (accept to completion), each agent's accept delays, and its misses."""
    work: list[float] = []
    accept: dict[int, list[float]] = defaultdict(list)
    missed: dict[int, int] = defaultdict(int)
    for entries in lives.values():
        assigned: dict[int, datetime] = {}
        accepted_at = None
        for e in entries:
            if e.event == HistoryKind.ASSIGNED and e.to_agent_id is not None:
                assigned[e.to_agent_id] = e.at
            elif e.event == HistoryKind.ACCEPTED and e.to_agent_id in assigned:
                accept[e.to_agent_id].append((e.at - assigned[e.to_agent_id]).total_seconds())
                accepted_at = e.at
            elif e.event == HistoryKind.ESCALATED and e.from_agent_id is not None:
                missed[e.from_agent_id] += 1
            elif e.event == HistoryKind.COMPLETED and accepted_at is not None:
                work.append(max(SHORTEST_WORK, (e.at - accepted_at).total_seconds()))
    return work, accept, missed


def _work_of(entries: list[HistoryEntry]) -> float | None:
    """This ticket's own handle time, when it was completed; else one drawn from the rest."""
    accepted = next((e.at for e in entries if e.event == HistoryKind.ACCEPTED), None)
    done = next((e.at for e in entries if e.event == HistoryKind.COMPLETED), None)
    if accepted is None or done is None:
        return None
    return max(SHORTEST_WORK, (done - accepted).total_seconds())


def _online(agents: list[Any], before: dict[int, Presence], changes: list[Any],
            since: datetime, horizon: float) -> dict[int, list[tuple[float, float]]]:
    """Each agent's periods online, in seconds from the start, from the presence log."""
    periods: dict[int, list[tuple[float, float]]] = defaultdict(list)
    began: dict[int, float | None] = {
        a.id: 0.0 if before.get(a.id) is Presence.ONLINE else None for a in agents}
    for c in changes:
        at = (c.at - since).total_seconds()
        if c.presence is Presence.ONLINE and began.get(c.agent_id) is None:
            began[c.agent_id] = at
        elif c.presence is not Presence.ONLINE and began.get(c.agent_id) is not None:
            start = began[c.agent_id]
            assert start is not None
            periods[c.agent_id].append((start, at))
            began[c.agent_id] = None
    for agent_id, start in began.items():
        if start is not None:
            periods[agent_id].append((start, horizon))
    return periods


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value
