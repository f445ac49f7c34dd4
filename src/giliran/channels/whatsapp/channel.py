"""WhatsApp (the Cloud API) as giliran's channel port: Meta's webhook (its GET handshake, its
X-Hub-Signature-256 over the raw body), leads opened or joined by customers' messages, Meta's
reports on what giliran sent, and sending through the business number.

Each message opens a lead in the queue mapped to the business phone number id, or joins that
customer's open lead; a redelivered message id changes nothing; statuses move the state of what
giliran sent. Messages to a number giliran is not configured for are logged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

import orjson

from giliran.adapters.metrics import unknown_message
from giliran.channels.port import Background, Body, Delivery, Reception, Refusal
from giliran.channels.whatsapp.cloud import WhatsAppCloud
from giliran.channels.whatsapp.wire import read_delivery
from giliran.config import Settings
from giliran.domain.conversation import WHATSAPP, Kind, Receipt
from giliran.domain.errors import (
    BadSignature,
    Forbidden,
    MalformedRequest,
    NotConfigured,
    SignatureMissing,
)
from giliran.domain.text import unstorable_at
from giliran.service.conversations import channels

log = logging.getLogger("giliran.whatsapp")
SIGNATURE_HEADER = "x-hub-signature-256"


class WhatsApp:
    name = WHATSAPP
    tells_resolved = False  # customers hear only what agents write to them
    has_handshake = True

    def sends(self, settings: Settings) -> bool:
        """With an access token and a sending number."""
        return settings.whatsapp_sends

    def client(self, settings: Settings) -> WhatsAppCloud | None:
        if not self.sends(settings) or settings.whatsapp_access_token is None:
            return None
        return WhatsAppCloud(settings.whatsapp_access_token.get_secret_value(),
                             settings.whatsapp_api_url,
                             default_from=next(iter(settings.whatsapp_phone_number_id)))

    def max_attempts(self, settings: Settings) -> int:
        return settings.whatsapp_max_attempts

    def handshake(self, settings: Settings, query: Mapping[str, str]) -> str | Refusal:
        """Meta's: hub.mode=subscribe and our verify token; echo hub.challenge."""
        expected = settings.whatsapp_verify_token
        given = query.get("hub.verify_token", "")
        if (expected is None or query.get("hub.mode") != "subscribe"
                or not hmac.compare_digest(given.encode(),
                                           expected.get_secret_value().encode())):
            log.warning("whatsapp verification refused: wrong mode or verify token")
            return Refusal(Forbidden("verification failed"), guessed=bool(given))
        return query.get("hub.challenge", "")

    async def authenticate(self, settings: Settings, headers: Mapping[str, str],
                           body: Body) -> Refusal | None:
        """An HMAC-SHA256 of the raw body with the app secret; refused before the body is read
        without a signature, or while no app secret is configured."""
        secret = settings.whatsapp_app_secret
        if secret is None:
            return Refusal(NotConfigured("set GILIRAN_WHATSAPP_APP_SECRET to receive WhatsApp"))
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            log.warning("whatsapp delivery refused: no X-Hub-Signature-256")
            return Refusal(SignatureMissing("X-Hub-Signature-256 is missing"))
        expected = "sha256=" + hmac.new(secret.get_secret_value().encode(), await body(),
                                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            log.warning("whatsapp delivery refused: the signature does not match")
            return Refusal(BadSignature("the signature does not match"), guessed=True)
        return None

    def parse(self, settings: Settings, body: bytes) -> Delivery:
        try:
            payload = orjson.loads(body)
            if unstorable_at(payload) is not None:
                raise ValueError("text a database cannot store")
            batch = read_delivery(payload, settings.whatsapp_numbers)
        except (orjson.JSONDecodeError, TypeError, AttributeError, KeyError, ValueError) as exc:
            log.warning("whatsapp delivery refused: not a WhatsApp payload (%s)",
                        type(exc).__name__)
            raise MalformedRequest("not a WhatsApp webhook payload") from None
        return Delivery([*batch.messages, *batch.receipts], batch.ignored)

    async def deliver(self, delivery: Delivery, reception: Reception) -> dict[str, Any]:
        """Each message opens a lead or joins its customer's open one; each status moves a
        reply's state."""
        for reason in delivery.ignored:
            log.info("whatsapp delivery: ignored (%s)", reason)
        run, ctx = reception.run_write, reception.ctx
        counts = {outcome.value: 0 for outcome in channels.Outcome}
        messages = [m for m in delivery.items if isinstance(m, channels.Incoming)]
        receipts = [r for r in delivery.items if isinstance(r, Receipt)]
        for message in messages:
            outcome, _ = await run(channels.receive, ctx, message)
            counts[outcome.value] += 1
            if message.kind is Kind.UNKNOWN and outcome is not channels.Outcome.DUPLICATE:
                unknown_message(self.name, str(message.content.get("type")))
        moved = [await run(channels.report, ctx, r) for r in receipts]
        return {"received": len(messages), **counts, "statuses": len(receipts),
                "status_changes": sum(moved), "ignored": len(delivery.ignored)}

    def background(self, settings: Settings, reception: Reception) -> Background | None:
        return None  # Meta always pushes to the webhook
