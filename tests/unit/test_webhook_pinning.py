"""The webhook sender connects to the address it checked, not to whatever the name resolves
to a moment later (DNS rebinding), and keeps the name for Host and TLS (SNI)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from giliran.adapters import webhook_sender
from giliran.adapters.webhook_sender import WebhookSender
from giliran.domain.delivery import Delivery, Webhook
from giliran.domain.events import Event
from giliran.service.events.outbox import Claim

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def claim(url: str) -> Claim:
    hook = Webhook(1, url, "receiver-shared-secret-0123", frozenset(), True, 0)
    event = Event("ticket.created", NOW, {"ticket": {"id": 1}}, id=7)
    return Claim(Delivery(3, 1, 7, next_attempt_at=NOW), hook, event)


def send(url: str, answers: list[list[str]], monkeypatch: pytest.MonkeyPatch
         ) -> tuple[str | None, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    monkeypatch.setattr(webhook_sender, "resolve", lambda host, port: answers.pop(0))

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async def run() -> str | None:
        sender = WebhookSender(transport=httpx.MockTransport(handler))
        try:
            return await sender.send(claim(url))
        finally:
            await sender.aclose()
    return asyncio.run(run()), seen


def test_the_request_goes_to_the_checked_address_with_the_name_kept(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    error, (request,) = send("https://hooks.example.com:8443/in?x=1", [["93.184.215.14"]],
                             monkeypatch)
    assert error is None
    assert (request.url.host, request.url.port, request.url.path) == (
        "93.184.215.14", 8443, "/in")
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_a_name_with_any_private_address_is_not_called(monkeypatch: pytest.MonkeyPatch) -> None:
    error, seen = send("https://hooks.example.com/in", [["93.184.215.14", "10.0.0.7"]],
                       monkeypatch)
    assert seen == [] and error is not None and error.startswith("destination not allowed")
