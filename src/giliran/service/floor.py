"""The supervisor's view of the floor and the per-queue policy."""

from __future__ import annotations

from dataclasses import dataclass

from giliran.domain.errors import NotFound
from giliran.domain.model import Agent, Queue, StrategyName, TicketStatus
from giliran.service.context import Context, Principal, Role
from giliran.service.ports import TicketFilter


@dataclass(frozen=True)
class Workload:
    agents: list[Agent]
    pending: int
    online_agents: int
    total_agents: int
    free_slots: int


def workload(ctx: Context, who: Principal) -> Workload:
    who.require(Role.ADMIN)
    with ctx.uow(write=False) as uow:
        agents = [a for a in uow.agents.all() if a.active]
        pending = uow.tickets.count(TicketFilter(status=TicketStatus.QUEUED))
    receiving = [a for a in agents if a.online and a.auto_assign]
    return Workload(
        agents=agents,
        pending=pending,
        online_agents=sum(a.online for a in agents),
        total_agents=len(agents),
        free_slots=sum(a.free_slots for a in receiving),
    )


def get_queue(ctx: Context, who: Principal, name: str) -> Queue:
    who.require(Role.ADMIN)
    with ctx.uow(write=False) as uow:
        queue = uow.queues.get(name)
    if queue is None:
        raise NotFound(f"no queue named {name!r}")
    return queue


def update_queue(ctx: Context, who: Principal, name: str, strategy: StrategyName | None) -> Queue:
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        queue = uow.queues.get(name)
        if queue is None:
            raise NotFound(f"no queue named {name!r}")
        if strategy is not None:
            queue.strategy = strategy
        uow.queues.save(queue)
        uow.commit()
    return queue
