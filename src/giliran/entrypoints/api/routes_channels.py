"""The chat channels' webhooks: one handler for every registered channel, which does only HTTP
(the rate limit, the refusals, the JSON answer) and leaves the channel's wire format, its
signature and its use cases to the channel (`giliran.channels`).

`/channels/{channel}/webhook` is the route; `/webhooks/whatsapp` and `/webhooks/telegram`, the
paths Meta and Telegram are configured with, are documented as before and served by the same
handler. (Not `/webhooks/{channel}`: `/webhooks/{webhook_id}` is an outgoing webhook, and
OpenAPI forbids two templates of one shape.) An unknown channel is 404 `unknown_channel`; GET
is the channel's verification handshake, 405 for a channel that has none.
"""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from giliran.channels import registry
from giliran.channels.port import Reception, Refusal
from giliran.domain import errors as e
from giliran.entrypoints.api.deps import ApiRoute
from giliran.entrypoints.api.errors import error_body, refusals
from giliran.entrypoints.api.openapi import BODY_KEY
from giliran.entrypoints.api.root import root_of
from giliran.entrypoints.api.throttle import Throttle

router = APIRouter(route_class=ApiRoute)
# What any channel's POST may refuse with.
RECEIVE_REFUSALS = (e.UnknownChannel, e.SignatureMissing, e.BadSecret, e.BadSignature,
                    e.MalformedRequest, e.TooManyRequests, e.NotConfigured)
NO_HANDSHAKE: dict[int | str, dict[str, Any]] = {
    405: {"description": "The channel has no verification handshake"}}


async def handshake(request: Request, name: str) -> Response:
    root = root_of(request.app)
    throttle = root.throttle
    await throttle.webhook_call(request)
    channel = registry.find(name)
    if not channel.has_handshake:
        # Answered here: the error handler would name the methods of the path template,
        # and this channel takes only POST.
        return JSONResponse(error_body("method_not_allowed", "the channel has no verification "
                                       "handshake"), status_code=405, headers={"Allow": "POST"})
    answer = channel.handshake(root.settings, request.query_params)
    if isinstance(answer, Refusal):
        await _refuse(request, throttle, answer)
    return PlainTextResponse(answer)


async def receive(request: Request, name: str) -> Response:
    root = root_of(request.app)
    throttle = root.throttle
    await throttle.webhook_call(request)
    channel = registry.find(name)
    settings = root.settings
    refusal = await channel.authenticate(settings, request.headers, request.body)
    if refusal is not None:
        await _refuse(request, throttle, refusal)
    delivery = channel.parse(settings, await request.body())
    answer = await channel.deliver(delivery, Reception(
        root.ctx, root.runner.write, settings, root.channels.get(channel.name)))
    return JSONResponse(answer)


async def _refuse(request: Request, throttle: Throttle, refusal: Refusal) -> NoReturn:
    if refusal.guessed:
        await throttle.failed(request)
    raise refusal.error


@router.get("/webhooks/whatsapp", tags=["channels"],
            openapi_extra=refusals(e.Forbidden, e.TooManyRequests),
            response_class=PlainTextResponse)
async def verify(request: Request) -> Response:
    """Meta's handshake: hub.mode=subscribe and our verify token; echo hub.challenge."""
    return await handshake(request, "whatsapp")


@router.post("/webhooks/whatsapp", tags=["channels"], openapi_extra={
    **refusals(e.SignatureMissing, e.BadSignature, e.MalformedRequest, e.TooManyRequests,
               e.NotConfigured), BODY_KEY: True})
async def deliveries(request: Request) -> Response:
    """Each message opens a lead or joins its customer's open one; each status moves a reply's
    state. Refused before the body is read without a signature (401) or a configured app
    secret (503)."""
    return await receive(request, "whatsapp")


@router.post("/webhooks/telegram", tags=["telegram"],
             openapi_extra={**refusals(e.BadSecret, e.MalformedRequest, e.TooManyRequests,
                                       e.NotConfigured), BODY_KEY: True})
async def telegram_update(request: Request) -> Response:
    return await receive(request, "telegram")


@router.get("/channels/{channel}/webhook", tags=["channels"], response_class=PlainTextResponse,
            responses=NO_HANDSHAKE,
            openapi_extra=refusals(e.UnknownChannel, e.Forbidden, e.TooManyRequests))
async def channel_handshake(channel: str, request: Request) -> Response:
    """The channel's verification handshake (WhatsApp: Meta's hub.challenge); 405 for a
    channel that has none."""
    return await handshake(request, channel)


@router.post("/channels/{channel}/webhook", tags=["channels"],
             openapi_extra={**refusals(*RECEIVE_REFUSALS), BODY_KEY: True})
async def channel_webhook(channel: str, request: Request) -> Response:
    """What the channel POSTs (its messages, its reports on what giliran sent), checked with
    the channel's own signature or secret; the answer is the channel's."""
    return await receive(request, channel)
