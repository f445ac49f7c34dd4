"""The Telegram Bot API, through python-telegram-bot's `Bot` (its HTTP client, types and error
classes): sending notices, answering pressed buttons, long polling, and reading updates.

The bot token is part of every request URL, so nothing here ever puts a URL or an unfiltered
library message into an error it returns or logs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from giliran.domain.notices import Notice
from giliran.service.chat import ButtonPress, ChatMessage
from giliran.service.notify import Sent

log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.telegram.org"
UPDATE_KINDS = ("message", "callback_query")
NON_TEXT = "[attachment]"


class TelegramBot:
    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, *,
                 timeout: float = 10.0, poll_seconds: int = 25) -> None:
        self._token = token
        self.poll_seconds = poll_seconds
        self._request = HTTPXRequest(connection_pool_size=16, read_timeout=timeout,
                                     write_timeout=timeout, connect_timeout=timeout)
        self._polling = HTTPXRequest(connection_pool_size=1, read_timeout=poll_seconds + 10,
                                     connect_timeout=timeout)
        self._bot = Bot(token, base_url=f"{api_url.rstrip('/')}/bot",
                        request=self._request, get_updates_request=self._polling)

    async def start(self) -> None:
        """Opens the HTTP clients; asks Telegram nothing, so an outage cannot stop a start."""
        await self._request.initialize()
        await self._polling.initialize()

    async def aclose(self) -> None:
        await self._request.shutdown()
        await self._polling.shutdown()

    async def send(self, notice: Notice) -> Sent:
        markup = None
        if notice.buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)
                                            for label, data in notice.buttons]])
        try:
            await self._bot.send_message(chat_id=notice.chat_id, text=notice.text,
                                         reply_markup=markup)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return Sent("Telegram asked to retry later", wait=timedelta(seconds=seconds))
        except (Forbidden, BadRequest) as exc:  # blocked by the person, or no such chat
            return Sent(self._describe(exc), permanent=True)
        except InvalidToken:
            return Sent("InvalidToken: Telegram refused the bot token")
        except TelegramError as exc:
            return Sent(self._describe(exc))
        return Sent()

    async def answer_button(self, callback_id: str, text: str) -> None:
        """Best effort: the answer only dismisses the button's spinner with a short text;
        what the button did is already committed."""
        try:
            await self._bot.answer_callback_query(callback_id, text=text[:200])
        except TelegramError as exc:
            log.warning("answering a Telegram button failed: %s", self._describe(exc))

    async def updates(self, offset: int, timeout: int | None = None
                      ) -> list[tuple[int, ChatMessage | ButtonPress | None]]:
        """The next updates (long polling): each update's id, and what it says to giliran."""
        found = await self._bot.get_updates(
            offset=offset, timeout=self.poll_seconds if timeout is None else timeout,
            allowed_updates=UPDATE_KINDS)
        return [(u.update_id, read_update(u)) for u in found]

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATE_KINDS)

    async def delete_webhook(self) -> None:
        await self._bot.delete_webhook()

    def _describe(self, exc: TelegramError) -> str:
        message = exc.message.split(". Parsing the server response")[0]  # no raw bodies
        return f"{type(exc).__name__}: {message}".replace(self._token, "***")[:300]


def parse_update(data: Mapping[str, Any]) -> ChatMessage | ButtonPress | None:
    """An update as Telegram POSTs it to the webhook; None for kinds giliran ignores.
    ValueError for anything not shaped like an update (the library's parser is not a
    validator: wrong shapes raise whatever they happen to raise)."""
    try:
        return read_update(Update.de_json(dict(data), None))
    except Exception as exc:
        raise ValueError("not a Telegram update") from exc


def read_update(update: Update) -> ChatMessage | ButtonPress | None:
    message = update.message
    if message is not None and message.chat.type == "private":
        user = message.from_user
        return ChatMessage(
            update_id=update.update_id, chat_id=str(message.chat.id),
            message_id=message.message_id,
            text=message.text or message.caption or NON_TEXT,
            sender=(user.full_name if user else None) or str(message.chat.id),
            language=user.language_code if user else None,
            at=message.date.astimezone(UTC) if message.date else datetime.now(UTC),
        )
    press = update.callback_query
    if press is not None and press.data is not None:
        chat = press.message.chat.id if press.message is not None else press.from_user.id
        return ButtonPress(update_id=update.update_id, callback_id=press.id, chat_id=str(chat),
                           data=press.data, language=press.from_user.language_code)
    return None
