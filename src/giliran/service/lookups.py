"""Loading what a use case names, or saying clearly that it does not exist."""

from __future__ import annotations

from giliran.domain.errors import NotFound, Unauthorized
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


def acting_agent(uow: UnitOfWork, agent_id: int | None) -> Agent:
    """The agent behind a request; a deactivated one acts no more (its token is revoked)."""
    agent = agent_or_404(uow, agent_id)
    if not agent.active:
        raise Unauthorized("invalid or revoked token")
    return agent
