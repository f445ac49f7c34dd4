"""The audit and the statistics: the history across tickets (JSON pages or CSV) and the
measures a desk is judged by."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from giliran.domain import errors as e
from giliran.domain.errors import InvalidInput
from giliran.domain.listing import number_in
from giliran.domain.model import Reason
from giliran.entrypoints.api.deps import ApiRoute, Ctx, Offset, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import MAX_INT, HistoryOut, Moment, QueueName
from giliran.entrypoints.api.schemas_stats import HistoryPage, SeriesOut, StatsOut
from giliran.service.ports import HistoryFilter
from giliran.service.reports import audit, series, stats

router = APIRouter(route_class=ApiRoute, tags=["audit"])
Id = Annotated[int | None, Query(ge=1, le=MAX_INT)]
CSV_COLUMNS = ["id", "at", "ticket_id", "ticket_number", "event", "reason", "actor",
               "from_agent_id", "to_agent_id", "note", "actor_name", "actor_via"]


def _utc(value: datetime | None) -> datetime | None:
    """Times without an offset are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def history_filter(
    ticket_id: Id = None,
    ticket: Annotated[str | None, Query(max_length=40, description="A ticket number "
                                        "(INC20261202000013) or id")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="desc: newest first (a "
                                                   "CSV export is always oldest first)")] = "asc",
    agent_id: Id = None,
    reason: Reason | None = None,
    queue: QueueName | None = None,
    from_: Annotated[Moment | None, Query(alias="from")] = None,
    to: Annotated[Moment | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> HistoryFilter:
    since, until = _utc(from_), _utc(to)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("'to' must be after 'from'")
    if ticket is not None:
        ticket_id = number_in(ticket)
        if ticket_id is None or ticket_id > MAX_INT:
            raise InvalidInput("'ticket' must be a ticket number (INC…) or id")
    return HistoryFilter(ticket_id=ticket_id, newest_first=order == "desc", agent_id=agent_id,
                         reason=reason.value if reason else None, queue=queue, since=since,
                         until=until, limit=limit, offset=offset)


Filter = Annotated[HistoryFilter, Depends(history_filter)]


@router.get("/history", openapi_extra=refusals(e.InvalidInput), response_model=HistoryPage)
def history(query: Filter, ctx: Ctx, who: Supervisor) -> HistoryPage:
    """Who had which ticket when, and why: every move, oldest first (`order=desc`: newest
    first). `ticket` takes a ticket number or id; `agent_id` matches the agent on either side
    of a move; `from` is inclusive, `to` exclusive."""
    found, total, numbers = audit.search_history(ctx, who, query)
    return HistoryPage(items=[HistoryOut.of(e, numbers.get(e.ticket_id)) for e in found],
                       total=total,
                       limit=query.limit, offset=query.offset)


@router.get("/history.csv", openapi_extra=refusals(e.InvalidInput),
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def history_csv(query: Filter, ctx: Ctx, who: Supervisor) -> StreamingResponse:
    """The same entries (every match, ignoring limit and offset) as CSV, for a reviewer."""
    batches = audit.export_history(ctx, who, query)
    first = next(batches, [])  # fail (401/403/422) before the response starts

    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for batch in itertools.chain([first] if first else [], batches):
            for entry, number in batch:
                writer.writerow([entry.id, entry.at.isoformat(), entry.ticket_id, number,
                                 entry.event, entry.reason.value, entry.actor.key,
                                 entry.from_agent_id or "", entry.to_agent_id or "",
                                 entry.note or "", entry.actor.name, entry.actor.via.value])
            yield out.getvalue()
            out.seek(0)
            out.truncate()

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="giliran-history-{stamp}.csv"'})


@router.get("/stats", openapi_extra=refusals(e.InvalidInput), response_model=StatsOut)
def desk_stats(
    ctx: Ctx,
    who: Supervisor,
    from_: Annotated[Moment | None, Query(alias="from")] = None,
    to: Annotated[Moment | None, Query()] = None,
    queue: QueueName | None = None,
) -> StatsOut:
    """Assignment time, queue wait, utilization and load over time online (per agent, per
    queue, against the target band), fairness (assignments against each agent's share of time
    online, and their Gini), escalations and orphaned tickets over a period (default: the last
    24 hours). With `queue`, the agents' figures count that queue's tickets. Times are in
    seconds."""
    return StatsOut.of(stats.stats(ctx, who, _utc(from_), _utc(to), queue))


@router.get("/stats/series", openapi_extra=refusals(e.InvalidInput), response_model=SeriesOut)
def stats_series(
    ctx: Ctx,
    who: Supervisor,
    hours: Annotated[int, Query(ge=1, le=168)] = 6,
    bucket_minutes: Annotated[int, Query(ge=1, le=1440)] = 15,
    queue: QueueName | None = None,
) -> SeriesOut:
    """Queue depth and the wait of assigned tickets over the last `hours`, in buckets of
    `bucket_minutes` (the last one ends now), replayed from the history."""
    return SeriesOut.of(series.series(ctx, who, hours, bucket_minutes, queue))
