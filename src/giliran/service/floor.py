"""The supervisor's view of the floor, the per-queue policy and the rotation."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from giliran.domain import audit, capacity, presets
from giliran.domain.capacity import Held
from giliran.domain.errors import (
    AgentInactive,
    Conflict,
    DefaultQueueRequired,
    NotAMember,
)
from giliran.domain.model import (
    DEFAULT_QUEUE,
    Agent,
    ClaimPolicy,
    OfflinePolicy,
    PickupPolicy,
    Queue,
    SlotFreedOn,
    StrategyName,
    Ticket,
    TicketFlag,
)
from giliran.domain.presets import Preset
from giliran.domain.service_level import ServiceLevel
from giliran.domain.strategies import rotation_key
from giliran.service import floor_day, reach, turns
from giliran.service.audit_log import record_queue
from giliran.service.context import Context, Principal, Role
from giliran.service.dispatch import dispatch
from giliran.service.floor_day import AgentToday
from giliran.service.lookups import agent_or_404, queue_or_404
from giliran.service.ports import TicketFilter, UnitOfWork
from giliran.service.recording import record_queue_change

FLAGGED_SHOWN = 50


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


@dataclass(frozen=True)
class QueueChanges:
    """Only the fields that are not None change."""

    strategy: StrategyName | None = None
    accept_timeout_seconds: int | None = None
    max_escalations: int | None = None
    away_after_misses: int | None = None
    offline_policy: OfflinePolicy | None = None
    max_wait_seconds: int | None = None
    auto_assign_percent: int | None = None
    active: bool | None = None
    priority_aging_seconds: int | None = None
    reply_accepts: bool | None = None
    max_per_agent: int | None = None
    slot_freed_on: SlotFreedOn | None = None
    claim: ClaimPolicy | None = None
    pickup: PickupPolicy | None = None
    service_level_seconds: int | None = None


def create_queue(ctx: Context, who: Principal, name: str, changes: QueueChanges,
                 preset: Preset | None = None) -> Queue:
    """A new mailbox with the given policy: the preset's, then the fields given (defaults for
    the rest)."""
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        if uow.queues.get(name) is not None:
            raise Conflict(f"a queue named {name!r} exists")
        queue = _changed(presets.apply(Queue(name), preset) if preset else Queue(name), changes)
        uow.queues.add(queue)
        record_queue(uow, ctx.clock.now(), who.actor, queue, None, action="created")
        record_queue_change(uow, queue, ctx.clock.now())
        uow.commit()
    return queue


def list_queues(ctx: Context, who: Principal) -> list[Queue]:
    who.require(Role.ADMIN)
    with ctx.uow(write=False) as uow:
        return uow.queues.all()


def _changed(queue: Queue, changes: QueueChanges) -> Queue:
    updates = {f.name: getattr(changes, f.name) for f in fields(changes)}
    return replace(queue, **{k: v for k, v in updates.items() if v is not None})


def workload(ctx: Context, who: Principal) -> Workload:
    """The floor now and its day so far, at a cost that does not grow with the day's history
    (see floor_day)."""
    who.require(Role.ADMIN)
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
        figures = [_figures(ctx, uow, q, agents, held, depths, flags, oldest[q.name],
                            levels[q.name]) for q in queues]
        per_agent = floor_day.agents_today(uow, agents, day, now)
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


def next_in_turn(ctx: Context, uow: UnitOfWork, queue: Queue,
                 members: list[Agent]) -> int | None:
    """A rotation: the member whose turn it is (the pointer). Otherwise who the strategy would
    pick now; when nobody can receive, who is first in turn once someone can. None for
    `random`, whose next pick is not decided yet."""
    if queue.strategy is StrategyName.RANDOM:
        return None
    if turns.rotates(queue):
        found = turns.next_member(uow, queue, [a for a in members if a.active])
        return found.id if found is not None else None
    ordering = ctx.strategy(queue.strategy).ordering
    first = uow.agents.eligible(queue, ordering, 1)
    if first:
        return first[0].id
    receiving = [a for a in members if a.active and a.online and a.auto_assign]
    picked = min(receiving, key=rotation_key, default=None)
    return picked.id if picked is not None else None


def get_queue(ctx: Context, who: Principal, name: str) -> Queue:
    who.require(Role.ADMIN)
    with ctx.uow(write=False) as uow:
        return queue_or_404(uow, name)


def update_queue(
    ctx: Context, who: Principal, name: str, changes: QueueChanges,
    next_agent_id: int | None = None, preset: Preset | None = None,
) -> Queue:
    """A `preset` first, then the fields given. `next_agent_id` makes that agent next in
    turn: in a rotation it is the pointer; otherwise the rest follow in `rotation_order` from
    there. Every change is in the audit log, the pointer as a change of its own."""
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        current = queue_or_404(uow, name)
        before = audit.queue_fields(current)
        queue = _changed(presets.apply(current, preset) if preset else current, changes)
        if queue.name == DEFAULT_QUEUE and not queue.active:
            raise DefaultQueueRequired(
                f"the {DEFAULT_QUEUE!r} queue cannot be deactivated: it takes the tickets that "
                "name no queue and the channel messages whose queue is off")
        now = ctx.clock.now()
        if next_agent_id is not None:
            _set_next(ctx, uow, queue, next_agent_id, who.actor)
        uow.queues.save(queue)
        record_queue(uow, now, who.actor, queue, before,
                     action=f"preset {preset.value}" if preset else "changed")
        record_queue_change(uow, queue, now)
        reach.after_switches(uow, queue, now)
        dispatch(ctx, uow)
        uow.commit()
    return queue


def _set_next(ctx: Context, uow: UnitOfWork, queue: Queue, agent_id: int, actor: str) -> None:
    members = [a for a in uow.agents.all() if a.active and queue.name in a.queues]
    was = next_in_turn(ctx, uow, queue, members)
    if turns.rotates(queue):
        target = agent_or_404(uow, agent_id)
        if not target.active or queue.name not in target.queues:
            raise NotAMember(f"agent {target.name} is not an active member of {queue.name!r}")
        queue.next_agent_id, queue.pointer_set_by_hand = target.id, True
    else:
        _make_next(uow, agent_id)
    entry = audit.change(at=ctx.clock.now(), actor=actor, kind=audit.AuditKind.QUEUE,
                         subject=queue.name, action="pointer", before={"next_agent_id": was},
                         after={"next_agent_id": agent_id})
    if entry is not None:
        uow.audit.append(entry)


def _make_next(uow: UnitOfWork, agent_id: int) -> None:
    """Round robin serves the smallest `last_assigned_seq` first, so giving the rotation, read
    from this agent on, the smallest numbers there are puts it in that order at the front."""
    target = agent_or_404(uow, agent_id)
    if not target.active:
        raise AgentInactive(f"agent {agent_id} is deactivated")
    everyone = uow.agents.all()  # in rotation order
    rotation = [a for a in everyone if a.active]
    start = rotation.index(next(a for a in rotation if a.id == target.id))
    lowest = min(a.last_assigned_seq for a in everyone)
    for offset, agent in enumerate(rotation[start:] + rotation[:start]):
        agent.last_assigned_seq = lowest - len(rotation) + offset
        uow.agents.save(agent)


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
