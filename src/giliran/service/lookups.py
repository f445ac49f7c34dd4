"""Loading what a use case names, or saying clearly that it does not exist."""

from __future__ import annotations

from giliran.domain.errors import NotFound
from giliran.domain.model import Agent, Ticket
from giliran.service.ports import UnitOfWork


def agent_or_404(uow: UnitOfWork, agent_id: int | None) -> Agent:
    agent = uow.agents.get(agent_id) if agent_id is not None else None
    if agent is None:
        raise NotFound(f"no agent with id {agent_id}")
    return agent


def ticket_or_404(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket with id {ticket_id}")
    return ticket
