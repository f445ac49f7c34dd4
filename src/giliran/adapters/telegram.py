"""The Telegram Bot API, through python-telegram-bot's `Bot` (its HTTP client and error
classes): sending notices, answering pressed buttons, long polling, fetching files, and
reading updates.

Updates are read from their JSON by giliran itself, leniently: the samples on Telegram's own
webhook page leave out fields the library's types require (`from.is_bot`, `chat.type`), and a
customer's message must not be lost for a missing detail. Every kind of message is kept with
its content (photo, document, voice, location, contact, ...); a kind giliran does not know is
kept raw with its type.

The bot token is part of every request URL, so nothing here ever puts a URL or an unfiltered
library message into an error it returns or logs.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from giliran.adapters.channel import Media
from giliran.domain.conversation import Kind
from giliran.domain.errors import ChannelUnavailable, TooLarge
from giliran.domain.notices import Notice
from giliran.service.chat import ButtonPress, ChatMessage
from giliran.service.notify import Sent

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
        try:
            sent = await self._bot.send_message(chat_id=notice.chat_id, text=notice.text,
                                                reply_markup=markup)
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


def parse_update(data: Mapping[str, Any]) -> ChatMessage | ButtonPress | None:
    """An update as Telegram POSTs it to the webhook; None for kinds giliran ignores (group
    chats, channel posts). ValueError for anything not shaped like an update."""
    if not isinstance(data.get("update_id"), int):
        raise ValueError("an update needs an integer update_id")
    try:
        return read_update(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a Telegram update ({type(exc).__name__})") from exc


def read_update(data: Mapping[str, Any]) -> ChatMessage | ButtonPress | None:
    update_id = int(data["update_id"])
    for key, edited in (("message", False), ("edited_message", True)):
        if isinstance(data.get(key), dict):
            return _message(update_id, data[key], edited)
    press = data.get("callback_query")
    if isinstance(press, dict) and press.get("data") is not None:
        user = press.get("from") or {}
        chat = ((press.get("message") or {}).get("chat") or {}).get("id", user.get("id"))
        return ButtonPress(update_id=update_id, callback_id=str(press["id"]),
                           chat_id=str(int(str(chat))), data=str(press["data"]),
                           language=user.get("language_code"))
    return None


def _message(update_id: int, m: dict[str, Any], edited: bool) -> ChatMessage | None:
    chat = m["chat"]
    chat_id = int(chat["id"])
    if (chat.get("type") or ("private" if chat_id > 0 else "group")) != "private":
        return None  # groups and channels are not customers
    user = m.get("from") or {}
    kind, text, content = read_content(m)
    names = [str(x) for x in (user.get("first_name") or chat.get("first_name"),
                              user.get("last_name") or chat.get("last_name")) if x]
    stamp = m.get("edit_date") if edited else m.get("date")
    return ChatMessage(
        update_id=update_id, chat_id=str(chat_id), message_id=int(m["message_id"]),
        text=text, sender=" ".join(names) or str(chat_id),
        language=user.get("language_code"), at=_when(stamp), kind=kind, content=content,
        username=user.get("username") or chat.get("username"), edited=edited,
        reply_to=(m.get("reply_to_message") or {}).get("message_id"),
    )


_FILES = (("animation", Kind.ANIMATION), ("document", Kind.DOCUMENT), ("voice", Kind.VOICE),
          ("audio", Kind.AUDIO), ("video", Kind.VIDEO), ("video_note", Kind.VIDEO),
          ("sticker", Kind.STICKER))
_FILE_FIELDS = {"media_id": "file_id", "file_unique_id": "file_unique_id",
                "mime_type": "mime_type", "file_name": "file_name", "size": "file_size",
                "width": "width", "height": "height", "duration": "duration",
                "emoji": "emoji", "title": "title", "performer": "performer"}


def read_content(m: dict[str, Any]) -> tuple[Kind, str, dict[str, Any]]:
    """(kind, text or caption, what else it holds) of one message."""
    caption = str(m.get("caption") or "")
    if m.get("text") is not None:
        return Kind.TEXT, str(m["text"]), {}
    if m.get("photo"):
        largest = max(m["photo"], key=lambda p: (p.get("width", 0) * p.get("height", 0),
                                                 p.get("file_size", 0)))
        return Kind.IMAGE, caption, _file(largest)
    for key, kind in _FILES:
        if isinstance(m.get(key), dict):
            return kind, caption, {**_file(m[key]), **({"note": True}
                                                      if key == "video_note" else {})}
    if isinstance(m.get("location"), dict) or isinstance(m.get("venue"), dict):
        venue = m.get("venue") or {}
        where = venue.get("location") or m.get("location") or {}
        found = {k: v for k, v in (("latitude", where.get("latitude")),
                                   ("longitude", where.get("longitude")),
                                   ("name", venue.get("title")),
                                   ("address", venue.get("address"))) if v is not None}
        return Kind.LOCATION, caption, found
    if isinstance(m.get("contact"), dict):
        c = m["contact"]
        name = " ".join(str(x) for x in (c.get("first_name"), c.get("last_name")) if x)
        return Kind.CONTACTS, "", {"contacts": [{"name": name or None,
                                                 "phones": [c.get("phone_number")],
                                                 "emails": []}]}
    skip = {"message_id", "from", "chat", "date", "edit_date", "caption"}
    raw = {k: v for k, v in m.items() if k not in skip}
    named = next((k for k in raw if k not in ("reply_to_message", "entities")), "unknown")
    return Kind.UNKNOWN, caption, {"type": named, "raw": raw}


def _file(f: dict[str, Any]) -> dict[str, Any]:
    return {ours: f[theirs] for ours, theirs in _FILE_FIELDS.items() if f.get(theirs) is not None}


def _when(stamp: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def _mime(path: str) -> str:
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"
