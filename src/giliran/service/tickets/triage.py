"""A supervisor's triage of one ticket, as the bulk actions need it: take a flag off, send a
ticket back to its queue's automatic dispatch, move it to another queue.

Where a single-ticket move already exists (unassign, transfer) these are that move, so its
rules, history and events stay one; the rest is written here, one transaction each.
"""

from __future__ import annotations

from giliran.domain import lifecycle, rollout, triage
from giliran.domain.errors import InvalidTransition, QueueInactive
from giliran.domain.model import Reason, Ticket, TicketFlag, TicketStatus
from giliran.domain.people import Can
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context, Principal
from giliran.service.lookups import TicketCheck, queue_or_404, ticket_or_404
from giliran.service.recording import record_move
from giliran.service.tickets import manual, transfer
from giliran.service.tickets.manual import rollout_key


def clear_flag(ctx: Context, who: Principal, ticket_id: int,
               check: TicketCheck | None = None) -> Ticket:
    """The flag goes; the ticket stays where it is (409 `not_flagged` without one)."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        record_move(uow, ticket, triage.clear_flag(ticket, now=ctx.clock.now(), actor=who.by))
        uow.tickets.save(ticket)
        uow.commit()
    return ticket


def requeue(ctx: Context, who: Principal, ticket_id: int,
            check: TicketCheck | None = None) -> Ticket:
    """Back to its queue's automatic dispatch: a held ticket is unassigned (as by hand); a
    queued flagged one loses its flag and is dispatched again, an exhausted one afresh (to
    everyone, automatic as its queue's rollout says). A queued ticket without a flag is
    already waiting for dispatch (409 `invalid_transition`)."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        held = ticket_or_404(uow, ticket_id, who).status is not TicketStatus.QUEUED
    if held:
        return manual.unassign(ctx, who, ticket_id, check)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        lifecycle.require_queued(ticket, action="requeue")  # it may have moved since
        if ticket.flag is None:
            raise InvalidTransition(f"ticket {ticket.number} is already waiting in queue "
                                    f"{ticket.queue!r}")
        exhausted = ticket.flag is TicketFlag.EXHAUSTED
        record_move(uow, ticket, triage.clear_flag(ticket, now=ctx.clock.now(), actor=who.by))
        if exhausted:
            queue = uow.queues.get(ticket.queue)
            ticket.auto_dispatch = queue is None or rollout.is_automatic(queue,
                                                                         rollout_key(ticket))
            ticket.missed_by = frozenset()
        uow.tickets.save(ticket)
        dispatch(ctx, uow, Reason.AUTO)
        uow.commit()
    return ticket


def move(ctx: Context, who: Principal, ticket_id: int, queue: str,
         check: TicketCheck | None = None) -> Ticket:
    """To another queue: a queued ticket keeps its priority and its wait; a held one is
    transferred there ("moved by <name>"), as its holder's transfer would."""
    who.require(Can.SUPERVISE)
    who.require_queue(queue)
    with ctx.uow(write=False) as uow:
        found = ticket_or_404(uow, ticket_id, who)
    held = found.status is not TicketStatus.QUEUED
    if held and found.queue == queue:
        raise InvalidTransition(f"ticket {found.number} is already in queue {queue!r}")
    if held:
        return transfer.transfer(ctx, who, ticket_id, transfer.Transfer(
            reason=f"moved by {who.by.name}", queue=queue), check)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        destination = queue_or_404(uow, queue)
        if not destination.active:
            raise QueueInactive(f"queue {queue!r} is inactive: it takes no new tickets")
        record_move(uow, ticket, triage.move_queued(ticket, queue, now=ctx.clock.now(),
                                                    actor=who.by))
        uow.tickets.save(ticket)
        dispatch(ctx, uow, Reason.AUTO)
        uow.commit()
    return ticket
