"""Who may receive a ticket automatically: small filters, each testable alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from giliran.domain.model import Agent, Ticket

AgentFilter = Callable[[Agent], bool]


def is_online(agent: Agent) -> bool:
    return agent.online


def opted_in(agent: Agent) -> bool:
    return agent.auto_assign


def is_active(agent: Agent) -> bool:
    return agent.active


def has_room(agent: Agent) -> bool:
    return agent.active_tickets < agent.max_tickets


ELIGIBILITY_FILTERS: tuple[AgentFilter, ...] = (is_active, is_online, opted_in, has_room)


def is_eligible(agent: Agent) -> bool:
    return all(rule(agent) for rule in ELIGIBILITY_FILTERS)


def eligible(agents: Iterable[Agent]) -> Iterator[Agent]:
    return (agent for agent in agents if is_eligible(agent))


def serves(queue: str, agent: Agent) -> bool:
    return queue in agent.queues


def may_receive(ticket: Ticket, agent: Agent) -> bool:
    """Eligible, a member of the ticket's queue, and not one of the agents who already let
    this ticket time out."""
    return is_eligible(agent) and serves(ticket.queue, agent) and agent.id not in ticket.missed_by
