"""The dispatch rule: hand queued tickets, head first, to eligible agents until one side runs out.

Called inside the unit of work of whatever changed the floor, so the change and its consequences
commit together.
"""

from __future__ import annotations

from dataclasses import dataclass

from giliran.domain import lifecycle
from giliran.domain.model import Queue, Reason, StrategyName, Ticket
from giliran.domain.strategies import SelectionStrategy
from giliran.service.context import SYSTEM_ACTOR, Context
from giliran.service.ports import UnitOfWork


@dataclass(frozen=True)
class Assignment:
    ticket_id: int
    agent_id: int
    reason: Reason


def dispatch(ctx: Context, uow: UnitOfWork, reason: Reason = Reason.AUTO) -> list[Assignment]:
    now = ctx.clock.now()
    strategies: dict[str, SelectionStrategy] = {}
    stuck: set[str] = set()  # queues whose head found no eligible agent
    done: list[Assignment] = []
    while (ticket := uow.tickets.next_queued(frozenset(stuck))) is not None:
        strategy = strategies.get(ticket.queue) or strategies.setdefault(
            ticket.queue, ctx.strategy(_queue(uow, ticket).strategy)
        )
        candidates = uow.agents.eligible(ticket.queue, strategy.ordering, strategy.candidate_limit)
        agent = strategy.select(ticket, candidates)
        if agent is None:
            stuck.add(ticket.queue)
            continue
        entry = lifecycle.assign(
            ticket, agent, seq=uow.next_seq(), now=now, reason=reason, actor=SYSTEM_ACTOR
        )
        uow.tickets.save(ticket)
        uow.agents.save(agent)
        uow.history.append(entry)
        done.append(Assignment(ticket.id, agent.id, reason))
    return done


def _queue(uow: UnitOfWork, ticket: Ticket) -> Queue:
    return uow.queues.get(ticket.queue) or Queue(ticket.queue, StrategyName.ROUND_ROBIN)
