"""The agent's inbox: the list of their conversations, read marks and internal notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from giliran.domain import errors as e
from giliran.domain.inbox import Entry, View
from giliran.domain.listing import NO_CHANNEL
from giliran.entrypoints.api.deps import AdminOrAgent, ApiRoute, Ctx, RowId, Run
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.routes_conversation import MessageOut
from giliran.entrypoints.api.schemas import MAX_INT, Strict, TicketOut
from giliran.service.conversations import inbox

router = APIRouter(route_class=ApiRoute, tags=["inbox"])
NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=4096)]


class ReadIn(Strict):
    message_id: int | None = Field(default=None, ge=1, le=MAX_INT, description="The newest "
                                   "message read (default: the ticket's newest)")


class ReadOut(BaseModel):
    ticket_id: int
    message_id: int = Field(description="The newest message read by the caller (0: the "
                            "conversation is empty); a mark only moves forward")
    unread: int = Field(description="The customer's messages after it")


class NoteIn(Strict):
    text: NoteText = Field(description="For colleagues only: never sent to the customer")


class InboxItem(BaseModel):
    ticket: TicketOut
    unread: int = Field(description="The customer's messages since the agent last read")
    awaiting_reply: bool = Field(description="The customer wrote after the desk's last "
                                 "answer (notes and giliran's own words do not answer)")
    last_message: MessageOut | None = Field(description="The newest message, notes included")
    channel: str | None = Field(description="whatsapp, telegram; null for an API ticket")
    customer_name: str | None
    failed_reply: bool = Field(description="The last reply to the customer failed and is "
                               "not resolved")

    @classmethod
    def of(cls, entry: Entry) -> InboxItem:
        ticket = TicketOut.of(entry.ticket, accept_deadline=entry.accept_deadline)
        last = entry.last_message
        return cls(ticket=ticket, unread=entry.unread, awaiting_reply=entry.awaiting_reply,
                   last_message=MessageOut.of(last) if last is not None else None,
                   channel=ticket.channel, customer_name=entry.customer_name,
                   failed_reply=entry.failed_reply)


class InboxOut(BaseModel):
    items: list[InboxItem]
    awaiting_reply: int = Field(description="The agent's open conversations awaiting their "
                                "answer, whatever the filters (the tab title and badge)")
    failed_replies: int = Field(description="The agent's open conversations whose last reply "
                                "failed")


READER = refusals(e.NotFound, e.NotYourTicket, e.NotYourQueue)


@router.get("/agent/inbox", response_model=InboxOut,
            openapi_extra=refusals(e.NotFound, e.InvalidInput))
def agent_inbox(
    ctx: Ctx, who: AdminOrAgent, view: View = View.MINE,
    queue: Annotated[str | None, Query(max_length=100)] = None,
    channel: Annotated[str | None, Query(max_length=20, description=
                                         f"whatsapp, telegram, or {NO_CHANNEL}")] = None,
    agent_id: Annotated[int | None, Query(ge=1, le=MAX_INT, description=
                                          "Supervisors: whose inbox")] = None,
) -> InboxOut:
    """The agent's conversations, what needs them now first: tickets waiting for their accept
    (soonest deadline first), then those awaiting an answer (most urgent, longest waiting
    first), then the rest, held ones last. `view`: `mine` (every open ticket they hold),
    `waiting` (the desk answered last), `on_hold`, `done_today` (completed since midnight
    UTC). A supervisor reads an agent's with `agent_id` (422 without it); an agent only
    their own (403 for another's)."""
    found = inbox.inbox(ctx, who, view, queue=queue, channel=channel, agent_id=agent_id)
    return InboxOut(items=[InboxItem.of(x) for x in found.entries],
                    awaiting_reply=found.awaiting_reply, failed_replies=found.failed_replies)


@router.post("/tickets/{ticket_id}/read", response_model=ReadOut, openapi_extra=READER)
async def mark_read(ticket_id: RowId, body: ReadIn, ctx: Ctx, who: AdminOrAgent,
                    run: Run) -> ReadOut:
    """The caller read the conversation up to `message_id` (the holder, a supervisor of its
    queue, an admin); each reader has their own mark."""
    mark = await run.write(inbox.mark_read, ctx, who, ticket_id, body.message_id)
    return ReadOut(ticket_id=mark.ticket_id, message_id=mark.message_id, unread=mark.unread)


@router.post("/tickets/{ticket_id}/notes", status_code=201, response_model=MessageOut,
             openapi_extra=READER)
async def add_note(ticket_id: RowId, body: NoteIn, ctx: Ctx, who: AdminOrAgent,
                   run: Run) -> MessageOut:
    """An internal note in the ticket's thread (direction `note`): for colleagues, never sent
    to the customer; it changes neither the ticket nor the customer's window."""
    return MessageOut.of(await run.write(inbox.add_note, ctx, who, ticket_id, body.text))
