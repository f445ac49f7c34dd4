"""What the desk really did over a period, in the What-if's figures: the column beside the
simulated ones ("as it is", "with the change"), so a supervisor sees how far the model is from
the record before trusting it.

Each figure has one definition, shared with the dashboard and the simulator:
- within_target: domain/service_level.share_of (answered within the target over answered plus
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

from giliran.domain.model import HistoryEntry
from giliran.domain.service_level import past_target, percentile, share
from giliran.service.context import Context, Principal
from giliran.service.ports import HistoryFilter, UnitOfWork
from giliran.service.stats import stats

PAGE = 5_000


def recorded(ctx: Context, who: Principal, since: datetime,
             until: datetime) -> dict[str, float | None]:
    s = stats(ctx, who, since, until)
    with ctx.uow(write=False) as uow:
        created = _created(uow, since, until)
        tickets = uow.tickets.many({e.ticket_id for e in created})
        targets = {q.name: q.service_level_seconds for q in uow.queues.all()}
        flagged = {e.ticket_id for e in uow.history.search(HistoryFilter(
            event="flagged", since=since, until=until, limit=10**9))}
    answered: list[float] = []
    unanswered: list[float] = []
    within = late = 0
    for t in tickets:
        target = targets.get(t.queue, 300)
        if t.answered_at is not None and t.answered_at < until:
            seconds = (t.answered_at - t.created_at).total_seconds()
            answered.append(seconds)
            within += seconds <= target
        else:
            age = (until - t.created_at).total_seconds()
            unanswered.append(age)
            late += past_target(age, target)
    return {
        "tickets": float(len(tickets)),
        "within_target": share(within, len(answered) + late),
        "wait_mean": fmean(answered) if answered else None,
        "wait_p90": percentile(answered + unanswered, 0.9),
        "assign_mean": s.assignment_time.mean,
        "utilization": s.floor.utilization,
        "fairness_gini": s.gini,
        "escalations": float(s.escalations),
        "flagged": float(sum(t.id in flagged for t in tickets)),
        "orphans": float(s.orphans_requeued),
    }


def _created(uow: UnitOfWork, since: datetime, until: datetime) -> list[HistoryEntry]:
    found: list[HistoryEntry] = []
    after = 0
    while True:
        page = uow.history.search(HistoryFilter(
            event="created", since=since, until=until, after_id=after, limit=PAGE))
        found += page
        if len(page) < PAGE:
            return found
        after = page[-1].id
