"""The SLA report: how the promises went over a period, for the whole selection and per queue
and per agent (the holder when the clock ended), from the clocks that ended in it
(`sla_outcomes`, one row per clock; a clock breached and then met counts as breached).

Times are as each policy counts them: business seconds for a policy in business hours,
calendar seconds otherwise. The service level at a threshold is the share of first responses
given within it; tickets whose policy has no first-response target are not in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from giliran.domain.errors import InvalidInput
from giliran.domain.people import Can
from giliran.domain.sla_figures import Ended, SlaFigures, figures
from giliran.service.context import Context, Principal
from giliran.service.reports.stats import period

DEFAULT_PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class Group:
    scope: str  # "all" | "queue" | "agent"
    key: str  # the queue's name, the agent's id, "" for all; "-" for clocks nobody held
    name: str  # what a person reads: the queue, the agent's name
    figures: SlaFigures


@dataclass(frozen=True)
class SlaReport:
    since: datetime
    until: datetime
    queue: str | None
    agent_id: int | None
    thresholds: tuple[int, ...]
    groups: tuple[Group, ...]  # the whole selection first, then each queue, then each agent


def sla_report(ctx: Context, who: Principal, thresholds: Sequence[int],
               since: datetime | None = None, until: datetime | None = None,
               queue: str | None = None, agent_id: int | None = None) -> SlaReport:
    """Clocks that ended in [since, until); by default the last 7 days. A supervisor limited
    to some queues sees only theirs (another's as the filter: 403 `not_your_queue`)."""
    who.require(Can.SUPERVISE)
    since, until = period(ctx, since, until, DEFAULT_PERIOD)
    with ctx.uow(write=False) as uow:
        if queue is not None and uow.queues.get(queue) is None:
            raise InvalidInput("the queue filter names no queue")
        if queue is not None:
            who.require_queue(queue)  # a supervisor limited to some queues: only those
        if agent_id is not None and uow.agents.get(agent_id) is None:
            raise InvalidInput("the agent filter names no agent")
        rows = [o for o in uow.sla_clocks.outcomes(since, until)
                if (queue is None or o.queue == queue) and who.sees_queue(o.queue)
                and (agent_id is None or o.agent_id == agent_id)]
        names = {a.id: a.name for a in uow.agents.all()}
    return SlaReport(since, until, queue, agent_id, tuple(thresholds),
                     groups(rows, thresholds, names))


def groups(rows: Sequence[Ended], thresholds: Sequence[int],
           names: dict[int, str]) -> tuple[Group, ...]:
    found = [Group("all", "", "", figures(rows, thresholds))]
    for q in sorted({o.queue for o in rows}):
        found.append(Group("queue", q, q, figures([o for o in rows if o.queue == q],
                                                  thresholds)))
    held = sorted({o.agent_id for o in rows}, key=lambda a: (a is None, a or 0))
    for a in held:
        mine = [o for o in rows if o.agent_id == a]
        key, name = ("-", "") if a is None else (str(a), names.get(a, f"#{a}"))
        found.append(Group("agent", key, name, figures(mine, thresholds)))
    return tuple(found)
