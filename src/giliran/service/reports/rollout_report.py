"""How a queue's rollout went over the last day: how many new tickets were dispatched
automatically and how many were left for a pick-up, and what became of those (picked up, still
waiting, something else: cancelled, moved by a supervisor). What a supervisor reads before the
next step of a migration (raising auto_assign_percent, switching pick-up off)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from giliran.domain.event_types import HistoryKind
from giliran.domain.model import HistoryEntry, Reason, Ticket, TicketStatus
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.lookups import queue_or_404
from giliran.service.ports import HistoryFilter

PERIOD = timedelta(days=1)
SCAN = 10**9


@dataclass(frozen=True)
class RolloutReport:
    queue: str
    since: datetime
    until: datetime
    auto_assign_percent: int
    automatic: int
    manual: int
    manual_picked_up: int
    manual_waiting: int
    manual_other: int


def rollout_report(ctx: Context, who: Principal, name: str) -> RolloutReport:
    who.require(Can.SUPERVISE)
    who.require_queue(name)
    until = ctx.clock.now()
    since = until - PERIOD
    with ctx.uow(write=False) as uow:
        queue = queue_or_404(uow, name)
        created = uow.history.search(HistoryFilter(queue=name, event=HistoryKind.CREATED,
                                                   since=since, limit=SCAN))
        ids = [e.ticket_id for e in created]
        histories = uow.history.for_tickets(ids)
        tickets = {t.id: t for t in uow.tickets.many(set(ids))}
    ways = [_way(e, histories.get(e.ticket_id, []), tickets.get(e.ticket_id)) for e in created]
    manual = [w for w in ways if w != "automatic"]
    return RolloutReport(
        queue=name, since=since, until=until, auto_assign_percent=queue.auto_assign_percent,
        automatic=len(ways) - len(manual), manual=len(manual),
        manual_picked_up=manual.count("picked_up"), manual_waiting=manual.count("waiting"),
        manual_other=manual.count("other"))


def _way(created: HistoryEntry, history: list[HistoryEntry], ticket: Ticket | None) -> str:
    """automatic, or how a manual one ended: picked_up, waiting, other."""
    first = next((e for e in history if e.event == HistoryKind.ASSIGNED), None)
    recorded = (created.detail or {}).get("automatic")
    if recorded is None:  # created before the rollout was recorded: judge by what followed
        recorded = first is not None and first.reason.moves_rotation
    if recorded:
        return "automatic"
    if first is not None:
        return "picked_up" if first.reason is Reason.PICKUP else "other"
    waiting = ticket is not None and ticket.status is TicketStatus.QUEUED
    return "waiting" if waiting else "other"
