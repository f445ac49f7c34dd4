"""The timer pass: everything that happens because time went by.

One pass expires silent agents, escalates assignments nobody accepted in time, ends holds that
reached their limit, dispatches what that freed, and flags tickets that have waited too long.
Every deadline is derived from stored timestamps and `now`, so a restart loses no timer; each
batch runs in one writing unit of work under the floor lock, so with several processes or
replicas ticking at once every move happens exactly once (the second pass finds the work
already done).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from giliran.domain import audit, escalation, lifecycle
from giliran.domain.model import Queue, Reason, Ticket, TicketFlag
from giliran.domain.people import SYSTEM
from giliran.service.assignment import holds, sla_timers
from giliran.service.assignment.dispatch import dispatch
from giliran.service.assignment.presence import take_offline
from giliran.service.audit_log import record_agent
from giliran.service.context import Context
from giliran.service.lookups import agent_or_404
from giliran.service.ports import BATCH, UnitOfWork
from giliran.service.recording import record_agent_change, record_move
from giliran.service.runtime import presence_grace


@dataclass
class TickReport:
    went_offline: int = 0
    requeued: int = 0
    escalated: int = 0
    exhausted: int = 0
    paused: int = 0  # agents paused in a queue after too many misses there
    waiting_too_long: int = 0
    aged: int = 0
    holds_ended: int = 0  # back with the holder or the queue, or completed (hold_expiry)
    sla_warnings: int = 0
    sla_breaches: int = 0

    @property
    def moves(self) -> int:
        return (self.went_offline + self.requeued + self.escalated + self.exhausted
                + self.paused + self.waiting_too_long + self.aged + self.holds_ended
                + self.sla_warnings + self.sla_breaches)


def anything_due(ctx: Context) -> bool:
    """A read, no lock: the in-process scheduler asks this on the shared thread pool, so an
    idle pass never occupies the writer thread."""
    with ctx.uow(write=False) as uow:
        return _anything_due(ctx, uow, ctx.clock.now())


def tick(ctx: Context) -> TickReport:
    """Run one pass; returns what it did. Cheap when nothing is due: one read, no lock."""
    report = TickReport()
    if not anything_due(ctx):
        return report
    while True:
        with ctx.uow(write=True) as uow:
            now = ctx.clock.now()
            full = _expire_presence(ctx, uow, now, report)
            full |= _escalate_overdue(uow, now, report)
            full |= _age_waiting(uow, now, report)
            full |= _end_holds(ctx, uow, now, report)
            full |= _sla(uow, now, report)
            dispatch(ctx, uow, Reason.AUTO)
            full |= _flag_waiting(uow, now, report)
            uow.commit()
        if not full:
            return report


def _anything_due(ctx: Context, uow: UnitOfWork, now: datetime) -> bool:
    cutoff = escalation.presence_cutoff(presence_grace(ctx, uow), now)
    if cutoff is not None and uow.agents.silent_since(cutoff, 1):
        return True
    if sla_timers.anything_due(uow, now):
        return True
    return any(_due(uow, queue, now, rule, 1)
               for queue in uow.queues.all() for rule in (OVERDUE, AGEING, WAITING, HOLDS))


def _expire_presence(ctx: Context, uow: UnitOfWork, now: datetime, report: TickReport) -> bool:
    cutoff = escalation.presence_cutoff(presence_grace(ctx, uow), now)
    if cutoff is None:
        return False
    silent = uow.agents.silent_since(cutoff, BATCH)
    for agent in silent:
        report.requeued += take_offline(ctx, uow, agent, actor=SYSTEM)
        report.went_offline += 1
    return len(silent) == BATCH


def _escalate_overdue(uow: UnitOfWork, now: datetime, report: TickReport) -> bool:
    return _each_due(uow, now, OVERDUE,
                     lambda ticket, queue: _escalate(uow, ticket, queue, now, report))


def _escalate(
    uow: UnitOfWork, ticket: Ticket, queue: Queue, now: datetime, report: TickReport
) -> None:
    """Take the ticket back; the dispatch that follows offers it to the next agent in turn
    who has not missed it, or leaves it at its original place in the queue. Too many misses in
    a row in this queue pause the holder there; its other queues carry on."""
    holder = agent_or_404(uow, ticket.agent_id)
    record_move(uow, ticket, lifecycle.escalate(ticket, holder, now=now))
    report.escalated += 1
    if escalation.pauses(holder, queue):
        before = audit.agent_fields(holder)
        lifecycle.pause(holder, queue.name, now=now)
        record_agent(uow, now, SYSTEM, holder, before, action="paused")
        report.paused += 1
    else:
        record_agent_change(uow, holder, now)  # one more miss in a row in this queue
    left = uow.agents.count_members(ticket.queue, excluding=ticket.missed_by)
    if escalation.is_exhausted(ticket, queue, left):
        record_move(uow, ticket, lifecycle.flag(ticket, TicketFlag.EXHAUSTED, now=now))
        report.exhausted += 1
    uow.tickets.save(ticket)
    uow.agents.save(holder)


def _age_waiting(uow: UnitOfWork, now: datetime, report: TickReport) -> bool:
    """Priority aging: the starvation guard (see Queue.priority_aging_seconds)."""
    def age(ticket: Ticket, queue: Queue) -> None:
        record_move(uow, ticket, lifecycle.age(ticket, now=now))
        uow.tickets.save(ticket)
        report.aged += 1
    return _each_due(uow, now, AGEING, age)


def _end_holds(ctx: Context, uow: UnitOfWork, now: datetime, report: TickReport) -> bool:
    """Holds at their limit: each ends as its queue says (service/assignment/holds.py)."""
    def end(ticket: Ticket, queue: Queue) -> None:
        holds.expire(ctx, uow, ticket, queue, now=now)
        report.holds_ended += 1
    return _each_due(uow, now, HOLDS, end)


def _sla(uow: UnitOfWork, now: datetime, report: TickReport) -> bool:
    warned, breached, full = sla_timers.run(uow, now)
    report.sla_warnings += warned
    report.sla_breaches += breached
    return full


def _flag_waiting(uow: UnitOfWork, now: datetime, report: TickReport) -> bool:
    def flag(ticket: Ticket, queue: Queue) -> None:
        record_move(uow, ticket, lifecycle.flag(ticket, TicketFlag.WAITING_TOO_LONG, now=now))
        uow.tickets.save(ticket)
        report.waiting_too_long += 1
    return _each_due(uow, now, WAITING, flag)


@dataclass(frozen=True)
class _Rule:
    """A per-queue timer: when a ticket of a queue is due, and how to find the due ones."""

    cutoff: Callable[[Queue, datetime], datetime | None]
    find: Callable[[UnitOfWork], Callable[[str, datetime, int], list[Ticket]]]


OVERDUE = _Rule(escalation.accept_cutoff, lambda uow: uow.tickets.overdue)
AGEING = _Rule(escalation.aging_cutoff, lambda uow: uow.tickets.due_for_aging)
WAITING = _Rule(escalation.wait_cutoff, lambda uow: uow.tickets.waiting_since)
HOLDS = _Rule(lambda queue, now: now, lambda uow: uow.tickets.holds_due)


def _due(uow: UnitOfWork, queue: Queue, now: datetime, rule: _Rule, limit: int) -> list[Ticket]:
    cutoff = rule.cutoff(queue, now)
    return [] if cutoff is None else rule.find(uow)(queue.name, cutoff, limit)


def _each_due(uow: UnitOfWork, now: datetime, rule: _Rule,
              act: Callable[[Ticket, Queue], None]) -> bool:
    """Act on one batch of due tickets per queue; True when some batch was full."""
    full = False
    for queue in uow.queues.all():
        due = _due(uow, queue, now, rule, BATCH)
        for ticket in due:
            act(ticket, queue)
        full |= len(due) == BATCH
    return full


def has_orphans(ctx: Context) -> bool:
    """The look at every held ticket, as a read (on the shared pool, not the writer)."""
    with ctx.uow(write=False) as uow:
        return bool(uow.tickets.orphans(1))


def rescue_orphans(ctx: Context) -> int:
    """The safety net behind "never orphan a ticket": held tickets (on hold too) held by nobody
    or by a deactivated agent go back to the queue (history reason `orphaned`) and are dispatched.
    The rules never produce one; this runs now and then (a full look at the held tickets) so
    that a hand-edited database or a bug would show up in the stats, not in a lost customer."""
    with ctx.uow(write=False) as uow:
        if not uow.tickets.orphans(1):
            return 0
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        found = uow.tickets.orphans(BATCH)
        for ticket in found:
            holder = uow.agents.get(ticket.agent_id) if ticket.agent_id is not None else None
            record_move(uow, ticket, lifecycle.rescue(ticket, holder, now=now))
            uow.tickets.save(ticket)
            if holder is not None:
                uow.agents.save(holder)
        dispatch(ctx, uow, Reason.AUTO)
        uow.commit()
    return len(found)
