"""Reading Telegram's updates, from their JSON, leniently: the samples on Telegram's own
webhook page leave out fields the library's types require (`from.is_bot`, `chat.type`), and a
customer's message must not be lost for a missing detail. Every kind of message is kept with
its content (photo, document, voice, location, contact, ...); a kind giliran does not know is
kept raw with its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from giliran.domain.conversation import Kind
from giliran.service.conversations.chat import ButtonPress, ChatMessage


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
