"""Talking to customers: a ticket's conversation, replies, who the customer is, their media."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, StringConstraints, ValidationError, model_validator

from giliran.channels.port import Media
from giliran.domain import attachments
from giliran.domain import errors as e
from giliran.domain.conversation import Direction, Kind, Message, State
from giliran.domain.errors import NotConfigured, NotFound
from giliran.domain.model import TicketStatus
from giliran.entrypoints.api import uploads
from giliran.entrypoints.api.deps import AdminOrAgent, ApiRoute, Ctx, Limit, Offset, RowId, Run
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.openapi import SCHEMAS_KEY
from giliran.entrypoints.api.root import Parts
from giliran.entrypoints.api.routes_customers import AddressOut, channel_of
from giliran.entrypoints.api.schemas import Strict
from giliran.service.conversations import conversation, failures
from giliran.service.conversations.conversation import CustomerView

router = APIRouter(route_class=ApiRoute, prefix="/tickets", tags=["conversations"])
READ = refusals(e.NotFound, e.NotYourTicket)
ReplyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=4096)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=100, pattern=r"^[A-Za-z0-9._:-]+$",
    description="Repeating a reply with the same key returns the first one (200) instead "
                "of sending it twice")]


class MessageOut(BaseModel):
    id: int
    direction: Direction = Field(description="in: from the customer; out: to the customer; "
                                 "note: an internal note, never sent")
    channel: str
    kind: Kind
    sender: str = Field(description="The customer's name, or who on the desk wrote it")
    author: str | None = Field(description="out and note: agent:<id>, user:<id>, admin or "
                               "system")
    body: str = Field(description="The text, or a media caption")
    content: dict[str, Any] = Field(description="What the kind holds: media_id, mime_type, "
                                    "file_name, size; latitude, longitude, name, address; "
                                    "contacts; the choice's id and title; a reaction's emoji "
                                    "and the message it reacts to; earlier texts (edits); "
                                    "for an unknown kind its type and the raw payload")
    at: datetime
    state: State | None = Field(description="out: queued, sent, delivered, read or failed")
    state_at: datetime | None
    error: str | None = Field(description="out, failed: the channel's code and reason")
    edited_at: datetime | None
    has_media: bool = Field(description="GET …/messages/{id}/media returns the file")
    channel_message_id: str | None = Field(default=None, description=(
        "Its id at the channel (in: as delivered; out: once the channel took it); a "
        "reaction's content.message_id names the message it reacts to by this id"))

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(id=m.id, direction=m.direction, channel=m.channel, kind=m.kind,
                   sender=m.sender, author=m.author, body=m.body, content=m.content, at=m.at,
                   state=m.state, state_at=m.state_at, error=m.error, edited_at=m.edited_at,
                   has_media=m.media_id is not None,
                   channel_message_id=m.at_channel)


class MessagePage(BaseModel):
    items: list[MessageOut]
    total: int
    limit: int
    offset: int


class ReplyIn(Strict):
    text: ReplyText | None = Field(default=None, description="What to send")
    template: bool = Field(default=False, description="Send the configured WhatsApp "
                           "template instead (to write again after the 24-hour window)")

    @model_validator(mode="after")
    def _one(self) -> ReplyIn:
        if (self.text is None) == (not self.template):
            raise ValueError("send either text or template: true")
        return self


class EarlierTicket(BaseModel):
    id: int
    number: str
    channel: str | None = Field(description="The channel of the address it came on (a "
                                "linked address's tickets show too)")
    title: str
    status: TicketStatus
    priority: str
    created_at: datetime
    closed_at: datetime | None


class CustomerOut(BaseModel):
    key: str = Field(description="channel:address: GET /api/v1/customers/{key} is the person")
    channel: str
    address: str = Field(description="WhatsApp: +E.164; Telegram: @username, else the chat id")
    name: str | None
    username: str | None
    last_message_at: datetime | None
    window_closes_at: datetime | None = Field(description="WhatsApp: free text is accepted "
                                              "until then (24 hours after their last message)")
    window_open: bool
    blocked_at: datetime | None = Field(description="When they blocked the bot (Telegram): "
                                        "replies are refused (409 customer_blocked) until "
                                        "they write again")
    template_available: bool = Field(description="Whether {\"template\": true} can be sent to "
                                     "them: WhatsApp, with GILIRAN_WHATSAPP_TEMPLATE configured")
    earlier_tickets: list[EarlierTicket] = Field(description="Their other tickets on every "
                                                 "linked address, newest first (at most 20)")
    linked: list[AddressOut] = Field(description="Every address linked as this person (this "
                                     "one included), the first first")

    @classmethod
    def of(cls, view: CustomerView) -> CustomerOut:
        c = view.customer
        return cls(key=c.key, channel=c.channel, address=c.shown_address, name=c.name,
                   username=c.username, last_message_at=c.last_incoming_at,
                   window_closes_at=c.window_closes_at(), window_open=view.window_open,
                   blocked_at=c.blocked_at, template_available=view.template_available,
                   earlier_tickets=[EarlierTicket(
                       id=t.id, number=t.number, channel=channel_of(t.contact), title=t.title,
                       status=t.status, priority=t.priority.label, created_at=t.created_at,
                       closed_at=t.closed_at) for t in view.earlier],
                   linked=[AddressOut.of(p) for p in view.person])


@router.get("/{ticket_id}/messages", openapi_extra=READ, response_model=MessagePage)
def ticket_messages(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent, limit: Limit = 100,
                    offset: Offset = 0) -> MessagePage:
    """The whole conversation, both directions, oldest first (admins and the holder)."""
    found, total = conversation.conversation(ctx, who, ticket_id, limit, offset)
    return MessagePage(items=[MessageOut.of(m) for m in found], total=total, limit=limit,
                       offset=offset)


# Both bodies are read by the route itself (a file must stream to disk, never be buffered
# whole), so the OpenAPI document states them here.
REPLY_WITH_FILE = {
    "type": "object", "required": ["file"], "title": "ReplyWithFile",
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "An image (JPEG, PNG, WebP) or a document"},
        "text": {"type": "string", "maxLength": attachments.LONGEST_CAPTION,
                 "description": "Its caption"}}}
REPLY_BODIES = {
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ReplyIn"}},
        "multipart/form-data": {"schema": {"$ref": "#/components/schemas/ReplyWithFile"}}}},
    SCHEMAS_KEY: {"ReplyIn": ReplyIn.model_json_schema(), "ReplyWithFile": REPLY_WITH_FILE},
}


@router.post("/{ticket_id}/messages", status_code=201, response_model=MessageOut,
             openapi_extra={**REPLY_BODIES, **refusals(
                 e.NotFound, e.NotYourTicket, e.AssignmentRevoked, e.InvalidTransition,
                 e.NoChannel, e.OutsideCustomerWindow, e.CustomerBlocked, e.InvalidInput,
                 e.NotConfigured, e.UploadTooLarge, e.UnsupportedMediaType)},
             responses={200: {"model": MessageOut,
                              "description": "Sent before with this Idempotency-Key"}})
async def reply(request: Request, root: Parts, ticket_id: RowId, ctx: Ctx, who: AdminOrAgent,
                run: Run, key: IdempotencyKey = None) -> Response:
    """Answer the customer on the ticket's channel (the holder, or an admin). The reply is
    stored (state `queued`) and sent through the outbox with retries; its state follows what
    the channel reports. The holder's first reply accepts an assigned ticket when its queue
    has `reply_accepts`. 409 `outside_customer_window` on WhatsApp 24 hours after the
    customer's last message (send `{"template": true}` then), `customer_blocked` when the
    customer blocked the bot (until they write again), `no_channel` for a ticket that came
    from no channel; 503 `not_configured` when this server cannot send on it.

    A file goes as `multipart/form-data`: a `file` part and an optional `text` caption. An
    image (JPEG, PNG, WebP) is shown in the chat, anything else goes as a document, within
    the channel's limits (WhatsApp: images JPEG/PNG up to 5 MB, PDF, text and Office
    documents up to 100 MB; Telegram: photos up to 10 MB, any document up to 50 MB) and
    GILIRAN_UPLOAD_MAX_BYTES: 413 `too_large`, 415 `unsupported_media_type`. The file is kept
    before the reply is written; `GET …/messages/{id}/media` returns it as uploaded."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await _reply_with_file(request, root, ticket_id, ctx, who, run, key)
    body = await _json_body(request)
    message, created = await run.write(conversation.reply, ctx, who, ticket_id,
                                       conversation.Reply(body.text, body.template, key))
    return _answer(message, created)


async def _json_body(request: Request) -> ReplyIn:
    """The JSON body, refused as FastAPI refuses a body it validates (422 invalid_request)."""
    try:
        return ReplyIn.model_validate_json(await request.body() or b"null")
    except ValidationError as exc:
        raise RequestValidationError([{**err, "loc": ("body", *err["loc"])}
                                      for err in exc.errors(include_input=False)]) from None


async def _reply_with_file(request: Request, root: Parts, ticket_id: int, ctx: Ctx,
                           who: AdminOrAgent, run: Run, key: str | None) -> Response:
    # Who may answer, and on which channel (its types and limits), before a byte is kept.
    channel = await run.read(conversation.upload_channel, ctx, who, ticket_id)
    files = root.container.files
    got = await uploads.receive(request, files, channel, root.settings.upload_max_bytes)
    kept = got.attachment.key
    try:
        message, created = await run.write(
            conversation.reply, ctx, who, ticket_id,
            conversation.Reply(got.text, False, key, got.attachment))
    except BaseException:
        await asyncio.to_thread(files.remove, kept)
        raise
    if not created:  # the same Idempotency-Key again: the first reply's file is the one
        await asyncio.to_thread(files.remove, kept)
    return _answer(message, created)


def _answer(message: Message, created: bool) -> Response:
    return Response(MessageOut.of(message).model_dump_json(), 201 if created else 200,
                    media_type="application/json")


@router.post("/{ticket_id}/messages/{message_id}/retry", response_model=MessageOut,
             openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.AssignmentRevoked,
                                    e.InvalidTransition, e.NoChannel, e.OutsideCustomerWindow,
                                    e.CustomerBlocked, e.NotConfigured))
async def retry_reply(ticket_id: RowId, message_id: RowId, ctx: Ctx, who: AdminOrAgent,
                      run: Run) -> MessageOut:
    """Send a failed reply again, as it was (state `queued` again), under a new reply's rules
    (the holder, or a supervisor). 409 `invalid_transition` for anything but a failed reply,
    `outside_customer_window` when WhatsApp's 24 hours have passed since the customer last
    wrote (answer with `{"template": true}` then, or retry once they write again)."""
    return MessageOut.of(await run.write(failures.retry_reply, ctx, who, ticket_id,
                                         message_id))


@router.get("/{ticket_id}/customer", openapi_extra=READ, response_model=CustomerOut)
def ticket_customer(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent) -> CustomerOut:
    """Who the ticket is for and their other tickets (admins and the holder); 404 for a
    ticket that came from no channel."""
    return CustomerOut.of(conversation.customer_of(ctx, who, ticket_id))


@router.get("/{ticket_id}/messages/{message_id}/media", response_class=Response,
            openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.TooLarge,
                                   e.ChannelUnavailable, e.NotConfigured),
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The file"}})
async def message_media(root: Parts, ticket_id: RowId, message_id: RowId, ctx: Ctx,
                        who: AdminOrAgent, run: Run) -> Response:
    """A photo, document, voice message... the customer sent, fetched from the channel on
    demand (admins and the holder) and kept on disk (GILIRAN_MEDIA_CACHE_*). 413
    `media_too_large` over GILIRAN_MEDIA_MAX_BYTES, 502 `channel_unavailable` when the
    channel does not hand it over."""
    message = await run.read(conversation.media_of, ctx, who, ticket_id, message_id)
    media = await _media(root, message)
    mime = str(message.content.get("mime_type") or media.mime_type)
    name = str(message.content.get("file_name") or media.file_name or f"{message.kind.value}")
    inline = mime.startswith(("image/", "audio/", "video/")) and "svg" not in mime
    disposition = "inline" if inline else "attachment"
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100]
    return Response(media.data, media_type=mime, headers={
        "Content-Disposition": f'{disposition}; filename="{safe}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300",
    })


async def _media(root: Parts, message: Message) -> Media:
    """A file the desk sent, from the outgoing files; a customer's, from the media cache or
    their channel. Either way the media id comes from the message the caller was just allowed
    to open, so nobody is served what the checks would refuse."""
    if message.direction is Direction.OUT:
        data = await asyncio.to_thread(root.container.files.get, str(message.media_id))
        if data is None:
            raise NotFound(f"the file of message {message.id} is no longer kept")
        return Media(data, str(message.content.get("mime_type")),
                     str(message.content.get("file_name")))
    client = root.channels.get(message.channel)
    if client is None:
        raise NotConfigured(f"this server has no {message.channel} client to fetch media with")
    return await root.media.fetch(client, message.channel, str(message.media_id),
                                  root.settings.media_max_bytes)
