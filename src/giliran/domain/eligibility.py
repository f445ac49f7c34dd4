"""Who may receive a ticket automatically: small filters, each testable alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from giliran.domain.model import Agent, Queue, Ticket

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
    # A plain loop, not all(...): asked for every agent at every dispatch, and cheaper.
    for rule in ELIGIBILITY_FILTERS:  # noqa: SIM110
        if not rule(agent):
            return False
    return True


def eligible(agents: Iterable[Agent]) -> Iterator[Agent]:
    return (agent for agent in agents if is_eligible(agent))


def serves(queue: str, agent: Agent) -> bool:
    return queue in agent.queues


def open_to(queue: str, agent: Agent) -> bool:
    """A member who is not paused there (after too many misses in that queue)."""
    return serves(queue, agent) and not agent.paused_in(queue)


def has_room_in(queue: Queue, held_here: int) -> bool:
    """Within the queue's per-agent limit, given the agent's tickets there that still count."""
    return queue.has_room_for(held_here)


def may_receive(ticket: Ticket, agent: Agent, queue: Queue, held_here: int = 0) -> bool:
    """Eligible, an unpaused member of the ticket's queue with room there, and not one of the
    agents who already let this ticket time out."""
    return (is_eligible(agent) and open_to(ticket.queue, agent)
            and has_room_in(queue, held_here) and agent.id not in ticket.missed_by)


def free_to_claim(agent: Agent, queue: Queue, held_here: int) -> bool:
    """Could take one of the queue's tickets now, whoever missed which: active, online, with
    room overall and in the queue, not paused there. People who take tickets only by hand
    (auto-assign off) take their turns too."""
    return (agent.active and agent.online and has_room(agent) and open_to(queue.name, agent)
            and has_room_in(queue, held_here))


def could_take_now(ticket: Ticket, agent: Agent, queue: Queue, held_here: int) -> bool:
    """Whose turn a pick-up of `ticket` can be: free to claim, and not one who missed it."""
    return free_to_claim(agent, queue, held_here) and agent.id not in ticket.missed_by
