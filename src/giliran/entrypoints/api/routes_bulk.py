"""Bulk actions on tickets: one request, a result per ticket (service/tickets/bulk.py)."""

from __future__ import annotations

from typing import NoReturn

from fastapi import APIRouter
from starlette.exceptions import HTTPException

from giliran.domain import errors as e
from giliran.entrypoints.api.deps import ApiRoute, Ctx, Run, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas_bulk import BulkIn, BulkOut, BulkPreview
from giliran.service.tickets import bulk

router = APIRouter(route_class=ApiRoute, prefix="/tickets", tags=["tickets"])
# Included before the tickets' routes: /tickets/bulk is no ticket, but GET and PATCH would
# otherwise reach /tickets/{ticket_id} and answer 422 for the id "bulk" instead of 405.
literal = APIRouter(prefix="/tickets", include_in_schema=False)


@literal.api_route("/bulk", methods=["GET", "PATCH"], include_in_schema=False,
                   response_model=None)
def bulk_methods() -> NoReturn:
    raise HTTPException(405)  # the Allow header comes from the documented methods (errors.py)


@router.post("/bulk", openapi_extra=refusals(e.TooManyTickets, e.NotYourQueue),
             response_model=BulkOut | BulkPreview)
async def bulk_action(body: BulkIn, ctx: Ctx, who: Supervisor, run: Run) -> BulkOut | BulkPreview:
    """One action on many tickets: `ids` (1 to 500), or every ticket the list shows with
    `filter` (the list's filters; 422 `too_many_tickets` past 1000 matches). `action` is
    `reassign` (`agent_id`, `force`), `requeue` (back to automatic dispatch: a held ticket
    unassigned, a flagged queued one unflagged and dispatched again), `priority`
    (`priority`), `move` (`queue`: a held ticket is transferred there), `cancel` or
    `clear_flag`; other arguments are refused. All or nothing per ticket: each is moved by the
    single move's rules in its own transaction, and a refusal is its result (`not_found`,
    `not_your_queue`, `invalid_transition`, `capacity_exceeded`, `not_flagged`...). A ticket
    the filter matched when it was read but no longer does at its turn (moved meanwhile by
    the engine or another supervisor) is left as it is: `no_longer_matches`. `dry_run`
    answers the count and the ids, changing nothing. One audit-log entry (kind `tickets`)
    names the action, its arguments and the tickets."""
    query = waiting = None
    if body.filter is not None:
        query, waiting = body.filter.query(), body.filter.waiting_longer_than
        ids = await run.read(bulk.matching, ctx, who, query, waiting)
    else:
        ids = list(body.ids or ())
    if body.dry_run:
        return BulkPreview(count=len(ids), ids=ids)
    spec = body.bulk()
    check = bulk.still_matching(ctx, who, query, waiting) if query is not None else None
    # A write per ticket: other writers (intake, accepts) go between them.
    outcomes = [await run.write(bulk.one, ctx, who, i, spec, check) for i in ids]
    await run.write(bulk.audit, ctx, who, spec, outcomes, by_filter=query is not None)
    return BulkOut.of(spec.action, outcomes)
