"""The Telegram Bot API, through python-telegram-bot's `Bot` (its HTTP client and error
classes): sending notices, answering pressed buttons, long polling, fetching files. Updates
are read by `wire.py`.

The bot token is part of every request URL, so nothing here ever puts a URL or an unfiltered
library message into an error it returns or logs.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Awaitable
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from giliran.adapters.channel import Media
from giliran.channels.telegram.wire import read_update
from giliran.domain.conversation import Kind
from giliran.domain.errors import ChannelUnavailable, TooLarge
from giliran.domain.notices import Notice
from giliran.service.conversations.chat import ButtonPress, ChatMessage
from giliran.service.notices.notify import Sent

log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.telegram.org"
UPDATE_KINDS = ("message", "edited_message", "callback_query")
# What the Bot API says (403, "Forbidden: bot was blocked by the user") to a person who
# blocked the bot; other 403s (a deleted account, a chat the bot never had) are not that.
BLOCKED = "bot was blocked by the user"


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
                        base_file_url=f"{api_url.rstrip('/')}/file/bot",
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
        return await self._attempt(self._bot.send_message(
            chat_id=notice.chat_id, text=notice.text, reply_markup=markup))

    async def send_media(self, notice: Notice, data: bytes) -> Sent:
        """sendPhoto or sendDocument, the file uploaded in the request (multipart)."""
        media = notice.media
        assert media is not None
        file = InputFile(data, filename=media.file_name)
        caption = notice.text or None
        if media.kind is Kind.IMAGE:
            return await self._attempt(self._bot.send_photo(
                chat_id=notice.chat_id, photo=file, caption=caption))
        return await self._attempt(self._bot.send_document(
            chat_id=notice.chat_id, document=file, caption=caption))

    async def _attempt(self, sending: Awaitable[Message]) -> Sent:
        try:
            sent = await sending
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return Sent("Telegram asked to retry later", wait=timedelta(seconds=seconds))
        except (Forbidden, BadRequest) as exc:  # blocked by the person, or no such chat
            blocked = isinstance(exc, Forbidden) and BLOCKED in exc.message.lower()
            return Sent(self._describe(exc), permanent=True, blocked=blocked)
        except InvalidToken:
            return Sent("InvalidToken: Telegram refused the bot token")
        except TelegramError as exc:
            return Sent(self._describe(exc))
        return Sent(channel_id=str(sent.message_id))

    async def fetch_media(self, media_id: str, cap: int) -> Media:
        """getFile, then the download (the Bot API hands over files of up to 20 MB)."""
        try:
            found = await self._bot.get_file(media_id)
            if (found.file_size or 0) > cap:
                raise TooLarge(f"the file is over {cap} bytes")
            data = bytes(await found.download_as_bytearray())
        except TelegramError as exc:
            raise ChannelUnavailable(f"Telegram did not hand over the file "
                                     f"({self._describe(exc)})") from None
        if len(data) > cap:
            raise TooLarge(f"the file is over {cap} bytes")
        path = found.file_path or ""
        return Media(data, _mime(path), path.rsplit("/", 1)[-1] or None)

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
        return [(u.update_id, read_update(u.to_dict())) for u in found]

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATE_KINDS)

    async def delete_webhook(self) -> None:
        await self._bot.delete_webhook()

    def _describe(self, exc: TelegramError) -> str:
        message = exc.message.split(". Parsing the server response")[0]  # no raw bodies
        kind = type(exc).__name__
        # Telegram's own descriptions often start with the kind ("Forbidden: bot was ...").
        said = message if message.startswith(f"{kind}:") else f"{kind}: {message}"
        return said.replace(self._token, "***")[:300]


def _mime(path: str) -> str:
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"
