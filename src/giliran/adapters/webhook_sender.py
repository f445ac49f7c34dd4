"""Sending one delivery to a webhook over HTTP (httpx), signed with the webhook's secret."""

from __future__ import annotations

import asyncio

import httpx
import orjson

from giliran.adapters.destinations import default_port, resolve
from giliran.domain.delivery import SIGNATURE_HEADER, sign
from giliran.domain.destinations import address_allowed, is_ip_literal
from giliran.service.events.outbox import Claim


class WebhookSender:
    """Unless private destinations are allowed, the host is resolved here, every address it
    resolves to is checked, and the request goes to the address checked (the URL's name is
    kept for Host and for TLS, by SNI and certificate): a name that resolves to a public
    address for the check and to a private one for the connection (DNS rebinding) gets
    nowhere."""

    def __init__(self, timeout: float = 10.0, *, allow_private: bool = False,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                         transport=transport)
        self._allow_private = allow_private

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
        url = httpx.URL(claim.webhook.url)
        extensions: dict[str, str] = {}
        if not self._allow_private:
            pinned = await _checked_address(url)
            if pinned is None:
                return "destination not allowed (private, loopback or link-local address)"
            headers["Host"] = url.netloc.decode("ascii")
            if url.scheme == "https" and not is_ip_literal(url.host):
                extensions["sni_hostname"] = url.host
            url = url.copy_with(host=pinned)
        try:
            response = await self._client.post(url, content=body, headers=headers,
                                               extensions=extensions)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__} while sending"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def aclose(self) -> None:
        await self._client.aclose()


async def _checked_address(url: httpx.URL) -> str | None:
    """The address to connect to, when every address the host resolves to is allowed."""
    port = url.port or default_port(url.scheme)
    try:
        addresses = await asyncio.get_running_loop().run_in_executor(
            None, resolve, url.host, port)
    except (OSError, UnicodeError):
        return None
    if not addresses or not all(address_allowed(a) for a in addresses):
        return None
    return addresses[0]
