"""Holds that end by themselves: the customer wrote, or the hold reached its limit.

Either way the ticket goes back to its holder when the holder is there to answer and has room
(domain/hold.py `returns_to_holder`), else to the queue at its place, where the dispatch that
follows in the same unit of work offers it by the queue's rules. A limit in a queue whose
`hold_expiry` is `close` completes the ticket instead. Here, below the ticket use cases, since
the timer pass (timers.py) ends holds too.
"""

from __future__ import annotations

from datetime import datetime

from giliran.domain import hold, lifecycle
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import Agent, HistoryEntry, HoldExpiry, Queue, Reason, Ticket
from giliran.domain.people import SYSTEM, Actor
from giliran.service.assignment import turns
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_move


def customer_wrote(ctx: Context, uow: UnitOfWork, ticket: Ticket, *, now: datetime,
                   actor: Actor) -> HistoryEntry:
    """A customer's message on a ticket on hold brings it back (the caller commits)."""
    return _end(ctx, uow, ticket, now=now, actor=actor, kind=HistoryKind.HOLD_RETURNED,
                reason=Reason.CUSTOMER_WROTE)


def expire(ctx: Context, uow: UnitOfWork, ticket: Ticket, queue: Queue, *,
           now: datetime) -> HistoryEntry:
    """The hold reached its limit: back (as a customer message would bring it), or completed
    when the queue closes such tickets."""
    if queue.hold_expiry is HoldExpiry.CLOSE and ticket.agent_id is not None:
        holder = uow.agents.get(ticket.agent_id)
        if holder is not None:
            entry = hold.close(ticket, holder, now=now)
            _save(uow, ticket, entry, holder)
            dispatch(ctx, uow, Reason.REFILL)
            return entry
    return _end(ctx, uow, ticket, now=now, actor=SYSTEM, kind=HistoryKind.HOLD_EXPIRED,
                reason=Reason.HOLD_EXPIRED)


def _end(ctx: Context, uow: UnitOfWork, ticket: Ticket, *, now: datetime, actor: Actor,
         kind: HistoryKind, reason: Reason) -> HistoryEntry:
    holder = uow.agents.get(ticket.agent_id) if ticket.agent_id is not None else None
    queue = uow.queues.get(ticket.queue) or Queue(ticket.queue)
    held_here = turns.held_here(uow, holder, queue) if holder is not None else 0
    if hold.returns_to_holder(ticket, holder, queue, held_here):
        assert holder is not None
        entry = hold.resume(ticket, holder, queue, held_here=held_here, now=now, actor=actor,
                            kind=kind, reason=reason)
        _save(uow, ticket, entry, holder)
        return entry
    if holder is None:  # held by nobody known: the orphan rescue's move
        entry = lifecycle.rescue(ticket, None, now=now)
    else:
        entry = hold.to_queue(ticket, holder, now=now, reason=reason, actor=actor)
    _save(uow, ticket, entry, holder)
    dispatch(ctx, uow, Reason.AUTO)
    return entry


def _save(uow: UnitOfWork, ticket: Ticket, entry: HistoryEntry, holder: Agent | None) -> None:
    uow.tickets.save(ticket)
    if holder is not None:
        uow.agents.save(holder)
    record_move(uow, ticket, entry)
