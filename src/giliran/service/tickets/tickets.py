"""Ticket use cases: intake, accept, complete, cancel, and what admins and holders may read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from giliran.domain import lifecycle, rollout
from giliran.domain.errors import DuplicateExternalId, InvalidInput, NotYourTicket, QueueInactive
from giliran.domain.escalation import accept_deadline
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import (
    Agent,
    HistoryEntry,
    Priority,
    Queue,
    Reason,
    SlotFreedOn,
    Ticket,
    TicketStatus,
)
from giliran.domain.people import Actor, Can, Role
from giliran.service.assignment import opening, reach
from giliran.service.assignment.dispatch import dispatch, hand_over, pick
from giliran.service.context import Context, Principal
from giliran.service.lookups import TicketCheck, agent_or_404, schedule_of, ticket_or_404
from giliran.service.notices import notify
from giliran.service.ports import ListedTicket, TicketFilter, TicketListing, UnitOfWork
from giliran.service.recording import record_agent_change, record_move
from giliran.service.tickets import queue_places


@dataclass(frozen=True)
class NewTicket:
    title: str
    queue: str
    priority: Priority = Priority.NORMAL
    category: str | None = None
    description: str | None = None
    external_id: str | None = None
    contact: str | None = None  # e.g. "whatsapp:<wa_id>", for channels
    contact_shared: bool = False  # beside the contact's other open tickets (a mail thread)


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    queue_position: int | None = None
    created: bool = True
    accept_deadline: datetime | None = None  # taken back unless accepted by then


def create_ticket(ctx: Context, who: Principal, new: NewTicket) -> TicketView:
    """Idempotent on external_id: a repeat returns the ticket that exists (created=False)."""
    who.require(Can.INTAKE)
    try:
        return _create_ticket(ctx, who, new)
    except DuplicateExternalId:
        # Lost a race with a concurrent post of the same external_id, which has committed.
        with ctx.uow(write=False) as uow:
            existing = uow.tickets.by_external_id(new.external_id or "")
            if existing is None:
                raise
            return TicketView(existing, _position(uow, existing), created=False,
                              accept_deadline=_deadline(uow, existing))


def _create_ticket(ctx: Context, who: Principal, new: NewTicket) -> TicketView:
    with ctx.uow(write=True, defer_lock=True) as uow:
        if new.external_id is not None:
            existing = uow.tickets.by_external_id(new.external_id)
            if existing is not None:
                return TicketView(existing, _position(uow, existing), created=False,
                                  accept_deadline=_deadline(uow, existing))
        ticket = admit(ctx, uow, new, who.by)
        deadline = _deadline(uow, ticket)  # the queue row is already read
        uow.commit()
    if ticket.status is not TicketStatus.QUEUED:
        return TicketView(ticket, accept_deadline=deadline)
    # Counting the tickets ahead grows with the backlog, so it is read after the commit,
    # without holding up other writers.
    with ctx.uow(write=False) as uow:
        return TicketView(ticket, _position(uow, ticket))


def admit(ctx: Context, uow: UnitOfWork, new: NewTicket, actor: Actor) -> Ticket:
    """A new ticket inside the caller's unit of work: checked, written and dispatched (the
    caller commits). Shared by the API and the channels."""
    queue = open_queue(uow, new.queue)
    now = ctx.clock.now()
    ticket = arrival(new, now)
    created = HistoryEntry(0, now, HistoryKind.CREATED, Reason.CREATED, actor)
    if new.external_id is not None or queue.auto_assign_percent >= 100:
        _arrive(ctx, uow, ticket, queue, created)
    else:
        _arrive_by_id(ctx, uow, ticket, queue, created)
    return ticket


def open_queue(uow: UnitOfWork, name: str) -> Queue:
    """The queue a new ticket names, if it takes new tickets."""
    queue = uow.queues.get(name)
    if queue is None:
        raise InvalidInput("the ticket names a queue that does not exist")
    if not queue.active:
        raise QueueInactive(f"queue {name!r} is deactivated and takes no new tickets")
    return queue


def arrival(new: NewTicket, now: datetime) -> Ticket:
    """A new ticket as it enters the queue (not yet stored)."""
    return Ticket(
        id=0, title=new.title, created_at=now, queued_at=now, queue=new.queue,
        priority=new.priority, effective_priority=new.priority, priority_since=now,
        category=new.category,
        description=new.description, external_id=new.external_id, contact=new.contact,
        contact_shared=new.contact_shared,
    )


def _arrive(ctx: Context, uow: UnitOfWork, ticket: Ticket, queue: Queue,
            created: HistoryEntry) -> None:
    """The usual arrival. Every unit of work ends with dispatch done, so when a ticket arrives
    no waiting ticket can go to any eligible agent: the newcomer is the only possible
    assignment. It is written once, in its final state, instead of queued and then moved."""
    ticket.auto_dispatch = rollout.is_automatic(queue, ticket.external_id or "")
    uow.lock_floor()
    moves = [created]
    someone = False  # an eligible member exists: the queue has a way in
    if ticket.auto_dispatch and opening.is_open(uow, queue, created.at):
        picked = pick(ctx, uow, ticket)
        someone = picked.anyone
        if picked.agent is not None:
            moves.append(hand_over(uow, ticket, picked, now=created.at, reason=Reason.AUTO))
    uow.tickets.add(ticket)
    record_move(uow, ticket, arrived(ticket, created))
    for entry in moves[1:]:
        record_move(uow, ticket, replace(entry, ticket_id=ticket.id))
    if not someone:
        reach.on_arrival(uow, ticket, queue, created.at)


def _arrive_by_id(ctx: Context, uow: UnitOfWork, ticket: Ticket, queue: Queue,
                  created: HistoryEntry) -> None:
    """A partial rollout decides by the ticket's id when it has no external id, and the id is
    known only once the row exists. The floor is locked before the row is written: a queued
    ticket changes its queue's depth (a shared row, see SqlTicketRepository.queue_position),
    and a writer must never hold a shared row while it waits for the floor lock."""
    uow.lock_floor()
    uow.tickets.add(ticket)
    ticket.auto_dispatch = rollout.is_automatic(queue, str(ticket.id))
    uow.tickets.save(ticket)
    record_move(uow, ticket, arrived(ticket, created))
    dispatch(ctx, uow, Reason.AUTO)
    reach.on_arrival(uow, ticket, queue, created.at)


def arrived(ticket: Ticket, created: HistoryEntry) -> HistoryEntry:
    """The `created` entry of a stored ticket, saying which way the rollout sent it (the
    queue's rollout figures count automatic and manual arrivals from it)."""
    return replace(created, ticket_id=ticket.id, detail={"automatic": ticket.auto_dispatch})


def accept_ticket(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    """Only the holder may accept. An agent the ticket was taken back from gets a conflict that
    says so, and the ticket stays where it is now."""
    who.require(Can.WORK)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        agent = agent_or_404(uow, who.agent_id)
        missed = agent.state_in(ticket.queue).missed_in_row  # accepting forgets them
        with _revoked_if_held_before(uow, ticket, agent.id):
            entry = lifecycle.accept(ticket, agent, now=ctx.clock.now(), actor=who.by)
        record_move(uow, ticket, entry)
        if missed:
            record_agent_change(uow, agent, entry.at)
        uow.tickets.save(ticket)
        uow.agents.save(agent)
        refill_after_accept(ctx, uow, uow.queues.get(ticket.queue))
        uow.commit()
    return ticket


def refill_after_accept(ctx: Context, uow: UnitOfWork, queue: Queue | None) -> None:
    """With `slot_freed_on: accept`, responding to a ticket frees the agent's slot in its
    queue, so the next one may come at once (it still belongs to the agent)."""
    if queue is not None and queue.max_per_agent > 0 and queue.slot_freed_on is SlotFreedOn.ACCEPT:
        dispatch(ctx, uow, Reason.REFILL)


@contextmanager
def _revoked_if_held_before(uow: UnitOfWork, ticket: Ticket, agent_id: int) -> Iterator[None]:
    """An agent acting on a ticket that was taken back from it (escalated, or requeued when it
    went offline) is told so with a conflict, not a bare "not yours"."""
    try:
        yield
    except NotYourTicket:
        if any(e.to_agent_id == agent_id for e in uow.history.for_ticket(ticket.id)):
            raise lifecycle.revoked(ticket) from None
        raise


def complete_ticket(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        if who.agent_id is not None:
            with _revoked_if_held_before(uow, ticket, who.agent_id):
                check_holder(who, ticket)
        holder = _holder(uow, ticket, action="complete")
        entry = lifecycle.complete(ticket, holder, now=ctx.clock.now(), actor=who.by)
        _save_release(uow, ticket, holder, entry)
        notify.tell_customer_resolved(uow, entry.at, ticket, ctx.tells_resolved)
        dispatch(ctx, uow, Reason.REFILL)
        uow.commit()
    return ticket


def cancel_ticket(ctx: Context, who: Principal, ticket_id: int,
                  check: TicketCheck | None = None) -> Ticket:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        holder = uow.agents.get(ticket.agent_id) if ticket.agent_id is not None else None
        entry = lifecycle.cancel(ticket, holder, now=ctx.clock.now(), actor=who.by)
        _save_release(uow, ticket, holder, entry)
        if holder is not None:
            dispatch(ctx, uow, Reason.REFILL)
        uow.commit()
    return ticket


def get_ticket(ctx: Context, who: Principal, ticket_id: int) -> TicketView:
    """Admins read any ticket; an agent reads what it holds and what it could pick up."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        if not _open_to_pickup_by(uow, who, ticket):
            check_holder(who, ticket)
        return TicketView(ticket, _position(uow, ticket), accept_deadline=_deadline(uow, ticket))


def _open_to_pickup_by(uow: UnitOfWork, who: Principal, ticket: Ticket) -> bool:
    if who.role is not Role.AGENT or ticket.status is not TicketStatus.QUEUED:
        return False
    agent = uow.agents.get(who.agent_id or 0)
    return agent is not None and ticket.queue in agent.queues


def list_tickets(ctx: Context, who: Principal, query: TicketFilter,
                 waiting_longer_than: int | None = None) -> TicketListing:
    """The supervisor's list: one page, the names it shows and the total, in one read, and
    each queued ticket's place in its queue.
    `waiting_longer_than` (seconds): only queued tickets waiting that long by the clock."""
    query = narrowed(ctx, who, query, waiting_longer_than)
    with ctx.uow(write=False) as uow:
        found = uow.tickets.listing(query)
        rows = _business_deadlines(uow, queue_places.placed(uow, found.rows, query))
        return replace(found, rows=rows)


def _business_deadlines(uow: UnitOfWork, rows: list[ListedTicket]) -> list[ListedTicket]:
    """The listing counts accept deadlines by the calendar (it reads no schedule); a queue
    that keeps hours counts them in business time, as its timer does."""
    scheduled = {t.queue for r in rows if r.accept_deadline is not None
                 and (t := r.ticket).status is TicketStatus.ASSIGNED}
    if not scheduled:
        return rows
    queues = {n: q for n in scheduled if (q := uow.queues.get(n)) is not None and q.schedule}
    return [replace(r, accept_deadline=accept_deadline(r.ticket, queues[r.ticket.queue],
                                                       schedule_of(uow, queues[r.ticket.queue])))
            if r.accept_deadline is not None and r.ticket.queue in queues else r for r in rows]


def narrowed(ctx: Context, who: Principal, query: TicketFilter,
             waiting_longer_than: int | None) -> TicketFilter:
    """The list's filter as this supervisor may read it (only their queues), with the wait
    as a time by the clock; a bulk action reads the same."""
    who.require(Can.SUPERVISE)
    if query.queue is not None:
        who.require_queue(query.queue)
    elif who.queues:
        query = replace(query, queues=who.queues)
    if waiting_longer_than is not None:
        cutoff = ctx.clock.now() - timedelta(seconds=waiting_longer_than)
        query = replace(query, waiting_before=cutoff)
    return query


def ticket_history(ctx: Context, who: Principal,
                   ticket_id: int) -> tuple[str, list[HistoryEntry]]:
    """The ticket's number (its entries name it) and its history, oldest first."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return ticket_or_404(uow, ticket_id, who).number, uow.history.for_ticket(ticket_id)


def _save_release(
    uow: UnitOfWork, ticket: Ticket, holder: Agent | None, entry: HistoryEntry
) -> None:
    uow.tickets.save(ticket)
    if holder is not None:
        uow.agents.save(holder)
    record_move(uow, ticket, entry)


def _position(uow: UnitOfWork, ticket: Ticket) -> int | None:
    return uow.tickets.queue_position(ticket) if ticket.status is TicketStatus.QUEUED else None


def _deadline(uow: UnitOfWork, ticket: Ticket) -> datetime | None:
    if ticket.status is not TicketStatus.ASSIGNED:
        return None
    queue = uow.queues.get(ticket.queue)
    return accept_deadline(ticket, queue, schedule_of(uow, queue)) if queue is not None \
        else None


def deadlines(ctx: Context, found: Sequence[Ticket]) -> dict[int, datetime | None]:
    """When each assigned ticket is taken back unless accepted (its queue's timer from its
    assignment); one read, and none when no ticket is waiting for an accept."""
    if not any(t.status is TicketStatus.ASSIGNED for t in found):
        return {}
    with ctx.uow(write=False) as uow:
        return {t.id: _deadline(uow, t) for t in found}


def check_holder(who: Principal, ticket: Ticket) -> None:
    """An agent acts on what it holds; a supervisor of some queues on those queues' tickets."""
    if who.role is Role.AGENT and ticket.agent_id != who.agent_id:
        raise NotYourTicket(f"ticket {ticket.number} is not in your queue")
    who.require_queue(ticket.queue)




def _holder(uow: UnitOfWork, ticket: Ticket, *, action: str) -> Agent:
    if ticket.agent_id is None:
        # Let the lifecycle explain why a ticket nobody holds cannot make this move.
        lifecycle.require_active(ticket, action=action)
    return agent_or_404(uow, ticket.agent_id)
