"""Hold: the holder parks a ticket while it waits for the customer, and takes it up again.
A customer's message or the hold's limit ends a hold by itself (no route: the channels and
the timer pass)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import Field
from pydantic import Strict as PydanticStrict

from giliran.domain import errors as e
from giliran.domain.hold import MAX_REASON
from giliran.domain.model import MAX_HOLD_MINUTES
from giliran.entrypoints.api.deps import AdminOrAgent, ApiRoute, Ctx, RowId, Run
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import Strict, TicketOut
from giliran.service.tickets import hold

router = APIRouter(route_class=ApiRoute, prefix="/tickets", tags=["tickets"])


class HoldRequest(Strict):
    minutes: Annotated[int, PydanticStrict(), Field(ge=1, le=MAX_HOLD_MINUTES)] | None = Field(
        default=None, description="How long at most (the queue's hold_minutes by default, and "
                                  "at most those: 422 beyond)")
    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON)] | None = Field(
        default=None, description="Why, for the history")


@router.post("/{ticket_id}/hold",
             openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.InvalidTransition,
                                    e.InvalidInput),
             response_model=TicketOut)
async def hold_ticket(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent, run: Run,
                      body: Annotated[HoldRequest | None, Body()] = None) -> TicketOut:
    """On hold while waiting for the customer (status `on_hold`, until `hold_until`): the
    holder's, or a supervisor's of its queue. An assigned ticket is accepted first. Whether
    it keeps the holder's slot is the queue's `hold_frees_slot`. The customer's next message
    brings it back to the holder (online, with room), else to the queue; at `hold_until` the
    queue's `hold_expiry` returns or closes it. 409 `invalid_transition` unless assigned or in
    progress."""
    asked = body or HoldRequest()
    return TicketOut.of(await run.write(hold.hold_ticket, ctx, who, ticket_id,
                                        minutes=asked.minutes, why=asked.reason))


@router.delete("/{ticket_id}/hold",
               openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.InvalidTransition,
                                      e.AgentFull),
               response_model=TicketOut)
async def unhold_ticket(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent, run: Run) -> TicketOut:
    """Off hold, in progress again with its holder. 409 `agent_full` when the hold freed the
    slot and the holder has no room now; `invalid_transition` when it is not on hold."""
    return TicketOut.of(await run.write(hold.unhold_ticket, ctx, who, ticket_id))
