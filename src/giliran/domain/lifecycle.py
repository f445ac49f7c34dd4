"""The ticket lifecycle: queued -> assigned -> in_progress -> completed (or cancelled), with
in_progress <-> on_hold while the holder waits for the customer (domain/hold.py).

Every move takes the ticket, the agents it touches and `now`, changes them together, and
returns the history entry that records it.
"""

from __future__ import annotations

from datetime import datetime

from giliran.domain.actor import SYSTEM, Actor
from giliran.domain.errors import (
    AssignmentRevoked,
    CapacityExceeded,
    InvalidTransition,
    NotAccepted,
    NotYourTicket,
)
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import (
    Agent,
    HistoryEntry,
    Presence,
    PresenceChange,
    Priority,
    QueueState,
    Reason,
    Ticket,
    TicketFlag,
    TicketStatus,
)
from giliran.domain.words import noun


def _require(ticket: Ticket, *allowed: TicketStatus, action: str) -> None:
    if ticket.status not in allowed:
        raise InvalidTransition(
            f"cannot {action} ticket {ticket.number}: it is {ticket.status.value}"
        )


def require_queued(ticket: Ticket, *, action: str) -> None:
    _require(ticket, TicketStatus.QUEUED, action=action)


def require_active(ticket: Ticket, *, action: str) -> None:
    _require(ticket, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, action=action)


def require_held(ticket: Ticket, *, action: str) -> None:
    """Held by an agent: active, or on hold."""
    _require(ticket, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD,
             action=action)


def assign(
    ticket: Ticket, agent: Agent, *, seq: int, now: datetime, reason: Reason, actor: Actor,
    force: bool = False,
) -> HistoryEntry:
    """Put a queued ticket at the bottom of the agent's personal queue.

    `seq` is a strictly increasing number that orders assignments; it places the ticket in the
    agent's personal queue and, for automatic assignments, moves the agent in the rotation.
    Only `force` (an admin's explicit choice) may take an agent past its capacity.
    """
    _require(ticket, TicketStatus.QUEUED, action="assign")
    if agent.active_tickets >= agent.max_tickets and not force:
        raise CapacityExceeded(
            f"agent {agent.name} is full ({agent.active_tickets}/{agent.max_tickets})"
        )
    first = ticket.assigned_seq == 0
    waited = (now - (ticket.queued_at or ticket.created_at)).total_seconds()
    ticket.status = TicketStatus.ASSIGNED
    ticket.agent_id = agent.id
    ticket.assigned_seq = seq
    ticket.assigned_at = now
    # A backlog flag is answered once the ticket reaches someone.
    ticket.flag = None
    ticket.flagged_at = None
    ticket.flag_reason = None
    agent.active_tickets += 1
    agent.last_assigned_at = now
    if reason.moves_rotation:
        agent.last_assigned_seq = seq
    since_arrival = (now - ticket.created_at).total_seconds() if first else None
    return HistoryEntry(ticket.id, now, HistoryKind.ASSIGNED, reason, actor, None, agent.id,
                        waited_seconds=waited, since_arrival_seconds=since_arrival,
                        load=(agent.active_tickets, agent.max_tickets))


def accept(ticket: Ticket, agent: Agent, *, now: datetime, actor: Actor,
           reason: Reason = Reason.ACCEPTED) -> HistoryEntry:
    """The holder takes the ticket on (`reason` replied: by its first reply to the customer)."""
    if ticket.agent_id != agent.id:
        if agent.id in ticket.missed_by:
            raise revoked(ticket)
        raise NotYourTicket(f"ticket {ticket.number} is not in your queue")
    _require(ticket, TicketStatus.ASSIGNED, action="accept")
    ticket.status = TicketStatus.IN_PROGRESS
    ticket.accepted_at = now
    # An accept by a reply has answered the customer; any other starts the reply timer.
    ticket.awaiting_reply_since = None if reason is Reason.REPLIED else now
    first = None
    if ticket.answered_at is None:
        ticket.answered_at = now
        first = (now - ticket.created_at).total_seconds()
    agent.missed_in_row = 0
    state = agent.state_in(ticket.queue)
    agent.set_state(ticket.queue, QueueState(0, state.paused_at, state.pause_reason))
    agent.last_seen_at = now
    response = (now - ticket.assigned_at).total_seconds() if ticket.assigned_at else None
    return HistoryEntry(ticket.id, now, HistoryKind.ACCEPTED, reason, actor,
                        agent.id, agent.id, response_seconds=response,
                        first_response_seconds=first)


def revoked(ticket: Ticket) -> AssignmentRevoked:
    where = "another agent" if ticket.agent_id is not None else "the queue"
    return AssignmentRevoked(
        f"ticket {ticket.number} was taken back from you and now waits with {where}"
    )


def complete(ticket: Ticket, holder: Agent, *, now: datetime, actor: Actor) -> HistoryEntry:
    if ticket.status is TicketStatus.ASSIGNED:
        # The lifecycle is assigned -> in progress -> completed: nobody finishes a ticket its
        # holder never took on (its accept is what the first-response figures count from).
        raise NotAccepted(f"ticket {ticket.number} has not been accepted yet: accept it first")
    # A ticket on hold may be completed as it is: the customer's answer made it moot.
    _require(ticket, TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD, action="complete")
    handled = (now - ticket.accepted_at).total_seconds() if ticket.accepted_at else None
    _release(ticket, holder, TicketStatus.COMPLETED, now)
    return HistoryEntry(ticket.id, now, HistoryKind.COMPLETED, Reason.COMPLETED, actor,
                        holder.id, None, handle_seconds=handled)


def cancel(ticket: Ticket, holder: Agent | None, *, now: datetime, actor: Actor) -> HistoryEntry:
    _require(ticket, TicketStatus.QUEUED, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
             TicketStatus.ON_HOLD, action="cancel")
    from_agent = ticket.agent_id
    if holder is not None:
        _release(ticket, holder, TicketStatus.CANCELLED, now)
    else:
        ticket.status = TicketStatus.CANCELLED
        ticket.closed_at = now
    return HistoryEntry(ticket.id, now, HistoryKind.CANCELLED, Reason.CANCELLED, actor,
                        from_agent, None)


def _release(ticket: Ticket, holder: Agent, status: TicketStatus, now: datetime) -> None:
    if ticket.agent_id != holder.id:
        raise NotYourTicket(f"ticket {ticket.number} is not held by agent {holder.id}")
    free_slot(ticket, holder)
    ticket.status = status
    ticket.closed_at = now


def free_slot(ticket: Ticket, holder: Agent) -> None:
    """The ticket leaves its holder: the slot it took (if it took one) is free again, and a
    hold (or a reply timer) it was on is over. Never below zero, for the orphan rescue's
    sake (see `rescue`)."""
    if ticket.takes_slot:
        holder.active_tickets = max(0, holder.active_tickets - 1)
    ticket.hold_until = None
    ticket.hold_keeps_slot = False
    ticket.awaiting_reply_since = None


def unassign(
    ticket: Ticket, holder: Agent, *, now: datetime, reason: Reason, actor: Actor
) -> HistoryEntry:
    """Take a held ticket back into the global queue. Its place there is derived from its
    priority and arrival, so it returns to where it was, not behind newer tickets."""
    require_held(ticket, action="unassign")
    if ticket.agent_id != holder.id:
        raise NotYourTicket(f"ticket {ticket.number} is not held by agent {holder.id}")
    free_slot(ticket, holder)
    _back_to_queue(ticket, now)
    return HistoryEntry(ticket.id, now, HistoryKind.UNASSIGNED, reason, actor, holder.id, None)


def _back_to_queue(ticket: Ticket, now: datetime) -> None:
    """Its place in the queue is derived from priority and arrival, so it is the old one."""
    ticket.status = TicketStatus.QUEUED
    ticket.agent_id = None
    ticket.assigned_at = None
    ticket.accepted_at = None
    ticket.queued_at = now
    ticket.priority_since = now  # aging starts over with the new wait


def escalate(ticket: Ticket, holder: Agent, *, now: datetime,
             reason: Reason = Reason.ESCALATION) -> HistoryEntry:
    """Take back an assignment its holder did not accept in time (`escalation`), or accepted
    and left without a reply to the customer (`reply_timeout`). The holder is never offered
    this ticket again, and the miss counts toward its away_after_misses."""
    wanted = (TicketStatus.IN_PROGRESS if reason is Reason.REPLY_TIMEOUT
              else TicketStatus.ASSIGNED)
    _require(ticket, wanted, action="escalate")
    unassign(ticket, holder, now=now, reason=reason, actor=SYSTEM)
    ticket.escalations += 1
    ticket.missed_by = ticket.missed_by | {holder.id}
    holder.missed_in_row += 1
    state = holder.state_in(ticket.queue)
    holder.set_state(ticket.queue, QueueState(state.missed_in_row + 1, state.paused_at,
                                              state.pause_reason))
    return HistoryEntry(ticket.id, now, HistoryKind.ESCALATED, reason, SYSTEM,
                        holder.id, None)


def flag(ticket: Ticket, why: TicketFlag, *, now: datetime,
         because: str | None = None) -> HistoryEntry:
    """Ask a supervisor to look (`because`: the reason, when the flag alone does not say). An
    exhausted ticket also leaves automatic dispatch: it keeps its place in the queue, but only
    a person moves it from there."""
    ticket.flag = why
    ticket.flagged_at = now
    ticket.flag_reason = because
    if why is TicketFlag.EXHAUSTED:
        ticket.auto_dispatch = False
    reason = _FLAG_REASONS[why]
    detail = {"reason": because} if because is not None else None
    return HistoryEntry(ticket.id, now, HistoryKind.FLAGGED, reason, SYSTEM, detail=detail)


_FLAG_REASONS = {TicketFlag.EXHAUSTED: Reason.EXHAUSTED,
                 TicketFlag.WAITING_TOO_LONG: Reason.WAITING_TOO_LONG,
                 TicketFlag.UNREACHABLE: Reason.UNREACHABLE}


def release(ticket: Ticket, *, now: datetime, reason: Reason) -> HistoryEntry:
    """Back to the usual wait: unflagged (`reachable`: its queue has a way in again), or made
    automatic (`pickup_off`: left for a pick-up that can no longer happen)."""
    _require(ticket, TicketStatus.QUEUED, action="release")
    if reason is Reason.PICKUP_OFF:
        ticket.auto_dispatch = True
    if ticket.flag is TicketFlag.UNREACHABLE:
        ticket.flag = None
        ticket.flagged_at = None
        ticket.flag_reason = None
    return HistoryEntry(ticket.id, now, HistoryKind.RELEASED, reason, SYSTEM)


def set_presence(agent: Agent, presence: Presence, *, now: datetime) -> PresenceChange | None:
    """Coming online is a sign of life and a fresh start for the overall miss counter (pauses
    in a queue stay until lifted). Returns the change for the presence log, if it is one."""
    if presence is Presence.ONLINE:
        agent.last_seen_at = now
        agent.missed_in_row = 0
    if agent.presence is presence:
        return None
    agent.presence = presence
    return PresenceChange(agent.id, now, presence)


def pause(agent: Agent, queue: str, *, now: datetime) -> None:
    """Stop sending the agent this queue's tickets, saying why; the rest of its work goes on."""
    state = agent.state_in(queue)
    missed = state.missed_in_row
    reason = f"missed {missed} {noun(missed, 'ticket', 'tickets')} in a row"
    agent.set_state(queue, QueueState(state.missed_in_row, now, reason))


def resume(agent: Agent, queue: str) -> bool:
    """Lift a pause (and start counting misses afresh); False when there was none."""
    was_paused = agent.paused_in(queue)
    agent.set_state(queue, QueueState())
    return was_paused


def reprioritize(
    ticket: Ticket, priority: Priority, *, now: datetime, reason: Reason, actor: Actor
) -> HistoryEntry:
    """A person asks for a new priority: it takes effect now, as asked and as served (aging
    counts from here). For a queued ticket it moves its place in the queue; it never takes a
    ticket away from an agent."""
    if ticket.status.is_final:
        _require(ticket, TicketStatus.QUEUED, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
                 TicketStatus.ON_HOLD, action="change the priority of")
    ticket.priority = priority
    ticket.effective_priority = priority
    ticket.priority_since = now
    return HistoryEntry(ticket.id, now, HistoryKind.priority(priority.label), reason, actor)


def age(ticket: Ticket, *, now: datetime) -> HistoryEntry:
    """One step up in the order it is served in; the priority asked for stays as it was."""
    _require(ticket, TicketStatus.QUEUED, action="age")
    higher = Priority(min(int(ticket.effective_priority) + 1, int(Priority.URGENT)))
    ticket.effective_priority = higher
    ticket.priority_since = now
    return HistoryEntry(ticket.id, now, HistoryKind.priority(higher.label), Reason.AGING,
                        SYSTEM,
                        detail={"asked": ticket.priority.label, "served_at": higher.label})


def move_to_front(ticket: Ticket, *, order: int, now: datetime, actor: Actor) -> HistoryEntry:
    """`order` is below every other queued ticket's queue_order; served as urgent, the ticket is
    first in line (the priority asked for stays as it was). Tickets already assigned keep their
    agents."""
    _require(ticket, TicketStatus.QUEUED, action="move to the front")
    ticket.effective_priority = Priority.URGENT
    ticket.priority_since = now
    ticket.queue_order = order
    return HistoryEntry(ticket.id, now, HistoryKind.MOVED_TO_FRONT, Reason.FRONT, actor)


def rescue(ticket: Ticket, holder: Agent | None, *, now: datetime) -> HistoryEntry:
    """Send back to the queue a held ticket (active or on hold) held by nobody, or by an agent
    who is gone (the safety net for a state the rules never produce, so the holder's count is
    not trusted to be right either: it never goes below zero)."""
    require_held(ticket, action="rescue")
    from_agent = ticket.agent_id
    if holder is not None:
        free_slot(ticket, holder)
    ticket.hold_until = None
    ticket.hold_keeps_slot = False
    _back_to_queue(ticket, now)
    return HistoryEntry(ticket.id, now, HistoryKind.UNASSIGNED, Reason.ORPHANED, SYSTEM,
                        from_agent, None)
