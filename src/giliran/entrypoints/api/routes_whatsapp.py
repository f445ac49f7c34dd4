"""The WhatsApp Cloud API webhook: sales leads arriving as WhatsApp messages.

GET answers Meta's verification handshake. POST deliveries are trusted only with a valid
X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret); anything else is refused
before a byte of it is stored. Each text (or other) message from a contact opens a lead in the
queue mapped to the business phone number id, or joins that contact's open lead; a redelivered
message id changes nothing. Status callbacks and other kinds of change are accepted and
ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from giliran.bootstrap import Container
from giliran.domain import errors as e
from giliran.domain.errors import (
    BadSignature,
    Forbidden,
    MalformedRequest,
    NotConfigured,
    SignatureMissing,
)
from giliran.domain.model import DEFAULT_QUEUE
from giliran.domain.text import unstorable_at
from giliran.entrypoints.api.deps import ApiRoute
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.openapi import BODY_KEY
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.throttle import Throttle
from giliran.service import channels

router = APIRouter(route_class=ApiRoute, tags=["channels"])
CHANNEL = "whatsapp"


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
        raise Forbidden("verification failed")
    return PlainTextResponse(params.get("hub.challenge", ""))


@router.post("/webhooks/whatsapp", openapi_extra={
    **refusals(e.SignatureMissing, e.BadSignature, e.MalformedRequest, e.TooManyRequests,
               e.NotConfigured), BODY_KEY: True})
async def deliveries(request: Request) -> Response:
    """Each message opens a lead or joins its contact's open one. Refused before the body is
    read without a signature (401) or a configured app secret (503)."""
    throttle: Throttle = request.app.state.throttle
    await throttle.webhook_call(request)
    container: Container = request.app.state.container
    secret = container.settings.whatsapp_app_secret
    if secret is None:
        raise NotConfigured("set GILIRAN_WHATSAPP_APP_SECRET to receive WhatsApp")
    signature = request.headers.get("x-hub-signature-256")
    if not signature:
        raise SignatureMissing("X-Hub-Signature-256 is missing")
    raw = await request.body()
    expected = "sha256=" + hmac.new(secret.get_secret_value().encode(), raw,
                                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        await throttle.failed(request)
        raise BadSignature("the signature does not match")
    try:
        payload = orjson.loads(raw)
        if unstorable_at(payload) is not None:
            raise ValueError("unstorable text")
        incoming = list(_messages(payload, container.settings.whatsapp_queues))
    except (orjson.JSONDecodeError, TypeError, AttributeError, KeyError, ValueError):
        raise MalformedRequest("not a WhatsApp webhook payload") from None
    runner: Runner = request.app.state.runner
    counts = {outcome.value: 0 for outcome in channels.Outcome}
    for message in incoming:
        outcome, _ = await runner.write(channels.receive, container.ctx, message)
        counts[outcome.value] += 1
    return JSONResponse({"received": len(incoming), **counts})


def _messages(payload: Any, queues: dict[str, str]) -> Any:
    """The customer messages in a delivery; statuses and other fields yield nothing."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise ValueError("not a WhatsApp Business Account payload")
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if change.get("field") != "messages" or not value.get("messages"):
                continue
            phone_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
            names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                     for c in value.get("contacts") or []}
            for m in value["messages"]:
                sender = str(m["from"])
                yield channels.Incoming(
                    channel=CHANNEL, queue=queues.get(phone_id, DEFAULT_QUEUE),
                    contact=sender, sender=names.get(sender) or sender,
                    message_id=str(m["id"]), text=_text(m), at=_when(m.get("timestamp")),
                )


def _text(message: dict[str, Any]) -> str:
    kind = message.get("type", "text")
    if kind == "text":
        return str((message.get("text") or {}).get("body", ""))
    caption = (message.get(kind) or {}).get("caption") if isinstance(
        message.get(kind), dict) else None
    return f"[{kind}] {caption}" if caption else f"[{kind}]"


def _when(timestamp: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)
