"""/api/v1/mailboxes: the desk's mailboxes, for those who configure the desk. Passwords and the
SMTP URL (which may hold one) are write-only: an answer says only whether they are set.

Built by `router(kit)` with what the API lends a channel (channels/port.py RouteKit), so the
routes check access before reading the body, write on the writer path and document their
refusals like every other route. No `from __future__ import annotations` here: FastAPI reads
the routes' annotations, which name the kit's dependencies made inside `router`.
"""

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from giliran.channels.email import mailboxes, originals
from giliran.channels.email.mailbox import InvalidMailbox, Mailbox, MailboxTaken
from giliran.channels.port import RouteKit
from giliran.domain import errors as e
from giliran.domain import text
from giliran.domain.people import Can
from giliran.service.context import Context, Principal

Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Host = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253)]
Port = Annotated[int, Field(ge=1, le=65535)]
User = Annotated[str, StringConstraints(min_length=1, max_length=254)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Folder = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Seconds = Annotated[int, Field(ge=5, le=86_400)]
Blocked = Annotated[list[Annotated[str, StringConstraints(min_length=3, max_length=254)]],
                    Field(max_length=1000)]
Security = Literal["tls", "starttls", "none"]
MailboxId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SMTP_URL = ("smtp://host:port (STARTTLS when offered) or smtps://user:password@host:465; "
            "write-only")
BLOCK_LIST = "addresses and @domains whose mail opens no ticket"


class Body(BaseModel):
    """No unknown fields, and no text the databases cannot store (as every request body)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if text.unstorable_at(data) is not None:
            raise PydanticCustomError("unstorable_text", "a field " + text.PROBLEM)
        return data


class MailboxIn(Body):
    address: Address = Field(description="the desk's address, e.g. support@desk.example")
    queue: Name = Field(description="the queue its mail's tickets go to")
    name: Name | None = Field(default=None, description="its display name; default the "
                              "address's local part")
    imap_host: Host | None = Field(default=None, description="null: mail does not come in "
                                   "over IMAP (the SMTP listener or the HTTP endpoint)")
    imap_port: Port | None = Field(default=None, description="default 993 (tls), 143")
    imap_security: Security = "tls"
    imap_user: User | None = None
    imap_password: Secret | None = Field(default=None, description="write-only")
    imap_folder: Folder = "INBOX"
    imap_move_to: Folder | None = Field(default=None, description="a folder to move mail to "
                                        "once it is stored; null: left where it is")
    imap_idle: bool = Field(default=True, description="IMAP IDLE where the server offers it")
    poll_seconds: Seconds = Field(default=60, description="how often to look without IDLE")
    smtp_url: Secret | None = Field(default=None, description=SMTP_URL)
    block_list: Blocked = Field(default_factory=list, description=BLOCK_LIST)


class MailboxPatch(Body):
    address: Address | None = None
    queue: Name | None = None
    name: Name | None = None
    imap_host: Host | None = None
    imap_port: Port | None = None
    imap_security: Security | None = None
    imap_user: User | None = None
    imap_password: Secret | None = Field(default=None, description="write-only; null forgets it")
    imap_folder: Folder | None = None
    imap_move_to: Folder | None = None
    imap_idle: bool | None = None
    poll_seconds: Seconds | None = None
    smtp_url: Secret | None = Field(default=None, description=SMTP_URL + "; null forgets it")
    block_list: Blocked | None = Field(default=None, description=BLOCK_LIST)


class MailboxOut(BaseModel):
    id: int
    address: str
    queue: str
    name: str
    active: bool
    imap_host: str | None
    imap_port: int | None
    imap_security: Security
    imap_user: str | None
    imap_password_set: bool
    imap_folder: str
    imap_move_to: str | None
    imap_idle: bool
    poll_seconds: int
    smtp_server: str | None = Field(description="the SMTP URL without its credentials")
    smtp_url_set: bool
    block_list: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, m: Mailbox) -> "MailboxOut":
        return cls(id=m.id, created_at=m.created_at, updated_at=m.updated_at, **m.shown())


class Mailboxes(BaseModel):
    items: list[MailboxOut]


def router(kit: RouteKit) -> APIRouter:
    api = APIRouter(route_class=kit.route_class)
    tags: list[str | Enum] = ["mailboxes"]  # per route: a mail's original is the conversation's
    ctx_dep = Annotated[Context, Depends(kit.ctx)]
    runner = Annotated[Any, Depends(kit.runner)]
    configurer = Annotated[Principal, Depends(kit.access(Can.CONFIGURE))]
    change = kit.refusals(e.NotFound, InvalidMailbox, MailboxTaken)

    @api.get("/mailboxes", response_model=Mailboxes, tags=tags)
    def list_mailboxes(ctx: ctx_dep, who: configurer) -> Mailboxes:
        """Every mailbox, deactivated ones too, by address."""
        return Mailboxes(items=[MailboxOut.of(m) for m in mailboxes.listed(ctx, who)])

    @api.post("/mailboxes", status_code=201, response_model=MailboxOut, tags=tags,
              openapi_extra=kit.refusals(InvalidMailbox, MailboxTaken))
    async def create_mailbox(body: MailboxIn, ctx: ctx_dep, who: configurer,
                             run: runner) -> MailboxOut:
        """A mailbox whose mail becomes tickets in `queue`."""
        made = await run.write(mailboxes.create, ctx, who, body.model_dump())
        return MailboxOut.of(made)

    @api.get("/mailboxes/{mailbox_id}", response_model=MailboxOut, tags=tags,
             openapi_extra=kit.refusals(e.NotFound))
    def get_mailbox(mailbox_id: MailboxId, ctx: ctx_dep,
                    who: configurer) -> MailboxOut:
        return MailboxOut.of(mailboxes.get(ctx, who, mailbox_id))

    @api.patch("/mailboxes/{mailbox_id}", response_model=MailboxOut, openapi_extra=change,
               tags=tags)
    async def change_mailbox(mailbox_id: MailboxId, body: MailboxPatch,
                             ctx: ctx_dep, who: configurer,
                             run: runner) -> MailboxOut:
        """Changes the fields sent; a secret sent as null is forgotten."""
        fields = body.model_dump(exclude_unset=True)
        return MailboxOut.of(await run.write(mailboxes.change, ctx, who, mailbox_id, fields))

    @api.delete("/mailboxes/{mailbox_id}", response_model=MailboxOut, tags=tags,
                openapi_extra=kit.refusals(e.NotFound))
    async def deactivate_mailbox(mailbox_id: MailboxId, ctx: ctx_dep,
                                 who: configurer, run: runner) -> MailboxOut:
        """Deactivates it: its mail is read no more; it, its tickets and messages stay."""
        return MailboxOut.of(await run.write(mailboxes.deactivate, ctx, who, mailbox_id))

    reader = Annotated[Principal, Depends(kit.access(Can.SUPERVISE, Can.WORK))]

    @api.get("/tickets/{ticket_id}/messages/{message_id}/original", tags=["conversations"],
             response_class=Response, openapi_extra=kit.refusals(e.NotFound, e.NotYourTicket),
             responses={200: {"content": {"message/rfc822": {}}, "description": "The mail"}})
    def mail_original(ticket_id: MailboxId, message_id: MailboxId, ctx: ctx_dep,
                      who: reader) -> Response:
        """A customer's mail exactly as it arrived (`.eml`), headers and all (supervisors and
        the ticket's holder)."""
        raw = originals.original_of(ctx, who, ticket_id, message_id)
        return Response(raw, media_type="message/rfc822", headers={
            "Content-Disposition": f'attachment; filename="message-{message_id}.eml"',
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})

    return api
