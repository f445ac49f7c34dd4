"""The dispatch rule: hand queued tickets, head first, to eligible agents until one side runs out.

Called inside the unit of work of whatever changed the floor, so the change and its consequences
commit together.
"""

from __future__ import annotations

from giliran.domain import lifecycle
from giliran.domain.model import Agent, Queue, Reason, StrategyName, Ticket
from giliran.service.context import SYSTEM_ACTOR, Context
from giliran.service.ports import UnitOfWork

# Queued tickets are read in pages; a short page means the queue is exhausted, which saves the
# query that would otherwise confirm it. The first page is small because intake usually finds a
# one-ticket queue, or a backlog that nobody has room for; later pages serve a burst of refills.
FIRST_PAGE = 2
PAGE = 32


def dispatch(ctx: Context, uow: UnitOfWork, reason: Reason = Reason.AUTO) -> None:
    """Every assignment it makes is written to the history (the record of what moved)."""
    now = ctx.clock.now()
    size = FIRST_PAGE
    passed_over = 0  # tickets left queued because every eligible agent already missed them
    while True:
        page = uow.tickets.queued_head(size, offset=passed_over)
        for ticket in page:
            anyone, agent = _pick(ctx, uow, ticket)
            if not anyone:
                # Nobody is eligible at all. Eligibility does not depend on the ticket yet
                # (every agent serves every queue), so nobody behind it will find anyone either.
                return
            if agent is None:
                passed_over += 1
                continue
            entry = lifecycle.assign(
                ticket, agent, seq=uow.next_seq(), now=now, reason=reason, actor=SYSTEM_ACTOR
            )
            uow.tickets.save(ticket)
            uow.agents.save(agent)
            uow.history.append(entry)
        if len(page) < size:
            return
        size = PAGE


def _pick(ctx: Context, uow: UnitOfWork, ticket: Ticket) -> tuple[bool, Agent | None]:
    """(is anyone eligible at all, whom the strategy picks among those who never missed it)"""
    strategy = ctx.strategy(_queue(uow, ticket).strategy)  # queue rows are cached
    limit = strategy.candidate_limit
    if limit is not None:
        limit += len(ticket.missed_by)  # enough that some remain after leaving those out
    candidates = uow.agents.eligible(ticket.queue, strategy.ordering, limit)
    if not candidates:
        return False, None
    fresh = [a for a in candidates if a.id not in ticket.missed_by]
    return True, strategy.select(ticket, fresh)


def _queue(uow: UnitOfWork, ticket: Ticket) -> Queue:
    return uow.queues.get(ticket.queue) or Queue(ticket.queue, StrategyName.ROUND_ROBIN)
