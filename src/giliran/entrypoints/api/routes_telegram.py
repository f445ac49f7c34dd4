"""Telegram for agents: linking an agent's chat, and the notices outbox for admins. The bot's
webhook is the channels' route (`routes_channels.py`, `giliran.channels.telegram`)."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from giliran.domain import errors as e
from giliran.domain.conversation import TELEGRAM
from giliran.domain.delivery import DeliveryStatus
from giliran.domain.errors import NotConfigured
from giliran.domain.model import Language
from giliran.domain.notices import Notice
from giliran.domain.people import Can
from giliran.entrypoints.api.deps import (
    AgentOnly,
    ApiRoute,
    Configurer,
    Ctx,
    Limit,
    Offset,
    RowId,
    Run,
    Supervisor,
)
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.root import Parts, Root
from giliran.entrypoints.api.schemas import Strict
from giliran.service.conversations import chat_links, failures
from giliran.service.notices import notify, supervisor_chats

router = APIRouter(route_class=ApiRoute, tags=["telegram"])
log = logging.getLogger("giliran.telegram")


class LinkCode(BaseModel):
    code: str
    expires_at: datetime
    send_to_bot: str  # what the agent writes to the bot


class NoticeOut(BaseModel):
    id: int
    channel: str
    chat_id: str
    text: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    ticket_id: int | None = Field(default=None, description="The ticket it is about")
    message_id: int | None = Field(default=None, description="The conversation message it "
                                   "carries to a customer (a reply)")

    @classmethod
    def of(cls, n: Notice) -> NoticeOut:
        return cls(id=n.id, channel=n.channel, chat_id=n.chat_id, text=n.text, status=n.status,
                   attempts=n.attempts, next_attempt_at=n.next_attempt_at,
                   last_error=n.last_error, delivered_at=n.delivered_at,
                   ticket_id=n.ticket_id, message_id=n.message_id)


class NoticePage(BaseModel):
    items: list[NoticeOut]
    total: int
    limit: int
    offset: int


class TelegramState(BaseModel):
    enabled: bool  # a bot is configured on this server
    linked: bool  # the calling agent's chat is linked


@router.get("/agent/telegram", response_model=TelegramState)
def my_telegram(root: Parts, ctx: Ctx, who: AgentOnly) -> TelegramState:
    return TelegramState(enabled=TELEGRAM in root.channels,
                         linked=chat_links.my_chat_linked(ctx, who))


class LinkCodeRequest(Strict):
    language: Language | None = Field(
        default=None, description="The language your dashboard is in: until you choose one "
        "for your chat notices, they (and the bot's confirmation of the link) use it")


NO_LANGUAGE = LinkCodeRequest()  # no body: the code alone, as before


@router.post("/agent/telegram-code", openapi_extra=refusals(e.NotConfigured),
             response_model=LinkCode)
async def my_link_code(root: Parts, ctx: Ctx, who: AgentOnly, run: Run,
                       body: LinkCodeRequest = NO_LANGUAGE) -> LinkCode:
    """A one-time code (15 minutes) to link your Telegram chat: send `/start CODE` to the bot.
    With `language` (the dashboard's), an agent who never chose a language for its notices
    gets that one. 503 `not_configured` while the server has no bot."""
    who.require(Can.WORK)
    _require_bot(root)
    return _code(*await run.write(chat_links.my_link_code, ctx, who, body.language))


@router.get("/supervisor/telegram", openapi_extra=refusals(e.InvalidInput),
            response_model=TelegramState)
def supervisor_telegram(root: Parts, ctx: Ctx, who: Supervisor) -> TelegramState:
    """Whether your own chat hears the SLA warnings and breaches of your queues."""
    return TelegramState(enabled=TELEGRAM in root.channels,
                         linked=supervisor_chats.my_chat_linked(ctx, who))


@router.post("/supervisor/telegram-code",
             openapi_extra=refusals(e.InvalidInput, e.NotConfigured), response_model=LinkCode)
async def supervisor_link_code(root: Parts, ctx: Ctx, who: Supervisor, run: Run,
                               body: LinkCodeRequest = NO_LANGUAGE) -> LinkCode:
    """A one-time code (15 minutes) that links your own Telegram chat, where the SLA
    warnings and breaches of the queues you supervise come: send `/start CODE` to the bot.
    `language`: the alerts' (by default your Telegram's). 422 for the admin token (no person
    to link); 503 `not_configured` while there is no bot."""
    _require_bot(root)
    return _code(*await run.write(supervisor_chats.my_link_code, ctx, who, body.language))


@router.delete("/supervisor/telegram", openapi_extra=refusals(e.InvalidInput),
               status_code=204)
async def supervisor_unlink(ctx: Ctx, who: Supervisor, run: Run) -> Response:
    """Your chat hears no more alerts."""
    await run.write(supervisor_chats.unlink_mine, ctx, who)
    return Response(status_code=204)


@router.post("/agents/{agent_id}/telegram-code",
             openapi_extra=refusals(e.NotFound, e.NotConfigured), response_model=LinkCode)
async def agent_link_code(root: Parts, agent_id: RowId, ctx: Ctx, who: Configurer,
                          run: Run) -> LinkCode:
    """An admin issues the code for an agent (to pass on)."""
    who.require(Can.CONFIGURE)
    _require_bot(root)
    return _code(*await run.write(chat_links.link_code_for, ctx, who, agent_id))


@router.delete("/agents/{agent_id}/telegram", openapi_extra=refusals(e.NotFound), status_code=204)
async def unlink_telegram(agent_id: RowId, ctx: Ctx, who: Configurer, run: Run) -> Response:
    """The agent's chat gets no more notices and no longer speaks for it."""
    await run.write(chat_links.unlink, ctx, who, agent_id)
    return Response(status_code=204)


class NoticeStatus(StrEnum):
    """A notice's delivery status, or `failed`: the replies to customers that failed and are
    not resolved yet (service/conversations/failures.py)."""

    PENDING = DeliveryStatus.PENDING.value
    DELIVERED = DeliveryStatus.DELIVERED.value
    DEAD = DeliveryStatus.DEAD.value
    FAILED = "failed"


@router.get("/notices", response_model=NoticePage)
def list_notices(
    ctx: Ctx, who: Supervisor,
    status: NoticeStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NoticePage:
    """Messages giliran sends on the chat channels (to agents, and the desk's replies to
    customers); `status=dead`: those it gave up on; `status=failed`: replies to customers on
    open tickets that failed (refused by the channel, or given up on) with no later reply
    that reached the customer, newest first (of the queues the caller supervises)."""
    if status is NoticeStatus.FAILED:
        found, total = failures.failed_notices(ctx, who, limit, offset)
    else:
        found, total = notify.list_notices(
            ctx, who, DeliveryStatus(status.value) if status is not None else None, limit,
            offset)
    return NoticePage(items=[NoticeOut.of(n) for n in found], total=total, limit=limit,
                      offset=offset)


@router.post("/notices/{notice_id}/retry", openapi_extra=refusals(e.NotFound, e.InvalidTransition),
             response_model=NoticeOut)
async def retry_notice(notice_id: RowId, ctx: Ctx, who: Supervisor, run: Run) -> NoticeOut:
    """A dead notice gets a fresh round of attempts."""
    return NoticeOut.of(await run.write(notify.retry_notice, ctx, who, notice_id))


def _require_bot(root: Root) -> None:
    if TELEGRAM not in root.channels:
        raise NotConfigured("set GILIRAN_TELEGRAM_BOT_TOKEN: this server has no Telegram bot")


def _code(code: str, expires_at: datetime) -> LinkCode:
    return LinkCode(code=code, expires_at=expires_at, send_to_bot=f"/start {code}")
