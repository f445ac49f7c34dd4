"""Hold and take off hold: the holder (or a supervisor of the queue) parks a ticket while it
waits for the customer, and takes it up again. Holds that end by themselves (the customer
wrote, the limit) are service/assignment/holds.py's."""

from __future__ import annotations

from giliran.domain import hold, lifecycle
from giliran.domain.model import Agent, Reason, Ticket
from giliran.domain.people import Can
from giliran.service.assignment import turns
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context, Principal
from giliran.service.lookups import agent_or_404, queue_or_404, ticket_or_404
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_agent_change, record_move
from giliran.service.tickets.tickets import check_holder


def hold_ticket(ctx: Context, who: Principal, ticket_id: int, *, minutes: int | None = None,
                why: str | None = None) -> Ticket:
    """On hold for `minutes` (the queue's hold_minutes when not given, at most those). A hold
    that frees the slot lets the next ticket come at once, in the same transaction."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=True) as uow:
        ticket, holder = _held(uow, who, ticket_id, "put on hold")
        queue = queue_or_404(uow, ticket.queue)
        missed = holder.state_in(ticket.queue).missed_in_row  # an accept forgets them
        entries = hold.hold(ticket, holder, queue, minutes=hold.hold_minutes(queue, minutes),
                            now=ctx.clock.now(), actor=who.by, why=why)
        uow.tickets.save(ticket)
        uow.agents.save(holder)
        for entry in entries:
            record_move(uow, ticket, entry)
        if missed and len(entries) > 1:
            record_agent_change(uow, holder, entries[0].at)
        dispatch(ctx, uow, Reason.REFILL)  # the slot it freed, or its queue's (slot_freed_on)
        uow.commit()
    return ticket


def unhold_ticket(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    """Back in progress with its holder; 409 agent_full when the hold freed the slot and the
    holder has none now."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=True) as uow:
        ticket, holder = _held(uow, who, ticket_id, "take off hold")
        queue = queue_or_404(uow, ticket.queue)
        entry = hold.resume(ticket, holder, queue, held_here=turns.held_here(uow, holder, queue),
                            now=ctx.clock.now(), actor=who.by)
        uow.tickets.save(ticket)
        uow.agents.save(holder)
        record_move(uow, ticket, entry)
        uow.commit()
    return ticket


def _held(uow: UnitOfWork, who: Principal, ticket_id: int,
          action: str) -> tuple[Ticket, Agent]:
    """The ticket and its holder: an agent acts on its own only (403 not_your_ticket), a
    supervisor on its queues' (403 for the others)."""
    ticket = ticket_or_404(uow, ticket_id, who)
    check_holder(who, ticket)
    if ticket.agent_id is None:  # say why a ticket nobody holds cannot make this move
        lifecycle.require_held(ticket, action=action)
    return ticket, agent_or_404(uow, ticket.agent_id)
