"""The desks the channel tests run against: an app on a fake clock, with a fake Bot API or Graph
API server on loopback, and one courier pass as the server's loop runs it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from tempfile import TemporaryDirectory
from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap
from giliran.channels import telegram, whatsapp
from giliran.channels.telegram.fake import FakeTelegram
from giliran.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_ID,
    FakeGraph,
    delivery,
    signed,
)
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from giliran.entrypoints.courier import Courier
from tests.support.server import ADMIN_TOKEN
from tests.support.whatsapp_samples import BUDI, text

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
API = "/api/v1"


SECRET = "telegram-webhook-secret_0123"
TELEGRAM_HOOK = "/api/v1/webhooks/telegram"
AGENT_CHAT = 7001
CUSTOMER = 9001


@dataclass
class Bot:
    client: TestClient
    fake: FakeTelegram
    container: Container
    clock: FakeClock

    def update(self, update: dict[str, Any], secret: str | None = SECRET) -> Any:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        return self.client.post(TELEGRAM_HOOK, json=update, headers=headers)

    def say(self, chat_id: int, text: str, **kw: Any) -> None:
        assert self.update(self.fake.message(chat_id, text, **kw)).status_code == 200

    def press(self, chat_id: int, data: str) -> str:
        assert self.update(self.fake.press(chat_id, data)).status_code == 200
        return str(self.fake.answers()[-1]["text"])

    def deliver(self) -> int:
        """One courier pass, as the server's loop runs it."""
        async def once() -> int:
            bot = telegram.CHANNEL.client(self.container.settings)
            assert bot is not None
            await bot.start()
            try:
                courier = Courier(self.container.ctx, {"telegram": bot}, _now, _now, 1.0,
                                  {"telegram": self.container.settings.telegram_max_attempts},
                                  files=self.container.files)
                return await courier.run_once()
            finally:
                await bot.aclose()
        return asyncio.run(once())

    def link(self, agent_id: int, chat_id: int = AGENT_CHAT, language_code: str = "en") -> None:
        code = self.client.post(f"{API}/agents/{agent_id}/telegram-code", headers=ADMIN)
        assert code.status_code == 200, code.text
        self.say(chat_id, code.json()["send_to_bot"], language_code=language_code)


async def _now(fn: Any, *args: Any) -> Any:
    """Off the event loop, as the server's runner does (a write on the loop is refused)."""
    return await asyncio.to_thread(fn, *args)


@contextmanager
def telegram_desk(database_url: str, clock: FakeClock) -> Iterator[Bot]:
    with FakeTelegram() as fake, TemporaryDirectory() as media:
        settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN,
                            scheduler=False, outbox=False,
                            telegram_bot_token=fake.token, telegram_webhook_secret=SECRET,
                            telegram_api_url=fake.url, telegram_max_attempts=3,
                            media_cache_dir=media, upload_dir=f"{media}/outgoing")
        container = bootstrap(settings, clock=clock)
        try:
            with TestClient(create_app(container), raise_server_exceptions=False) as client:
                bot = Bot(client, fake, container, clock)
                bot.deliver()  # the first pass starts the notices after what exists
                yield bot
        finally:
            container.close()


VERIFY_TOKEN = "verify-me-0123456789"
WHATSAPP_HOOK = "/api/v1/webhooks/whatsapp"


@dataclass
class Desk:
    client: TestClient
    graph: FakeGraph
    container: Container
    clock: FakeClock

    @property
    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def post(self, body: dict[str, Any] | bytes, **kw: Any) -> Any:
        raw, headers = signed(body, **kw)
        return self.client.post(WHATSAPP_HOOK, content=raw, headers=headers)

    def says(self, body: str, message_id: str, sender: str = BUDI) -> Any:
        r = self.post(delivery(messages=[text(message_id, body, self.now, sender)]))
        assert r.status_code == 200, r.text
        return r.json()

    def statuses(self, *reports: dict[str, Any]) -> Any:
        r = self.post(delivery(statuses=list(reports)))
        assert r.status_code == 200, r.text
        return r.json()

    def deliver(self) -> int:
        """One courier pass, as the server's loop runs it."""
        async def once() -> int:
            wa = whatsapp.CHANNEL.client(self.container.settings)
            assert wa is not None
            try:
                courier = Courier(self.container.ctx, {"whatsapp": wa}, _now, _now, 1.0,
                                  {"whatsapp": self.container.settings.whatsapp_max_attempts},
                                  files=self.container.files)
                return await courier.run_once()
            finally:
                await wa.aclose()
        return asyncio.run(once())

    def reply(self, ticket_id: int, token: str = ADMIN_TOKEN, **body: Any) -> Any:
        return self.client.post(f"{API}/tickets/{ticket_id}/messages", json=body,
                                headers={"Authorization": f"Bearer {token}"})

    def conversation(self, ticket_id: int) -> list[dict[str, Any]]:
        r = self.client.get(f"{API}/tickets/{ticket_id}/messages", headers=ADMIN)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])


def desk_settings(database_url: str, graph: FakeGraph, **extra: Any) -> Settings:
    return Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                    outbox=False, whatsapp_app_secret=APP_SECRET,
                    whatsapp_verify_token=VERIFY_TOKEN,
                    whatsapp_phone_number_id=f"{PHONE_ID}=sales",
                    whatsapp_access_token=ACCESS_TOKEN, whatsapp_api_url=graph.api_url,
                    whatsapp_max_attempts=4, **extra)


@contextmanager
def whatsapp_desk(database_url: str, clock: FakeClock, *,
                  template: str | None = "follow_up:id", **extra: Any) -> Iterator[Desk]:
    """`extra`: more settings (e.g. the media cache's bound)."""
    with FakeGraph() as graph, TemporaryDirectory() as media:
        extra.setdefault("media_cache_dir", media)
        extra.setdefault("upload_dir", f"{media}/outgoing")
        container = bootstrap(desk_settings(database_url, graph, whatsapp_template=template,
                                            **extra), clock=clock)
        try:
            with TestClient(create_app(container), raise_server_exceptions=False) as client:
                assert client.post(f"{API}/queues", json={"name": "sales"},
                                   headers=ADMIN).status_code == 201
                yield Desk(client, graph, container, clock)
        finally:
            container.close()
