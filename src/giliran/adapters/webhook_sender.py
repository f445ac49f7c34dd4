"""Sending one delivery to a webhook over HTTP (httpx), signed with the webhook's secret."""

from __future__ import annotations

import httpx
import orjson

from giliran.domain.delivery import SIGNATURE_HEADER, sign
from giliran.service.outbox import Claim


class WebhookSender:
    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def send(self, claim: Claim) -> str | None:
        """None when the receiver took it (2xx); otherwise what went wrong, for the record.
        The message never contains the secret or the URL (which may carry credentials)."""
        body = orjson.dumps(claim.event.message())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "giliran-webhooks",
            SIGNATURE_HEADER: sign(claim.webhook.secret, body),
            "X-Giliran-Event": claim.event.type,
            "X-Giliran-Delivery": str(claim.delivery.id),
            "Idempotency-Key": claim.delivery.idempotency_key,
        }
        try:
            response = await self._client.post(claim.webhook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__} while sending"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def aclose(self) -> None:
        await self._client.aclose()
