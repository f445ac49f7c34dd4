"""The SLA report over a period: JSON, or CSV (`?format=csv`, or `Accept: text/csv`)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from giliran.domain import errors as e
from giliran.domain.errors import InvalidInput
from giliran.domain.sla_figures import TargetShare, Times, Within, parse_thresholds
from giliran.entrypoints.api.deps import ApiRoute, Ctx, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import MAX_INT, Moment, QueueName
from giliran.service.reports.sla_report import Group, SlaReport, sla_report

router = APIRouter(route_class=ApiRoute, tags=["audit"])


class TimesOut(BaseModel):
    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, t: Times) -> TimesOut:
        return cls(count=t.count, mean=t.mean, median=t.median, p90=t.p90)


class TargetShareOut(BaseModel):
    target: str
    clocks: int = Field(description="Clocks of this target that ended in the period")
    met: int
    breached: int
    met_share: float | None
    breached_share: float | None

    @classmethod
    def of(cls, s: TargetShare) -> TargetShareOut:
        return cls(target=s.target, clocks=s.clocks, met=s.met, breached=s.breached,
                   met_share=s.met_share, breached_share=s.breached_share)


class WithinOut(BaseModel):
    seconds: int
    answered: int = Field(description="First responses in the period")
    within: int = Field(description="Of them, given within `seconds`")
    share: float | None

    @classmethod
    def of(cls, w: Within) -> WithinOut:
        return cls(seconds=w.seconds, answered=w.answered, within=w.within, share=w.share)


class SlaGroupOut(BaseModel):
    scope: Literal["all", "queue", "agent"]
    key: str = Field(description="The queue's name, the agent's id; '-' for clocks that "
                                 "ended with no holder; '' for the whole selection")
    name: str
    targets: list[TargetShareOut]
    first_response: TimesOut
    resolution: TimesOut
    service_levels: list[WithinOut]

    @classmethod
    def of(cls, g: Group) -> SlaGroupOut:
        f = g.figures
        return cls(scope=g.scope, key=g.key, name=g.name,
                   targets=[TargetShareOut.of(s) for s in f.targets],
                   first_response=TimesOut.of(f.first_response),
                   resolution=TimesOut.of(f.resolution),
                   service_levels=[WithinOut.of(w) for w in f.service_levels])


class SlaReportOut(BaseModel):
    """Seconds as each policy counts them (business seconds for a policy in business
    hours); shares 0..1, null when nothing ended."""

    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    queue: str | None
    agent_id: int | None
    thresholds: list[int]
    groups: list[SlaGroupOut]

    @classmethod
    def of(cls, r: SlaReport) -> SlaReportOut:
        return cls(since=r.since, until=r.until, queue=r.queue, agent_id=r.agent_id,
                   thresholds=list(r.thresholds), groups=[SlaGroupOut.of(g) for g in r.groups])


CSV_COLUMNS = ["scope", "key", "name", "target", "clocks", "met", "breached", "met_share",
               "breached_share", "median_seconds", "p90_seconds"]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("/reports/sla", openapi_extra=refusals(e.InvalidInput, e.NotYourQueue),
            response_model=SlaReportOut, responses={200: {"content": {"text/csv": {}}}})
def sla(
    request: Request,
    ctx: Ctx,
    who: Supervisor,
    from_: Annotated[Moment | None, Query(alias="from")] = None,
    to: Annotated[Moment | None, Query()] = None,
    queue: QueueName | None = None,
    agent_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    thresholds: Annotated[str | None, Query(max_length=100, description="Seconds, e.g. "
                                            "30,60,300 (the default)")] = None,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
) -> SlaReportOut | Response:
    """The share of SLA clocks met and breached per target, first-response and resolution
    times and the service level at each threshold (first responses within it), over the
    clocks that ended in the period (default: the last 7 days): for the whole selection,
    then per queue and per agent (the holder when the clock ended)."""
    try:
        wanted = parse_thresholds(thresholds)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    report = sla_report(ctx, who, wanted, _utc(from_), _utc(to), queue, agent_id)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return _csv(report)
    return SlaReportOut.of(report)


def _csv(report: SlaReport) -> Response:
    """A row per group and target, then a row per group and threshold (target
    `within_<s>s`: `clocks` answered, `met` within it, `met_share` its share)."""
    out = io.StringIO()
    writer = csv.writer(out)
    levels = [f"within_{s}s" for s in report.thresholds]
    writer.writerow(CSV_COLUMNS)
    for g in report.groups:
        f = g.figures
        times = {"first_response": f.first_response, "resolution": f.resolution}
        for s in f.targets:
            t = times.get(s.target)
            writer.writerow([g.scope, g.key, g.name, s.target, s.clocks, s.met, s.breached,
                             _num(s.met_share), _num(s.breached_share),
                             _num(t.median if t else None), _num(t.p90 if t else None)])
        for label, w in zip(levels, f.service_levels, strict=True):
            writer.writerow([g.scope, g.key, g.name, label, w.answered, w.within, "",
                             _num(w.share), "", "", ""])
    stamp = report.until.strftime("%Y%m%dT%H%M%SZ")
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="giliran-sla-{stamp}.csv"'})


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"
