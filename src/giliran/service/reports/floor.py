"""The supervisor's view of the floor (the workload: queues, agents, what waits) and the
floor's gauges for monitoring. Queue administration and the rotation pointer live in
`service/queues/`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from giliran.domain import capacity
from giliran.domain.capacity import Held
from giliran.domain.hours import OpenState
from giliran.domain.model import (
    Agent,
    Queue,
    Ticket,
    TicketFlag,
)
from giliran.domain.people import Can
from giliran.domain.service_level import ServiceLevel
from giliran.service.assignment.opening import Hours
from giliran.service.context import Context, Principal
from giliran.service.ports import TicketFilter, UnitOfWork
from giliran.service.queues.pointer import next_in_turn
from giliran.service.reports import floor_day
from giliran.service.reports.floor_day import AgentToday

FLAGGED_SHOWN = 50
ALWAYS_OPEN = OpenState(True, None)


@dataclass(frozen=True)
class QueueFigures:
    queue: Queue
    pending: int
    flagged: int
    next_agent_id: int | None
    members: int  # active members
    online_members: int
    free_slots: int  # of online, opted-in members not paused here, within the queue's limit
    oldest_waiting_since: datetime | None  # when the longest-waiting queued ticket entered
    service_level: ServiceLevel | None = None  # today's, against the queue's target
    unreachable: int = 0  # waiting tickets nobody can take as things stand (domain/reach.py)
    # Open now (always, without a schedule), and until when: its next closing or opening.
    hours: OpenState = ALWAYS_OPEN


@dataclass(frozen=True)
class AgentNow:
    """What an agent could still take, by every limit (domain/capacity.py)."""

    room: int  # more tickets it could take now, from its queues together
    full: bool  # room 0: it can take nothing more
    load: float | None  # held over held plus room


@dataclass(frozen=True)
class Workload:
    agents: list[Agent]
    pending: int
    online_agents: int
    total_agents: int
    free_slots: int
    queues: list[QueueFigures]
    flagged: list[Ticket]
    band: tuple[float, float]  # the utilization the desk aims for
    agents_today: dict[int, AgentToday] = field(default_factory=dict)
    agents_now: dict[int, AgentNow] = field(default_factory=dict)
    unreachable: int = 0
    failed_replies: int = 0  # open tickets' replies that failed, unresolved (of `who`'s queues)


def workload(ctx: Context, who: Principal) -> Workload:
    """The floor now and its day so far, at a cost that does not grow with the day's history
    (see floor_day)."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        now = ctx.clock.now()
        agents = [a for a in uow.agents.all() if a.active]
        queues = uow.queues.all()
        depths = uow.tickets.depths()
        flags = uow.tickets.flag_counts()
        held = _held_by_agent(uow.tickets.held_counts())
        flagged = list(uow.tickets.search(TicketFilter(flagged=True, limit=FLAGGED_SHOWN)))
        day = floor_day.read_day(uow, now)
        queued = floor_day.queued_times(uow, queues)
        levels = floor_day.queue_levels(uow, queues, day, depths, queued, now)
        oldest = {name: times[0] if times else None for name, times in queued.items()}
        opening = Hours(uow)
        figures = [replace(_figures(ctx, uow, q, agents, held, depths, flags, oldest[q.name],
                                    levels[q.name]), hours=opening.state(q, now))
                   for q in queues]
        per_agent = floor_day.agents_today(uow, agents, day, now)
        failed = len(uow.messages.unresolved_failures(queues=who.queues, open_only=True))
    by_name = {q.name: q for q in queues}
    agents_now = {a.id: _now(a, [by_name[n] for n in a.queues if n in by_name], held)
                  for a in agents}
    receiving = [a for a in agents if a.online and a.auto_assign]
    return Workload(
        agents=agents,
        pending=sum(depths.values()),
        online_agents=sum(a.online for a in agents),
        total_agents=len(agents),
        free_slots=sum(capacity.room(a, [by_name[n] for n in a.queues if n in by_name
                                         and not a.paused_in(n)], held.get(a.id, {}))
                       for a in receiving),
        queues=figures,
        flagged=flagged,
        band=ctx.utilization_band,
        agents_today=per_agent,
        agents_now=agents_now,
        unreachable=sum(n for (_, f), n in flags.items() if f is TicketFlag.UNREACHABLE),
        failed_replies=failed,
    )


def _held_by_agent(counts: dict[tuple[int, str], Held]) -> dict[int, dict[str, Held]]:
    found: dict[int, dict[str, Held]] = {}
    for (agent_id, queue), held in counts.items():
        found.setdefault(agent_id, {})[queue] = held
    return found


def _now(agent: Agent, queues: list[Queue], held: dict[int, dict[str, Held]]) -> AgentNow:
    room = capacity.room(agent, queues, held.get(agent.id, {}))
    return AgentNow(room=room, full=room == 0, load=capacity.load(agent.active_tickets, room))


def _figures(ctx: Context, uow: UnitOfWork, queue: Queue, agents: list[Agent],
             held: dict[int, dict[str, Held]], depths: dict[str, int],
             flags: dict[tuple[str, TicketFlag], int], oldest: datetime | None,
             level: ServiceLevel) -> QueueFigures:
    members = [a for a in agents if queue.name in a.queues]
    receiving = [a for a in members
                 if a.online and a.auto_assign and not a.paused_in(queue.name)]
    return QueueFigures(
        queue=queue,
        pending=depths.get(queue.name, 0),
        flagged=sum(n for (q, _), n in flags.items() if q == queue.name),
        next_agent_id=next_in_turn(ctx, uow, queue, members),
        members=len(members),
        online_members=sum(a.online for a in members),
        free_slots=sum(capacity.room_in(a, queue, held.get(a.id, {}).get(queue.name, (0, 0)))
                       for a in receiving),
        oldest_waiting_since=oldest,
        service_level=level,
        unreachable=flags.get((queue.name, TicketFlag.UNREACHABLE), 0),
    )


@dataclass(frozen=True)
class FloorGauges:
    """The floor in numbers, for monitoring (read by /metrics on every scrape)."""

    queued: dict[str, int]
    flagged: dict[str, int]
    presence: dict[str, int]  # active agents by presence
    active: int  # tickets held by online, opted-in agents
    capacity: int  # their max_tickets, summed


def gauges(ctx: Context) -> FloorGauges:
    with ctx.uow(write=False) as uow:
        agents = [a for a in uow.agents.all() if a.active]
        queues = [q.name for q in uow.queues.all()]
        depths = uow.tickets.depths()  # kept by the database, not counted
        flags = uow.tickets.flag_counts()
        queued = {q: depths.get(q, 0) for q in queues}
        flagged = {q: sum(n for (fq, _), n in flags.items() if fq == q) for q in queues}
    presence: dict[str, int] = {}
    for a in agents:
        presence[a.presence.value] = presence.get(a.presence.value, 0) + 1
    receiving = [a for a in agents if a.online and a.auto_assign]
    return FloorGauges(queued, flagged, presence, sum(a.active_tickets for a in receiving),
                       sum(a.max_tickets for a in receiving))
