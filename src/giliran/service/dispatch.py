"""The dispatch rule: hand queued tickets, head first, to eligible agents until one side runs out.

Called inside the unit of work of whatever changed the floor, so the change and its consequences
commit together.
"""

from __future__ import annotations

from giliran.domain import lifecycle
from giliran.domain.model import Queue, Reason, StrategyName, Ticket
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
    while True:
        page = uow.tickets.queued_head(size)
        for ticket in page:
            strategy = ctx.strategy(_queue(uow, ticket).strategy)  # queue rows are cached
            candidates = uow.agents.eligible(
                ticket.queue, strategy.ordering, strategy.candidate_limit
            )
            agent = strategy.select(ticket, candidates)
            if agent is None:
                # Eligibility does not depend on the ticket yet (every agent serves every
                # queue), so when the head finds nobody, nobody behind it will either.
                return
            entry = lifecycle.assign(
                ticket, agent, seq=uow.next_seq(), now=now, reason=reason, actor=SYSTEM_ACTOR
            )
            uow.tickets.save(ticket)
            uow.agents.save(agent)
            uow.history.append(entry)
        if len(page) < size:
            return
        size = PAGE


def _queue(uow: UnitOfWork, ticket: Ticket) -> Queue:
    return uow.queues.get(ticket.queue) or Queue(ticket.queue, StrategyName.ROUND_ROBIN)
