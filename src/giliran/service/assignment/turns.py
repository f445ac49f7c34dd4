"""Whose turn it is in a queue's strict rotation, and the pointer that remembers it.

The pointer is the member next in turn (an agent id on the queue; none: the first member). An
automatic assignment, or a pick-up checked for turn, to X moves it to X's successor among the
queue's members, read at that moment, so a reorder takes effect at the next assignment and
never changes who is next, only who follows.
"""

from __future__ import annotations

from collections.abc import Sequence

from giliran.domain.eligibility import free_to_claim
from giliran.domain.model import Agent, Queue, StrategyName, Ticket
from giliran.domain.strategies import in_turn, successor
from giliran.service.ports import UnitOfWork


def pointer_key(uow: UnitOfWork, queue: Queue) -> tuple[int, int] | None:
    """The place in the members' order where the turn stands (the pointer agent's key, read
    now, so a reordered pointer agent carries the turn with it)."""
    if queue.next_agent_id is None:
        return None
    agent = uow.agents.get(queue.next_agent_id)
    return agent.rotation_key if agent is not None else None


def advance(uow: UnitOfWork, queue: Queue, after: Agent, members: Sequence[Agent]) -> None:
    """`after` had its turn: the member following it is next."""
    following = successor(members, after)
    uow.queues.move_pointer(queue.name, following.id if following is not None else None)


def next_member(uow: UnitOfWork, queue: Queue, members: Sequence[Agent]) -> Agent | None:
    """Whose turn it is, whatever they can take right now: the first member at or after the
    pointer (what the workload's next_agent_id shows for a rotation)."""
    return next(iter(in_turn(members, pointer_key(uow, queue))), None)


def held_here(uow: UnitOfWork, agent: Agent, queue: Queue) -> int:
    """The agent's tickets of `queue` that take one of its slots there."""
    return sum(t.queue == queue.name and queue.counts(t) for t in uow.tickets.held_by(agent.id))


def whose_turn(uow: UnitOfWork, ticket: Ticket, queue: Queue,
               claimants: Sequence[Agent] | None = None) -> Agent | None:
    """Who may claim the waiting `ticket` when claims go by turn: the first member at or after
    the pointer who could take it now (online, with room overall and in the queue, not paused
    there, and not one who missed it), whether or not they take tickets automatically.
    `claimants` (from `in_line`) saves reading the members again for each ticket."""
    found = claimants if claimants is not None else in_line(uow, queue)
    return next((a for a in found if a.id not in ticket.missed_by), None)


def in_line(uow: UnitOfWork, queue: Queue) -> list[Agent]:
    """The members who could claim one of the queue's tickets now, in turn order from the
    pointer (before leaving out, per ticket, those who missed it)."""
    members = uow.agents.members(queue.name)
    return [a for a in in_turn(members, pointer_key(uow, queue))
            if free_to_claim(a, queue, held_here(uow, a, queue))]


def rotates(queue: Queue) -> bool:
    return queue.strategy is StrategyName.ROTATION
