"""The audit log of changes to agents, queues and settings: JSON pages, newest first, or CSV."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from giliran.domain import errors as e
from giliran.domain.audit import AuditKind
from giliran.domain.errors import InvalidInput
from giliran.entrypoints.api.deps import ApiRoute, Ctx, Offset, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.routes_audit import _utc
from giliran.entrypoints.api.schemas import MAX_INT
from giliran.entrypoints.api.schemas_desk import AuditOut, AuditPage
from giliran.service import audit_log
from giliran.service.ports import AuditFilter

router = APIRouter(route_class=ApiRoute, tags=["audit"])
Text = Annotated[str | None, Query(min_length=1, max_length=200)]
CSV_COLUMNS = ["id", "at", "actor", "kind", "subject", "action", "before", "after",
               "actor_name", "actor_via"]


def audit_filter(
    kind: AuditKind | None = None,
    subject: Text = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=200, description="The "
                                       "actor's key: admin, agent:<id>, user:<id>, system")] = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_INT, description="Changes made by this "
                                         "user, whichever of their keys they came with")] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> AuditFilter:
    since, until = _utc(from_), _utc(to)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("'to' must be after 'from'")
    return AuditFilter(kind=kind, subject=subject, actor=actor, user_id=user_id, since=since,
                       until=until, limit=limit, offset=offset)


Filter = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/audit", openapi_extra=refusals(e.InvalidInput), response_model=AuditPage)
def audit(query: Filter, ctx: Ctx, who: Supervisor) -> AuditPage:
    """Every change to agents (creation, deactivation, rotation order, capacity, queues,
    auto-assign and its lock, language, pauses), queues (every policy field, presets, the
    rotation's pointer) and run-time settings: who, when, and the changed fields before and
    after. Newest first; kept for good. `subject` is an agent's id, a queue's name or a
    setting's name; `actor` is `admin`, `agent:<id>`, `user:<id>` or `system`, and `by`
    says who that was (their user, name and how they came)."""
    found, total = audit_log.search_audit(ctx, who, query)
    return AuditPage(items=[AuditOut.of(e) for e in found], total=total, limit=query.limit,
                     offset=query.offset)


@router.get("/audit.csv", openapi_extra=refusals(e.InvalidInput),
            response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def audit_csv(query: Filter, ctx: Ctx, who: Supervisor) -> StreamingResponse:
    """The same entries (every match, ignoring limit and offset) as CSV, before and after as
    JSON."""
    batches = audit_log.export_audit(ctx, who, query)
    first = next(batches, [])  # fail (401/403/422) before the response starts

    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for batch in itertools.chain([first] if first else [], batches):
            for entry in batch:
                writer.writerow([entry.id, entry.at.isoformat(), entry.actor.key,
                                 entry.kind.value, entry.subject, entry.action,
                                 _json(entry.before), _json(entry.after), entry.actor.name,
                                 entry.actor.via.value])
            yield out.getvalue()
            out.seek(0)
            out.truncate()

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="giliran-audit-{stamp}.csv"'})


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)
