"""Telegram (a bot) as giliran's channel port: the webhook Telegram POSTs each update to, with
the secret it was given in setWebhook (header X-Telegram-Bot-Api-Secret-Token); without a
webhook secret, the long-polling loop instead. A customer's message opens or joins their
ticket; a linked agent's chat speaks for the agent (`service.conversations.chat`).

An update is handled in one go and answered 200, so Telegram never sends it again; if it does
anyway (a timeout on its side), handling it twice changes nothing.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

import orjson

from giliran.channels.port import Background, Body, Delivery, Reception, Refusal
from giliran.channels.telegram.bot import TelegramBot
from giliran.channels.telegram.poller import Poller, handle
from giliran.channels.telegram.wire import parse_update
from giliran.config import Settings
from giliran.domain.conversation import TELEGRAM
from giliran.domain.errors import BadSecret, Forbidden, MalformedRequest, NotConfigured
from giliran.domain.text import unstorable_at
from giliran.service.conversations.chat import ButtonPress, ChatMessage

log = logging.getLogger("giliran.telegram")
SECRET_HEADER = "x-telegram-bot-api-secret-token"


class Telegram:
    name = TELEGRAM
    tells_resolved = True
    has_handshake = False

    def sends(self, settings: Settings) -> bool:
        """With a bot token."""
        return settings.telegram_bot_token is not None

    def client(self, settings: Settings) -> TelegramBot | None:
        if settings.telegram_bot_token is None:
            return None
        return TelegramBot(settings.telegram_bot_token.get_secret_value(),
                           settings.telegram_api_url)

    def max_attempts(self, settings: Settings) -> int:
        return settings.telegram_max_attempts

    def handshake(self, settings: Settings, query: Mapping[str, str]) -> str | Refusal:
        return Refusal(Forbidden("Telegram has no verification handshake"))

    async def authenticate(self, settings: Settings, headers: Mapping[str, str],
                           body: Body) -> Refusal | None:
        secret = settings.telegram_webhook_secret
        if settings.telegram_bot_token is None or secret is None:
            return Refusal(NotConfigured("set GILIRAN_TELEGRAM_BOT_TOKEN and "
                                         "GILIRAN_TELEGRAM_WEBHOOK_SECRET to receive Telegram "
                                         "updates"))
        given = headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            return Refusal(BadSecret(f"{SECRET_HEADER} is missing or wrong"), guessed=bool(given))
        return None

    def parse(self, settings: Settings, body: bytes) -> Delivery:
        """One update; no items for kinds giliran ignores (group chats, channel posts)."""
        try:
            payload: Any = orjson.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("the body is not a JSON object")
            if unstorable_at(payload) is not None:
                raise ValueError("text a database cannot store")
            update = parse_update(payload)
        except ValueError as exc:  # orjson's decode error is one too
            log.warning("telegram update refused: not a Telegram update (%s)",
                        str(exc).split("\n")[0][:200])
            raise MalformedRequest("not a Telegram update") from None
        return Delivery([] if update is None else [update])

    async def deliver(self, delivery: Delivery, reception: Reception) -> dict[str, Any]:
        if not delivery.items:
            return {"handled": False}
        bot = reception.client
        assert isinstance(bot, TelegramBot)  # authenticate refuses while there is no bot
        handled = [await handle(reception.ctx, bot, reception.run_write, update,
                                reception.settings.telegram_queue)
                   for update in delivery.items if isinstance(update, ChatMessage | ButtonPress)]
        return {"handled": all(handled)}

    def background(self, settings: Settings, reception: Reception) -> Background | None:
        """Long polling, while Telegram has no webhook to POST to."""
        bot = reception.client
        if not isinstance(bot, TelegramBot) or settings.telegram_webhook_secret is not None:
            return None
        return Poller(reception.ctx, bot, reception.run_write, settings.telegram_queue)
