"""The rotation pointer: who is next in turn in a queue, as the supervisor sees it, and an
admin's "this agent is next" (the pointer of a strict rotation; otherwise the agents' places in
round robin's order)."""

from __future__ import annotations

from giliran.domain import audit
from giliran.domain.errors import AgentInactive, NotAMember
from giliran.domain.model import Agent, Queue, StrategyName
from giliran.domain.people import Actor
from giliran.domain.strategies import rotation_key
from giliran.service.assignment import turns
from giliran.service.context import Context
from giliran.service.lookups import agent_or_404
from giliran.service.ports import UnitOfWork


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


def set_next(ctx: Context, uow: UnitOfWork, queue: Queue, agent_id: int, actor: Actor) -> None:
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
