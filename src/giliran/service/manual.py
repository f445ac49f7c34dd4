"""Work moved by hand: agents pick up queued tickets, admins reassign and unassign.

This is the migration path from a manual desk: pick-up stays available next to automatic
dispatch, and a supervisor can always overrule the rotation.
"""

from __future__ import annotations

from collections.abc import Sequence

from giliran.domain import lifecycle, rollout
from giliran.domain.errors import AgentInactive, CapacityExceeded, NotAMember, NotYourQueue
from giliran.domain.model import Agent, Priority, Reason, Ticket, TicketFlag, TicketStatus
from giliran.service.context import Context, Principal, Role
from giliran.service.dispatch import dispatch
from giliran.service.lookups import acting_agent, agent_or_404, ticket_or_404
from giliran.service.ports import TicketFilter, UnitOfWork


def pickup(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    """An agent takes a queued ticket of one of its queues, within its capacity."""
    who.require(Role.AGENT)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        agent = acting_agent(uow, who.agent_id)
        if ticket.queue not in agent.queues:
            raise NotYourQueue(f"you do not serve queue {ticket.queue!r}")
        lifecycle.require_queued(ticket, action="pick up")
        _hand_to(uow, ctx, ticket, agent, reason=Reason.PICKUP, actor=who.actor)
        uow.commit()
    return ticket


def reassign(
    ctx: Context, who: Principal, ticket_id: int, agent_id: int, *, force: bool = False
) -> Ticket:
    """Move a queued or active ticket to a named agent. Without `force` the agent must serve
    the ticket's queue and have room (409 with the reason otherwise); with it, both may be
    overruled, and the history says so (reason `forced`). The agent must accept it anew."""
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        target = agent_or_404(uow, agent_id)
        if not target.active:
            raise AgentInactive(f"agent {target.name} is deactivated")
        if ticket.status.is_final:
            lifecycle.require_active(ticket, action="reassign")
        if ticket.agent_id == target.id:
            return ticket  # already there: nothing moves
        overrules = _overrules(ticket, target)
        if overrules and not force:
            raise overrules[0]
        if ticket.status.is_active:
            holder = agent_or_404(uow, ticket.agent_id)
            _take_back(uow, ctx, ticket, holder, reason=Reason.REASSIGNED, actor=who.actor)
        reason = Reason.FORCED if overrules else Reason.REASSIGNED
        _hand_to(uow, ctx, ticket, target, reason=reason, actor=who.actor, force=force)
        dispatch(ctx, uow)  # the previous holder's slot
        uow.commit()
    return ticket


def unassign(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    """Send an active ticket back to the queue, at its original place. It is dispatched again
    at once, but never automatically back to the agent it was taken from."""
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        lifecycle.require_active(ticket, action="unassign")
        holder = agent_or_404(uow, ticket.agent_id)
        _take_back(uow, ctx, ticket, holder, reason=Reason.UNASSIGNED, actor=who.actor)
        ticket.missed_by = ticket.missed_by | {holder.id}
        uow.tickets.save(ticket)
        dispatch(ctx, uow)
        uow.commit()
    return ticket


def set_priority(ctx: Context, who: Principal, ticket_id: int, priority: Priority) -> Ticket:
    """For a queued ticket this moves its place in line; nobody loses a ticket over it."""
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        uow.history.append(lifecycle.reprioritize(
            ticket, priority, now=ctx.clock.now(), reason=Reason.PRIORITY, actor=who.actor))
        uow.tickets.save(ticket)
        dispatch(ctx, uow)
        uow.commit()
    return ticket


def move_to_front(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    """First in line (urgent, ahead of every other queued ticket); it still waits for an
    eligible agent, and takes no ticket away from anyone."""
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        uow.history.append(lifecycle.move_to_front(
            ticket, order=uow.tickets.front_order(), now=ctx.clock.now(), actor=who.actor))
        uow.tickets.save(ticket)
        dispatch(ctx, uow)
        uow.commit()
    return ticket


def available(
    ctx: Context, who: Principal, limit: int, offset: int
) -> tuple[Sequence[Ticket], int]:
    """Queued tickets an agent may pick up: those of its queues, in queue order; and how many
    there are in all."""
    who.require(Role.AGENT)
    found: list[Ticket] = []
    total = 0
    with ctx.uow(write=False) as uow:
        agent = agent_or_404(uow, who.agent_id)
        for queue in sorted(agent.queues):
            query = TicketFilter(status=TicketStatus.QUEUED, queue=queue, limit=offset + limit)
            found += uow.tickets.search(query)
            total += uow.tickets.count(query)
    found.sort(key=lambda t: t.queue_key)
    return found[offset:offset + limit], total


def _overrules(ticket: Ticket, target: Agent) -> list[Exception]:
    found: list[Exception] = []
    if ticket.queue not in target.queues:
        found.append(NotAMember(f"agent {target.name} does not serve queue {ticket.queue!r}"))
    if target.active_tickets >= target.max_tickets:
        found.append(CapacityExceeded(
            f"agent {target.name} is full ({target.active_tickets}/{target.max_tickets})"))
    return found


def _take_back(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, holder: Agent, *, reason: Reason, actor: str
) -> None:
    entry = lifecycle.unassign(ticket, holder, now=ctx.clock.now(), reason=reason, actor=actor)
    uow.history.append(entry)
    uow.agents.save(holder)


def _hand_to(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, agent: Agent, *, reason: Reason, actor: str,
    force: bool = False,
) -> None:
    """A person chose this agent: it may have missed the ticket before, and an exhausted
    ticket starts over (automatic again if its queue's rollout says so)."""
    if ticket.flag is TicketFlag.EXHAUSTED:
        queue = uow.queues.get(ticket.queue)
        ticket.auto_dispatch = queue is None or rollout.is_automatic(queue, rollout_key(ticket))
    ticket.missed_by = ticket.missed_by - {agent.id}
    entry = lifecycle.assign(ticket, agent, seq=uow.next_seq(), now=ctx.clock.now(),
                             reason=reason, actor=actor, force=force)
    uow.history.append(entry)
    uow.tickets.save(ticket)
    uow.agents.save(agent)


def rollout_key(ticket: Ticket) -> str:
    return ticket.external_id if ticket.external_id is not None else str(ticket.id)
