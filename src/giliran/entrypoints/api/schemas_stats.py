"""Response shapes of the audit's figures: history pages, statistics, time series."""
from __future__ import annotations

from datetime import datetime

from pydantic import (
    BaseModel,
    Field,
)

from giliran.entrypoints.api.schemas import (
    HistoryOut,
)
from giliran.entrypoints.api.schemas_desk import BandOut, ShareOut, UsageOut
from giliran.entrypoints.api.schemas_floor import ServiceLevelOut
from giliran.service.reports.series import Series
from giliran.service.reports.stats import Stats


class HistoryPage(BaseModel):
    items: list[HistoryOut]
    total: int
    limit: int
    offset: int


class DistributionOut(BaseModel):
    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None


class StatsOut(BaseModel):
    """Seconds for times; utilization and load as shares (0..1) of time online."""

    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    queue: str | None
    created: int
    assigned: int
    completed: int
    escalations: int
    assignment_time: DistributionOut = Field(description="Arrival to first assignment")
    queue_wait: DistributionOut = Field(description="Each stay in the queue that ended in an "
                                                    "assignment")
    agent_utilization: dict[str, float] = Field(description="Per agent: time online holding at "
                                                "least one ticket (of `queue`, when given), "
                                                "over time online; agents never online in the "
                                                "period are left out")
    agent_load: dict[str, float] = Field(description="Per agent: tickets held over capacity, "
                                         "averaged over time online")
    agents: dict[str, UsageOut] = Field(description="Per agent: time online, utilization, load "
                                        "and where utilization stands against the band")
    floor_utilization: float | None
    floor_load: float | None
    queues: dict[str, UsageOut] = Field(description="Per queue, over its members' time "
                                        "online (load against max_per_agent when set)")
    utilization_band: BandOut
    fairness: list[ShareOut] = Field(description="Per agent online in the period: assignments "
                                     "received against the share its time online would give")
    gini: float | None = Field(description="Of assignments among the agents online: 0 = equal")
    orphaned_tickets: int = Field(description="Active tickets held by nobody right now; must "
                                              "be 0")
    orphans_requeued: int = Field(description="Orphans the periodic check found and requeued")
    unreachable_tickets: int = Field(default=0, description="Waiting tickets nobody can take as "
                                     "things stand, right now (flag unreachable: no member, or "
                                     "pick-up off and no member taking tickets automatically)")
    service_levels: dict[str, ServiceLevelOut] = Field(
        default_factory=dict, description="Per queue, against its service_level_seconds: "
        "tickets that arrived in the period, answered within the target, waits, first response")

    @classmethod
    def of(cls, s: Stats) -> StatsOut:
        online = {k: u for k, u in s.agents.items() if u.online_seconds > 0}
        return cls(
            since=s.since, until=s.until, queue=s.queue, created=s.created,
            assigned=s.assigned, completed=s.completed, escalations=s.escalations,
            assignment_time=DistributionOut(**s.assignment_time.__dict__),
            queue_wait=DistributionOut(**s.queue_wait.__dict__),
            agent_utilization={str(k): round(u.utilization or 0.0, 4)
                               for k, u in online.items()},
            agent_load={str(k): round(u.load or 0.0, 4) for k, u in online.items()},
            agents={str(k): UsageOut.of(u, s.band) for k, u in online.items()},
            floor_utilization=_round(s.floor.utilization), floor_load=_round(s.floor.load),
            queues={k: UsageOut.of(u, s.band) for k, u in s.queues.items()},
            utilization_band=BandOut(low=s.band[0], high=s.band[1]),
            fairness=[ShareOut.of(x) for x in s.shares], gini=_round(s.gini),
            orphaned_tickets=s.orphaned_now, orphans_requeued=s.orphans_requeued,
            unreachable_tickets=s.unreachable_now,
            service_levels={k: ServiceLevelOut.of(v) for k, v in s.service_levels.items()},
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class BucketOut(BaseModel):
    start: datetime
    end: datetime
    queued: int = Field(description="Tickets waiting in the queue at the end of the bucket")
    assigned: int = Field(description="Assignments out of the queue during the bucket")
    mean_wait_seconds: float | None = Field(description="How long those had waited")


class SeriesOut(BaseModel):
    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    bucket_minutes: int
    queue: str | None
    buckets: list[BucketOut]

    @classmethod
    def of(cls, s: Series) -> SeriesOut:
        return cls(since=s.since, until=s.until, bucket_minutes=s.bucket_minutes, queue=s.queue,
                   buckets=[BucketOut(**b.__dict__) for b in s.buckets])
