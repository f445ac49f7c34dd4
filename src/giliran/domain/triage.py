"""A supervisor's moves on a waiting ticket that no rule of the engine makes: taking a flag
off, and moving a queued ticket to another queue. Each returns the history entry it records,
as the lifecycle's moves do."""

from __future__ import annotations

from datetime import datetime

from giliran.domain.actor import Actor
from giliran.domain.errors import InvalidTransition, NotFlagged
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import HistoryEntry, Reason, Ticket, TicketStatus


def clear_flag(ticket: Ticket, *, now: datetime, actor: Actor) -> HistoryEntry:
    """The supervisor has seen it: the flag goes, nothing else changes (an exhausted ticket
    stays out of automatic dispatch, for a person to move; requeue sends it round again)."""
    if ticket.flag is None:
        raise NotFlagged(f"ticket {ticket.number} is not flagged")
    was = ticket.flag
    ticket.flag = None
    ticket.flagged_at = None
    ticket.flag_reason = None
    return HistoryEntry(ticket.id, now, HistoryKind.RELEASED, Reason.FLAG_CLEARED, actor,
                        detail={"flag": was.value})


def move_queued(ticket: Ticket, queue: str, *, now: datetime, actor: Actor) -> HistoryEntry:
    """A queued ticket changes queue keeping its priority and its wait (it has waited as long
    as it has, wherever it waits)."""
    if ticket.status is not TicketStatus.QUEUED:
        raise InvalidTransition(f"cannot move ticket {ticket.number}: it is "
                                f"{ticket.status.value}")
    if ticket.queue == queue:
        raise InvalidTransition(f"ticket {ticket.number} is already in queue {queue!r}")
    before = ticket.queue
    ticket.queue = queue
    note = f"moved to queue {queue!r} by {actor.name}"
    return HistoryEntry(ticket.id, now, HistoryKind.MOVED, Reason.MOVED, actor, note=note,
                        detail={"queue": queue, "from_queue": before,
                                "reason": f"moved by {actor.name}"})
