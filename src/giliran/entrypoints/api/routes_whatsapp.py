"""The WhatsApp Cloud API webhook: sales leads arriving as WhatsApp messages, and Meta's
reports on the replies giliran sent.

GET answers Meta's verification handshake. POST deliveries are trusted only with a valid
X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret); anything else is refused
(and logged with the reason) before a byte of it is stored. The wire format is read by the
adapter (`adapters/whatsapp.py`): each message opens a lead in the queue mapped to the business
phone number id, or joins that customer's open lead; a redelivered message id changes nothing;
statuses move the state of what giliran sent. Messages to a number giliran is not configured
for are logged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from giliran.adapters.metrics import unknown_message
from giliran.adapters.whatsapp import read_delivery
from giliran.bootstrap import Container
from giliran.domain import errors as e
from giliran.domain.conversation import WHATSAPP, Kind
from giliran.domain.errors import (
    BadSignature,
    Forbidden,
    MalformedRequest,
    NotConfigured,
    SignatureMissing,
)
from giliran.domain.text import unstorable_at
from giliran.entrypoints.api.deps import ApiRoute
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.openapi import BODY_KEY
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.throttle import Throttle
from giliran.service import channels

router = APIRouter(route_class=ApiRoute, tags=["channels"])
CHANNEL = WHATSAPP
log = logging.getLogger("giliran.whatsapp")


@router.get("/webhooks/whatsapp", openapi_extra=refusals(e.Forbidden, e.TooManyRequests),
            response_class=PlainTextResponse)
async def verify(request: Request) -> Response:
    """Meta's handshake: hub.mode=subscribe and our verify token; echo hub.challenge."""
    throttle: Throttle = request.app.state.throttle
    await throttle.webhook_call(request)
    settings = request.app.state.container.settings
    params = request.query_params
    expected = settings.whatsapp_verify_token
    given = params.get("hub.verify_token", "")
    if (expected is None or params.get("hub.mode") != "subscribe"
            or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode())):
        if given:
            await throttle.failed(request)
        log.warning("whatsapp verification refused: wrong mode or verify token")
        raise Forbidden("verification failed")
    return PlainTextResponse(params.get("hub.challenge", ""))


@router.post("/webhooks/whatsapp", openapi_extra={
    **refusals(e.SignatureMissing, e.BadSignature, e.MalformedRequest, e.TooManyRequests,
               e.NotConfigured), BODY_KEY: True})
async def deliveries(request: Request) -> Response:
    """Each message opens a lead or joins its customer's open one; each status moves a reply's
    state. Refused before the body is read without a signature (401) or a configured app
    secret (503)."""
    throttle: Throttle = request.app.state.throttle
    await throttle.webhook_call(request)
    container: Container = request.app.state.container
    settings = container.settings
    secret = settings.whatsapp_app_secret
    if secret is None:
        raise NotConfigured("set GILIRAN_WHATSAPP_APP_SECRET to receive WhatsApp")
    signature = request.headers.get("x-hub-signature-256")
    if not signature:
        log.warning("whatsapp delivery refused: no X-Hub-Signature-256")
        raise SignatureMissing("X-Hub-Signature-256 is missing")
    raw = await request.body()
    expected = "sha256=" + hmac.new(secret.get_secret_value().encode(), raw,
                                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        await throttle.failed(request)
        log.warning("whatsapp delivery refused: the signature does not match")
        raise BadSignature("the signature does not match")
    try:
        payload = orjson.loads(raw)
        if unstorable_at(payload) is not None:
            raise ValueError("text a database cannot store")
        batch = read_delivery(payload, settings.whatsapp_numbers)
    except (orjson.JSONDecodeError, TypeError, AttributeError, KeyError, ValueError) as exc:
        log.warning("whatsapp delivery refused: not a WhatsApp payload (%s)",
                    type(exc).__name__)
        raise MalformedRequest("not a WhatsApp webhook payload") from None
    for reason in batch.ignored:
        log.info("whatsapp delivery: ignored (%s)", reason)
    runner: Runner = request.app.state.runner
    counts = {outcome.value: 0 for outcome in channels.Outcome}
    for message in batch.messages:
        outcome, _ = await runner.write(channels.receive, container.ctx, message)
        counts[outcome.value] += 1
        if message.kind is Kind.UNKNOWN and outcome is not channels.Outcome.DUPLICATE:
            unknown_message(CHANNEL, str(message.content.get("type")))
    moved = [await runner.write(channels.report, container.ctx, r) for r in batch.receipts]
    return JSONResponse({"received": len(batch.messages), **counts,
                         "statuses": len(batch.receipts), "status_changes": sum(moved),
                         "ignored": len(batch.ignored)})
