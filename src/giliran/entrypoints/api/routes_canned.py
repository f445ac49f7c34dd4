"""Canned replies: saved answers per queue or for every queue, inserted with "/"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from giliran.domain import errors as e
from giliran.domain.canned import CannedReply
from giliran.entrypoints.api.deps import AdminOrAgent, ApiRoute, Ctx, RowId, Run, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import Strict
from giliran.service.conversations import canned

router = APIRouter(route_class=ApiRoute, tags=["canned replies"])
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
QueueName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Language = Literal["en", "id"]
VARIABLES = "{customer_name}, {ticket_number} and {agent_name} are filled in when used"


class CannedReplyOut(BaseModel):
    id: int
    name: str
    text: str
    queue: str | None = Field(description="null: for every queue")
    language: str | None = Field(description="en, id; null: for any language")
    updated_at: datetime

    @classmethod
    def of(cls, r: CannedReply) -> CannedReplyOut:
        return cls(id=r.id, name=r.name, text=r.text, queue=r.queue, language=r.language,
                   updated_at=r.updated_at)


class CannedReplyIn(Strict):
    name: Name
    text: Text = Field(description=VARIABLES)
    queue: QueueName | None = None
    language: Language | None = None


class CannedReplyPatch(Strict):
    name: Name | None = None
    text: Text | None = Field(default=None, description=VARIABLES)
    queue: QueueName | None = Field(default=None, description="null: for every queue")
    language: Language | None = None


class CannedReplies(BaseModel):
    items: list[CannedReplyOut]


CHANGE = refusals(e.NotFound, e.NotYourQueue, e.InvalidInput)


@router.get("/canned-replies", response_model=CannedReplies,
            openapi_extra=refusals(e.NotYourQueue))
def list_replies(ctx: Ctx, who: AdminOrAgent,
                 queue: Annotated[str | None, Query(max_length=100)] = None,
                 language: Language | None = None) -> CannedReplies:
    """Those the caller may use, by name: an agent's queues' and the global ones, a
    supervisor's queues' (all for an unscoped one); with `queue`, that queue's and the global
    ones; with `language`, those in it and those for any language."""
    return CannedReplies(items=[CannedReplyOut.of(r)
                                for r in canned.listed(ctx, who, queue, language)])


@router.post("/canned-replies", status_code=201, response_model=CannedReplyOut,
             openapi_extra=CHANGE)
async def create_reply(body: CannedReplyIn, ctx: Ctx, who: Supervisor,
                       run: Run) -> CannedReplyOut:
    """A new canned reply, for `queue` or (unscoped supervisors) for every queue."""
    return CannedReplyOut.of(await run.write(canned.create, ctx, who, body.model_dump()))


@router.get("/canned-replies/{reply_id}", response_model=CannedReplyOut,
            openapi_extra=refusals(e.NotFound, e.NotYourQueue))
def get_reply(reply_id: RowId, ctx: Ctx, who: AdminOrAgent) -> CannedReplyOut:
    return CannedReplyOut.of(canned.get(ctx, who, reply_id))


@router.patch("/canned-replies/{reply_id}", response_model=CannedReplyOut,
              openapi_extra=CHANGE)
async def change_reply(reply_id: RowId, body: CannedReplyPatch, ctx: Ctx, who: Supervisor,
                       run: Run) -> CannedReplyOut:
    """Changes the fields sent; `"queue": null` makes it a reply for every queue."""
    fields = body.model_dump(exclude_unset=True)
    for required in ("name", "text"):
        if required in fields and fields[required] is None:
            raise e.InvalidInput(f"a canned reply needs a {required}")
    return CannedReplyOut.of(await run.write(canned.change, ctx, who, reply_id, fields))


@router.delete("/canned-replies/{reply_id}", status_code=204,
               openapi_extra=refusals(e.NotFound, e.NotYourQueue))
async def delete_reply(reply_id: RowId, ctx: Ctx, who: Supervisor, run: Run) -> Response:
    await run.write(canned.remove, ctx, who, reply_id)
    return Response(status_code=204)


@router.get("/tickets/{ticket_id}/canned-replies", response_model=CannedReplies,
            openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.NotYourQueue))
def ticket_replies(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent) -> CannedReplies:
    """The replies for the ticket's queue and the global ones, filled in for it
    (customer_name, ticket_number, agent_name; anything else in braces is left as typed, as is
    a variable with no value), the customer's language first."""
    return CannedReplies(items=[CannedReplyOut.of(r)
                                for r in canned.for_ticket(ctx, who, ticket_id)])
