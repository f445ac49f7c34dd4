"""Where a use case says what it did: a ticket's move is one history line and one event,
written together at the point of the change (so the event shows the ticket as that move left
it, and reading the use case tells what it emits)."""

from __future__ import annotations

from datetime import datetime

from giliran.domain.events import agent_event, queue_event, ticket_event, user_event
from giliran.domain.model import Agent, HistoryEntry, Queue, Ticket
from giliran.domain.people import Actor, User
from giliran.service.ports import UnitOfWork
from giliran.service.sla import clocks as sla_clocks


def record_move(uow: UnitOfWork, ticket: Ticket, entry: HistoryEntry) -> None:
    """The SLA clocks follow the move first, so its event shows them as the move left them."""
    uow.history.append(entry)
    sla_clocks.moved(uow, ticket, entry)
    uow.record(ticket_event(entry, ticket))


def record_agent_change(uow: UnitOfWork, agent: Agent, at: datetime,
                        by: Actor | None = None) -> None:
    """Something the floor sees of the agent changed (its settings, its misses or pauses);
    `by` whom, when a person did it."""
    uow.record(agent_event(agent, at, by))


def record_queue_change(uow: UnitOfWork, queue: Queue, at: datetime,
                        by: Actor | None = None) -> None:
    uow.record(queue_event(queue, at, by))


def record_user_change(uow: UnitOfWork, user: User, action: str, at: datetime,
                       by: Actor | None = None) -> None:
    """A person's account or access changed: their open sockets are checked again."""
    uow.record(user_event(user, action, at, by))
