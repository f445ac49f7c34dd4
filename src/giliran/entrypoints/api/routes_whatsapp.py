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
from giliran.domain.conversation import WHATSAPP, Kind
from giliran.entrypoints.api.errors import error_body
from giliran.entrypoints.api.runner import Runner
from giliran.service import channels

router = APIRouter(tags=["channels"])
CHANNEL = WHATSAPP
log = logging.getLogger("giliran.whatsapp")


@router.get("/webhooks/whatsapp", response_class=PlainTextResponse)
async def verify(request: Request) -> Response:
    """Meta's handshake: hub.mode=subscribe and our verify token; echo hub.challenge."""
    settings = request.app.state.container.settings
    params = request.query_params
    expected = settings.whatsapp_verify_token
    given = params.get("hub.verify_token", "")
    if (expected is None or params.get("hub.mode") != "subscribe"
            or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode())):
        return JSONResponse(error_body("forbidden", "verification failed"), 403)
    return PlainTextResponse(params.get("hub.challenge", ""))


@router.post("/webhooks/whatsapp")
async def deliveries(request: Request) -> Response:
    container: Container = request.app.state.container
    settings = container.settings
    secret = settings.whatsapp_app_secret
    if secret is None:
        return JSONResponse(error_body("not_configured",
                                       "set GILIRAN_WHATSAPP_APP_SECRET to receive WhatsApp"), 503)
    raw = await request.body()
    signature = request.headers.get("x-hub-signature-256")
    if not signature:
        log.warning("whatsapp delivery refused: no X-Hub-Signature-256")
        return JSONResponse(error_body("signature_missing", "X-Hub-Signature-256 is missing"),
                            401)
    expected = "sha256=" + hmac.new(secret.get_secret_value().encode(), raw,
                                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        log.warning("whatsapp delivery refused: the signature does not match")
        return JSONResponse(error_body("bad_signature", "the signature does not match"), 403)
    try:
        batch = read_delivery(orjson.loads(raw), settings.whatsapp_numbers)
    except (orjson.JSONDecodeError, TypeError, AttributeError, KeyError, ValueError) as exc:
        log.warning("whatsapp delivery refused: not a WhatsApp payload (%s)",
                    type(exc).__name__)
        return JSONResponse(error_body("invalid_request", "not a WhatsApp webhook payload"),
                            422)
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
