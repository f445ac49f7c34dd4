"""Telegram: the bot's webhook, linking an agent's chat, and the notices outbox for admins.

Telegram POSTs each update to /webhooks/telegram with the secret it was given in setWebhook
(header X-Telegram-Bot-Api-Secret-Token); anything else is refused before it is read. An update
is handled in one go and answered 200, so Telegram never sends it again; if it does anyway (a
timeout on its side), handling it twice changes nothing.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from giliran.adapters.telegram import parse_update
from giliran.bootstrap import Container
from giliran.domain import errors as e
from giliran.domain.delivery import DeliveryStatus
from giliran.domain.errors import BadSecret, MalformedRequest, NotConfigured
from giliran.domain.model import Language
from giliran.domain.notices import Notice
from giliran.domain.text import unstorable_at
from giliran.entrypoints.api.deps import Admin, AgentOnly, ApiRoute, Ctx, Limit, Offset, RowId, Run
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.openapi import BODY_KEY
from giliran.entrypoints.api.schemas import Strict
from giliran.entrypoints.api.throttle import Throttle
from giliran.entrypoints.telegram import handle
from giliran.service import chat_links, notify
from giliran.service.context import Role

router = APIRouter(route_class=ApiRoute, tags=["telegram"])
log = logging.getLogger("giliran.telegram")
SECRET_HEADER = "x-telegram-bot-api-secret-token"


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

    @classmethod
    def of(cls, n: Notice) -> NoticeOut:
        return cls(id=n.id, channel=n.channel, chat_id=n.chat_id, text=n.text, status=n.status,
                   attempts=n.attempts, next_attempt_at=n.next_attempt_at,
                   last_error=n.last_error, delivered_at=n.delivered_at)


class NoticePage(BaseModel):
    items: list[NoticeOut]
    total: int
    limit: int
    offset: int


@router.post("/webhooks/telegram",
             openapi_extra={**refusals(e.BadSecret, e.MalformedRequest, e.TooManyRequests,
                                              e.NotConfigured), BODY_KEY: True})
async def telegram_update(request: Request) -> Response:
    throttle: Throttle = request.app.state.throttle
    await throttle.webhook_call(request)
    container: Container = request.app.state.container
    settings = container.settings
    bot = request.app.state.telegram
    secret = settings.telegram_webhook_secret
    if bot is None or secret is None:
        raise NotConfigured("set GILIRAN_TELEGRAM_BOT_TOKEN and "
                            "GILIRAN_TELEGRAM_WEBHOOK_SECRET to receive Telegram updates")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        if given:
            await throttle.failed(request)
        raise BadSecret(f"{SECRET_HEADER} is missing or wrong")
    try:
        payload: Any = orjson.loads(await request.body())
        if not isinstance(payload, dict):
            raise ValueError("the body is not a JSON object")
        if unstorable_at(payload) is not None:
            raise ValueError("text a database cannot store")
        update = parse_update(payload)
    except ValueError as exc:  # orjson's decode error is one too
        log.warning("telegram update refused: not a Telegram update (%s)",
                    str(exc).split("\n")[0][:200])
        raise MalformedRequest("not a Telegram update") from None
    if update is None:
        return JSONResponse({"handled": False})
    handled = await handle(container.ctx, bot, request.app.state.runner.write, update,
                           settings.telegram_queue)
    if request.app.state.courier is not None:
        request.app.state.courier.wake()
    return JSONResponse({"handled": handled})


class TelegramState(BaseModel):
    enabled: bool  # a bot is configured on this server
    linked: bool  # the calling agent's chat is linked


@router.get("/agent/telegram", response_model=TelegramState)
def my_telegram(request: Request, ctx: Ctx, who: AgentOnly) -> TelegramState:
    return TelegramState(enabled=request.app.state.telegram is not None,
                         linked=chat_links.my_chat_linked(ctx, who))


class LinkCodeRequest(Strict):
    language: Language | None = Field(
        default=None, description="The language your dashboard is in: until you choose one "
        "for your chat notices, they (and the bot's confirmation of the link) use it")


NO_LANGUAGE = LinkCodeRequest()  # no body: the code alone, as before


@router.post("/agent/telegram-code", openapi_extra=refusals(e.NotConfigured),
             response_model=LinkCode)
async def my_link_code(request: Request, ctx: Ctx, who: AgentOnly, run: Run,
                       body: LinkCodeRequest = NO_LANGUAGE) -> LinkCode:
    """A one-time code (15 minutes) to link your Telegram chat: send `/start CODE` to the bot.
    With `language` (the dashboard's), an agent who never chose a language for its notices
    gets that one. 503 `not_configured` while the server has no bot."""
    who.require(Role.AGENT)
    _require_bot(request)
    return _code(*await run.write(chat_links.my_link_code, ctx, who, body.language))


@router.post("/agents/{agent_id}/telegram-code",
             openapi_extra=refusals(e.NotFound, e.NotConfigured), response_model=LinkCode)
async def agent_link_code(request: Request, agent_id: RowId, ctx: Ctx, who: Admin,
                          run: Run) -> LinkCode:
    """An admin issues the code for an agent (to pass on)."""
    who.require(Role.ADMIN)
    _require_bot(request)
    return _code(*await run.write(chat_links.link_code_for, ctx, who, agent_id))


@router.delete("/agents/{agent_id}/telegram", openapi_extra=refusals(e.NotFound), status_code=204)
async def unlink_telegram(agent_id: RowId, ctx: Ctx, who: Admin, run: Run) -> Response:
    """The agent's chat gets no more notices and no longer speaks for it."""
    await run.write(chat_links.unlink, ctx, who, agent_id)
    return Response(status_code=204)


@router.get("/notices", response_model=NoticePage)
def list_notices(
    ctx: Ctx, who: Admin,
    status: DeliveryStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NoticePage:
    """Telegram messages giliran sends; `status=dead`: those it gave up on."""
    found, total = notify.list_notices(ctx, who, status, limit, offset)
    return NoticePage(items=[NoticeOut.of(n) for n in found], total=total, limit=limit,
                      offset=offset)


@router.post("/notices/{notice_id}/retry", openapi_extra=refusals(e.NotFound, e.InvalidTransition),
             response_model=NoticeOut)
async def retry_notice(notice_id: RowId, ctx: Ctx, who: Admin, run: Run) -> NoticeOut:
    """A dead notice gets a fresh round of attempts."""
    return NoticeOut.of(await run.write(notify.retry_notice, ctx, who, notice_id))


def _require_bot(request: Request) -> None:
    if request.app.state.telegram is None:
        raise NotConfigured("set GILIRAN_TELEGRAM_BOT_TOKEN: this server has no Telegram bot")


def _code(code: str, expires_at: datetime) -> LinkCode:
    return LinkCode(code=code, expires_at=expires_at, send_to_bot=f"/start {code}")
