"""Handing a ticket on: its holder (or a supervisor of its queue) gives it to a colleague,
sends it to another queue, or hands it back to its own, always saying why.

The moves are a supervisor's reassign and unassign (`manual`), under the same rules: the
colleague must serve the ticket's queue and have room, overall and within the queue's
per-agent limit. Unlike a reassign nothing may be forced, and the history says "transferred"
with the reason and who gave it, so the next holder and the audit both know why it came.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from giliran.domain import lifecycle
from giliran.domain.errors import (
    AgentFull,
    AgentInactive,
    CapacityExceeded,
    InvalidTransition,
    NotYourTicket,
    QueueInactive,
)
from giliran.domain.event_types import HistoryKind
from giliran.domain.explain import Why
from giliran.domain.model import Agent, Queue, Reason, Ticket
from giliran.domain.people import Can, Role
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context, Principal
from giliran.service.lookups import TicketCheck, agent_or_404, queue_or_404, ticket_or_404
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_move
from giliran.service.tickets.manual import hand_to, overrules

LONGEST_REASON = 500


@dataclass(frozen=True)
class Transfer:
    """To `agent_id`, or to `queue`, or (neither) back to the ticket's own queue."""

    reason: str
    agent_id: int | None = None
    queue: str | None = None


def transfer(ctx: Context, who: Principal, ticket_id: int, wanted: Transfer,
             check: TicketCheck | None = None) -> Ticket:
    """One transaction: the ticket leaves its holder (one "transferred" line in its history)
    and goes to the colleague (who must accept it, as after any assignment) or into the
    queue, keeping its priority; the freed slot and a queued ticket are dispatched at once,
    but never automatically back to the agent who handed it on."""
    who.require(Can.WORK, Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        _may_transfer(who, ticket)
        lifecycle.require_held(ticket, action="transfer")  # on hold too: its hold ends
        holder = agent_or_404(uow, ticket.agent_id)
        target = (_receiver(uow, ticket, holder, wanted.agent_id)
                  if wanted.agent_id is not None else None)
        destination = _destination(uow, ticket, wanted.queue)
        _leave(ctx, uow, who, ticket, holder, target, destination, wanted.reason)
        if target is not None:
            note = f"transferred by {who.by.name}: {wanted.reason}"
            hand_to(uow, ctx, ticket, target, reason=Reason.TRANSFERRED, actor=who.by,
                    why=Why(note, {"reason": wanted.reason}))
        else:
            ticket.missed_by = ticket.missed_by | {holder.id}
            uow.tickets.save(ticket)
        dispatch(ctx, uow)
        uow.commit()
    return ticket


@dataclass(frozen=True)
class Colleague:
    """Someone a ticket could go to, and why not now (None: they may take it)."""

    agent: Agent
    why_not: str | None


def colleagues(ctx: Context, who: Principal, ticket_id: int) -> list[Colleague]:
    """Whom the ticket may be handed to, for the transfer dialog: the other active agents who
    serve its queue, in turn order, each with the rule that stops them now (full, or at the
    queue's limit per agent), the same rules the transfer checks. Read by whoever may
    transfer it: its holder, or a supervisor of its queue."""
    who.require(Can.WORK, Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        _may_transfer(who, ticket)
        found = []
        for agent in uow.agents.members(ticket.queue):
            if agent.id == ticket.agent_id:
                continue
            refused = overrules(uow, ticket, agent)
            found.append(Colleague(agent, str(refused[0]) if refused else None))
        return found


def _may_transfer(who: Principal, ticket: Ticket) -> None:
    """Agents hand on only what they hold; supervisors anything of their queues."""
    if who.role is Role.AGENT and (ticket.agent_id is None or ticket.agent_id != who.agent_id):
        raise NotYourTicket(f"ticket {ticket.number} is not yours to hand on")


def _receiver(uow: UnitOfWork, ticket: Ticket, holder: Agent, agent_id: int) -> Agent:
    target = agent_or_404(uow, agent_id)
    if target.id == holder.id:
        raise InvalidTransition(f"ticket {ticket.number} is already {target.name}'s")
    if not target.active:
        raise AgentInactive(f"agent {target.name} is deactivated")
    refused = overrules(uow, ticket, target)
    if refused:
        first = refused[0]
        raise AgentFull(str(first)) if isinstance(first, CapacityExceeded) else first
    return target


def _destination(uow: UnitOfWork, ticket: Ticket, name: str | None) -> Queue:
    queue = queue_or_404(uow, name if name is not None else ticket.queue)
    if name is not None and name != ticket.queue and not queue.active:
        raise QueueInactive(f"queue {queue.name!r} is inactive: it takes no new tickets")
    return queue


def _leave(ctx: Context, uow: UnitOfWork, who: Principal, ticket: Ticket, holder: Agent,
           target: Agent | None, destination: Queue, reason: str) -> None:
    """The holder lets go: one history line that says to whom or where, and why."""
    entry = lifecycle.unassign(ticket, holder, now=ctx.clock.now(), reason=Reason.TRANSFERRED,
                               actor=who.by)
    detail: dict[str, object] = {"reason": reason, "queue": destination.name}
    if destination.name != ticket.queue:
        detail["from_queue"] = ticket.queue
    ticket.queue = destination.name
    where = target.name if target is not None else f"queue {destination.name!r}"
    record_move(uow, ticket, replace(
        entry, event=HistoryKind.TRANSFERRED,
        to_agent_id=target.id if target is not None else None,
        note=f"transferred to {where} by {who.by.name}: {reason}", detail=detail))
    uow.agents.save(holder)
    uow.tickets.save(ticket)
