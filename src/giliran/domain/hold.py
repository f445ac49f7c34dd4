"""Holds: a ticket its holder waits on the customer for (status `on_hold`).

A hold keeps the ticket with its holder; whether it keeps the holder's slot too is the queue's
`hold_frees_slot` at the moment it is put on hold, written on the ticket (`hold_keeps_slot`),
so a later change of the setting never makes an agent's count disagree with its tickets. A hold
ends by a person (`unhold`), by the customer writing, or by its limit (`hold_until`): back in
progress with the holder when the holder can take it (`resume`), else back to the queue
(`to_queue`), or completed when the queue says so (`close`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from giliran.domain.actor import SYSTEM, Actor
from giliran.domain.eligibility import serves
from giliran.domain.errors import AgentFull, InvalidInput, InvalidTransition, NotYourTicket
from giliran.domain.event_types import HistoryKind
from giliran.domain.lifecycle import accept, free_slot, unassign
from giliran.domain.model import (
    MAX_HOLD_MINUTES,
    Agent,
    HistoryEntry,
    Queue,
    Reason,
    SlotFreedOn,
    Ticket,
    TicketStatus,
)
from giliran.domain.words import noun

MAX_REASON = 500


def hold_minutes(queue: Queue, asked: int | None) -> int:
    """How long a hold lasts: as asked, at most the queue's limit (its default when not
    asked)."""
    if asked is None:
        return queue.hold_minutes
    if not 1 <= asked <= queue.hold_minutes:
        raise InvalidInput(f"a hold in queue {queue.name!r} lasts 1 to {queue.hold_minutes} "
                           f"{noun(queue.hold_minutes, 'minute', 'minutes')}")
    return asked


def check_hold_settings(minutes: int) -> None:
    if not 1 <= minutes <= MAX_HOLD_MINUTES:
        raise InvalidInput(f"hold_minutes must be 1 to {MAX_HOLD_MINUTES}")


def hold(ticket: Ticket, holder: Agent, queue: Queue, *, minutes: int, now: datetime,
         actor: Actor, why: str | None = None) -> list[HistoryEntry]:
    """Put a ticket on hold. An `assigned` one is accepted first (its holder is plainly
    working on it), so the accept timer never takes a held ticket back."""
    if ticket.status not in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS):
        raise InvalidTransition(
            f"cannot put ticket {ticket.number} on hold: it is {ticket.status.value}")
    if ticket.agent_id != holder.id:
        raise NotYourTicket(f"ticket {ticket.number} is not in your queue")
    entries = []
    if ticket.status is TicketStatus.ASSIGNED:
        entries.append(accept(ticket, holder, now=now, actor=actor))
    keeps = not queue.hold_frees_slot
    if not keeps:
        holder.active_tickets -= 1
    ticket.status = TicketStatus.ON_HOLD
    ticket.awaiting_reply_since = None  # waiting for the customer: the reply timer is over
    ticket.hold_until = now + timedelta(minutes=minutes)
    ticket.hold_keeps_slot = keeps
    detail: dict[str, object] = {"until": ticket.hold_until.isoformat(), "keeps_slot": keeps}
    if why:
        detail["reason"] = why[:MAX_REASON]
    entries.append(HistoryEntry(ticket.id, now, HistoryKind.HELD, Reason.HELD, actor,
                                holder.id, holder.id, detail=detail))
    return entries


def can_resume(ticket: Ticket, holder: Agent, queue: Queue, held_here: int) -> bool:
    """Whether the holder can take the ticket back now: a hold that kept the slot always can;
    one that freed it needs a free slot, and room in the queue's per-agent limit when an
    in-progress ticket counts there (`held_here`: the slots it uses in the queue now)."""
    if ticket.hold_keeps_slot:
        return True
    if holder.active_tickets >= holder.max_tickets:
        return False
    return queue.slot_freed_on is SlotFreedOn.ACCEPT or queue.has_room_for(held_here)


def returns_to_holder(ticket: Ticket, holder: Agent | None, queue: Queue,
                      held_here: int) -> bool:
    """Where a hold ends by itself (the customer wrote, or its limit): with its holder if the
    holder is there to answer (active, online, still a member of the queue) and can take it;
    else the queue's rules find someone."""
    return (holder is not None and holder.active and holder.online
            and serves(queue.name, holder) and can_resume(ticket, holder, queue, held_here))


def resume(ticket: Ticket, holder: Agent, queue: Queue, *, held_here: int, now: datetime,
           actor: Actor, kind: HistoryKind = HistoryKind.UNHELD,
           reason: Reason = Reason.UNHELD) -> HistoryEntry:
    """Off hold, in progress again with its holder (409 agent_full when the hold freed the
    slot and the holder has none now)."""
    _require_on_hold(ticket)
    if ticket.agent_id != holder.id:
        raise NotYourTicket(f"ticket {ticket.number} is not in your queue")
    if not can_resume(ticket, holder, queue, held_here):
        raise AgentFull(f"agent {holder.name} is full ({holder.active_tickets}/"
                        f"{holder.max_tickets}): ticket {ticket.number} freed its slot on hold")
    if not ticket.hold_keeps_slot:
        holder.active_tickets += 1
    ticket.status = TicketStatus.IN_PROGRESS
    ticket.hold_until = None
    ticket.hold_keeps_slot = False
    return HistoryEntry(ticket.id, now, kind, reason, actor, holder.id, holder.id)


def to_queue(ticket: Ticket, holder: Agent, *, now: datetime, reason: Reason,
             actor: Actor = SYSTEM) -> HistoryEntry:
    """Back to the queue at its place (its priority kept), since the holder cannot take it."""
    _require_on_hold(ticket)
    return unassign(ticket, holder, now=now, reason=reason, actor=actor)


def close(ticket: Ticket, holder: Agent, *, now: datetime) -> HistoryEntry:
    """The hold reached its limit and the queue closes such tickets: completed."""
    _require_on_hold(ticket)
    if ticket.agent_id != holder.id:
        raise NotYourTicket(f"ticket {ticket.number} is not held by agent {holder.id}")
    handled = (now - ticket.accepted_at).total_seconds() if ticket.accepted_at else None
    free_slot(ticket, holder)
    ticket.status = TicketStatus.COMPLETED
    ticket.closed_at = now
    return HistoryEntry(ticket.id, now, HistoryKind.COMPLETED, Reason.HOLD_EXPIRED, SYSTEM,
                        holder.id, None, handle_seconds=handled)


def _require_on_hold(ticket: Ticket) -> None:
    if ticket.status is not TicketStatus.ON_HOLD:
        raise InvalidTransition(
            f"ticket {ticket.number} is not on hold: it is {ticket.status.value}")
