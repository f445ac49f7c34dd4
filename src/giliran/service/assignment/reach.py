"""Nothing waits that nobody can take (domain/reach.py).

The use cases apply the rules where a way in may open or close: a queue's switches change
(`after_switches`), an agent joins, leaves, or opts in or out (`reconsider`), a ticket arrives
and finds nobody (`on_arrival`). Each runs inside the caller's unit of work; the caller
dispatches and commits, so what is released is handed out in the same transaction. `sweep`
is the net behind them, run by the scheduler now and then (tickets an earlier version
stranded, a hand-edited database).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from giliran.domain import lifecycle, reach
from giliran.domain.model import (
    HistoryEntry,
    PickupPolicy,
    Queue,
    Reason,
    Ticket,
    TicketFlag,
    TicketStatus,
)
from giliran.domain.reach import NoWayIn
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context
from giliran.service.ports import TicketFilter, UnitOfWork
from giliran.service.recording import record_move

EVERY = 10**9  # switches and members change rarely: what they move is read whole


def after_switches(uow: UnitOfWork, queue: Queue, now: datetime) -> int:
    """A queue's policy changed. Tickets left for a pick-up that can no longer happen become
    automatic (each with a history entry saying why); then its way in is looked at again.
    Returns how many tickets moved."""
    moved = 0
    for ticket in _stranded(uow, queue):
        record_move(uow, ticket, lifecycle.release(ticket, now=now, reason=Reason.PICKUP_OFF))
        uow.tickets.save(ticket)
        moved += 1
    return moved + reconsider(uow, [queue.name], now)


def reconsider(uow: UnitOfWork, names: Iterable[str], now: datetime) -> int:
    """The queues' ways in may have opened or closed (their members or switches changed):
    flag what nobody can take, release what someone now can. Returns how many moved."""
    moved = 0
    for name in sorted(set(names)):
        queue = uow.queues.get(name)
        if queue is not None:
            for ticket, entry in _moves(uow, queue, closed(uow, queue), now):
                record_move(uow, ticket, entry)
                uow.tickets.save(ticket)
                moved += 1
    return moved


def closed(uow: UnitOfWork, queue: Queue) -> NoWayIn | None:
    """Why the queue has no way in, if it has none. Intake asks this for every ticket that
    found nobody, so the second count is made only where it can matter (pick-ups off)."""
    members = uow.agents.count_members(queue.name, frozenset(), opted_in=False)
    receiving = (uow.agents.count_members(queue.name, frozenset())
                 if members and queue.pickup is PickupPolicy.OFF else 0)
    return reach.no_way_in(queue, members, receiving)


def on_arrival(uow: UnitOfWork, ticket: Ticket, queue: Queue, now: datetime) -> None:
    """A new ticket that found nobody: flagged at once when nobody ever could take it."""
    if ticket.status is not TicketStatus.QUEUED:
        return
    why = closed(uow, queue)
    if why is not None:
        entry = lifecycle.flag(ticket, TicketFlag.UNREACHABLE, now=now, because=why)
        record_move(uow, ticket, entry)
        uow.tickets.save(ticket)


def needs_sweep(ctx: Context) -> bool:
    """A read (on the shared pool): does any queue hold a ticket the rules would move?"""
    with ctx.uow(write=False) as uow:
        return any(_stranded(uow, q) or _would_move(uow, q) for q in uow.queues.all())


def sweep(ctx: Context) -> int:
    """Apply the rules to every queue and dispatch what they released; how many moved."""
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        moved = sum(after_switches(uow, q, now) for q in uow.queues.all())
        if moved:
            dispatch(ctx, uow, Reason.AUTO)
            uow.commit()
    return moved


def _stranded(uow: UnitOfWork, queue: Queue) -> list[Ticket]:
    if queue.pickup is not PickupPolicy.OFF:
        return []
    left = TicketFilter(status=TicketStatus.QUEUED, queue=queue.name, auto_dispatch=False,
                        limit=EVERY)
    return [t for t in uow.tickets.search(left) if reach.stranded(t, queue)]


def _moves(uow: UnitOfWork, queue: Queue, why: NoWayIn | None,
           now: datetime) -> list[tuple[Ticket, HistoryEntry]]:
    if why is None:
        return [(t, lifecycle.release(t, now=now, reason=Reason.REACHABLE))
                for t in _flagged(uow, queue)]
    return [(t, lifecycle.flag(t, TicketFlag.UNREACHABLE, now=now, because=why))
            for t in _waiting(uow, queue) if _to_flag(t, why)]


def _to_flag(ticket: Ticket, why: NoWayIn) -> bool:
    """Unflagged, waiting too long (overtaken), or unreachable for another reason than now
    (members joined, but pick-up is off and none of them receives)."""
    return ticket.flag is not TicketFlag.UNREACHABLE or ticket.flag_reason != why


def _would_move(uow: UnitOfWork, queue: Queue) -> bool:
    why = closed(uow, queue)
    if why is None:
        return bool(_flagged(uow, queue, limit=1))
    return any(_to_flag(t, why) for t in _waiting(uow, queue))


def _flagged(uow: UnitOfWork, queue: Queue, limit: int = EVERY) -> list[Ticket]:
    return list(uow.tickets.search(TicketFilter(
        status=TicketStatus.QUEUED, queue=queue.name, flag=TicketFlag.UNREACHABLE,
        limit=limit)))


def _waiting(uow: UnitOfWork, queue: Queue) -> list[Ticket]:
    """Queued tickets that may be flagged unreachable: unflagged, waiting too long, or
    unreachable already (exhausted ones wait for a supervisor by design)."""
    found: list[Ticket] = []
    for flag in (None, TicketFlag.WAITING_TOO_LONG, TicketFlag.UNREACHABLE):
        found += uow.tickets.search(TicketFilter(
            status=TicketStatus.QUEUED, queue=queue.name, flagged=False if flag is None
            else None, flag=flag, limit=EVERY))
    return found
