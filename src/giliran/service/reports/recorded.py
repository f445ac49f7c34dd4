"""What the desk really did over a period, in the What-if's figures: the column beside the
simulated ones ("as it is", "with the change"), so a supervisor sees how far the model is from
the record before trusting it.

Each figure has one definition, shared with the dashboard and the simulator:
- within_target: domain/service_level.tally (answered within the target over answered plus
  those unanswered past it), each ticket against its queue's target;
- wait_mean / wait_p90: arrival to the first accept (the simulator's "wait until accepted"),
  the p90 counting the unanswered with their age at the period's end;
- utilization: time online holding a ticket over time online, the whole floor (as in `/stats`);
- assign_mean, fairness_gini, escalations, orphans: as `/stats` says them;
- flagged: tickets that arrived in the period and were flagged; tickets: those that arrived.
"""

from __future__ import annotations

from datetime import datetime
from statistics import fmean

from giliran.domain.event_types import HistoryKind
from giliran.domain.service_level import percentile, share, tally
from giliran.service.context import Context, Principal
from giliran.service.lookups import history_between
from giliran.service.reports.stats import stats


def recorded(ctx: Context, who: Principal, since: datetime,
             until: datetime) -> dict[str, float | None]:
    s = stats(ctx, who, since, until)
    with ctx.uow(write=False) as uow:
        created = history_between(uow, HistoryKind.CREATED, since, until)
        tickets = uow.tickets.many({e.ticket_id for e in created})
        queues = uow.queues.all()
        flagged = {e.ticket_id for e in history_between(uow, HistoryKind.FLAGGED, since, until)}
    answered: dict[str, list[float]] = {q.name: [] for q in queues}
    unanswered: dict[str, list[float]] = {q.name: [] for q in queues}
    for t in tickets:
        if t.answered_at is not None and t.answered_at < until:
            answered.setdefault(t.queue, []).append((t.answered_at - t.created_at).total_seconds())
        else:
            unanswered.setdefault(t.queue, []).append((until - t.created_at).total_seconds())
    # Each queue against its own target, as the dashboard's service levels.
    tallies = [tally(answered[q.name], unanswered[q.name], q.service_level_seconds)
               for q in queues]
    waits = [w for found in answered.values() for w in found]
    return {
        "tickets": float(len(tickets)),
        "within_target": share(sum(w for w, _ in tallies), sum(c for _, c in tallies)),
        "wait_mean": fmean(waits) if waits else None,
        "wait_p90": percentile(waits + [a for found in unanswered.values() for a in found], 0.9),
        "assign_mean": s.assignment_time.mean,
        "utilization": s.floor.utilization,
        "fairness_gini": s.gini,
        "escalations": float(s.escalations),
        "flagged": float(sum(t.id in flagged for t in tickets)),
        "orphans": float(s.orphans_requeued),
    }
