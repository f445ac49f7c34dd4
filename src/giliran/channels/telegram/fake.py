"""A fake Telegram Bot API server on loopback, speaking the Bot API's HTTP/JSON protocol
(https://core.telegram.org/bots/api): `POST /bot<token>/<method>` with form, multipart (files
for sendPhoto and sendDocument) or JSON parameters, answered `{"ok": true, "result": ...}` or
`{"ok": false, "error_code", ...}`.

giliran's real client (python-telegram-bot) talks to it through GILIRAN_TELEGRAM_API_URL. It
records every message sent, queues updates for long polling (getUpdates), builds the updates
Telegram would POST to a webhook, and can be told to fail like Telegram's front end does during
an outage (502 Bad Gateway with an HTML body), or to refuse a chat whose person blocked the bot
(403 "Forbidden: bot was blocked by the user").
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from giliran.channels.loopback import FormPart, Loopback, QuietHandler, form_parts

TOKEN = "123456789:AAE-fake-bot-token_for_giliran_tests"
BOT = {"id": 123456789, "is_bot": True, "first_name": "giliran", "username": "giliran_bot",
       "can_join_groups": False, "can_read_all_group_messages": False,
       "supports_inline_queries": False}
FILE_METHODS = {"sendPhoto": "photo", "sendDocument": "document"}  # the file's field
FILE_LIMITS = {"photo": 10_000_000, "document": 50_000_000}
BAD_GATEWAY = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>\r\n"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    result: Any = None


@dataclass
class FakeTelegram:
    token: str = TOKEN
    failing: bool = False  # answer 502 to everything while set
    # Chats whose person blocked the bot: sendMessage to them answers 403 as Telegram does.
    blocked: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # file_id: data, path
    downloads: list[str] = field(default_factory=list)  # file paths handed over
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _messages: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _server: Loopback | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    # What giliran sent.
    def sent(self) -> list[dict[str, Any]]:
        """Messages Telegram accepted (sendMessage answered 200), in order."""
        return [c.params for c in self.calls if c.method == "sendMessage" and c.status == 200]

    def sent_to(self, chat_id: int | str) -> list[str]:
        return [m["text"] for m in self.sent() if str(m["chat_id"]) == str(chat_id)]

    def files_to(self, chat_id: int | str) -> list[tuple[str, dict[str, Any]]]:
        """Photos and documents Telegram accepted for the chat: the method and its parameters
        (the file's part, a FormPart, under `photo` or `document`)."""
        return [(c.method, c.params) for c in self.calls
                if c.method in FILE_METHODS and c.status == 200
                and str(c.params["chat_id"]) == str(chat_id)]

    def answers(self) -> list[dict[str, Any]]:
        return [c.params for c in self.calls
                if c.method == "answerCallbackQuery" and c.status == 200]

    def failed_attempts(self) -> int:
        return sum(c.method == "sendMessage" and c.status != 200 for c in self.calls)

    # Updates, as Telegram makes them.
    def message(self, chat_id: int, text: str, *, first_name: str = "Budi",
                language_code: str = "en", reply_to: int | None = None,
                username: str | None = None) -> dict[str, Any]:
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0,
                                  "length": len(text.split()[0])}]
        if reply_to is not None:
            extra["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()),
                                         "chat": {"id": chat_id, "type": "private"},
                                         "from": BOT, "text": "…"}
        return self.content(chat_id, extra, first_name=first_name,
                            language_code=language_code, username=username)

    def content(self, chat_id: int, fields: dict[str, Any], *, first_name: str = "Budi",
                language_code: str = "en", username: str | None = None) -> dict[str, Any]:
        """A private message holding `fields` (text, photo, document, location, ...)."""
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name,
                                "language_code": language_code}
        if username:
            user["username"] = username
        return {"update_id": next(self._ids), "message": {
            "message_id": next(self._messages), "date": int(time.time()), "from": user,
            "chat": {"id": chat_id, "type": "private", "first_name": first_name}, **fields,
        }}

    def last_message_id(self, chat_id: int | str) -> int:
        """The id Telegram gave the last message the bot sent to the chat."""
        found = [c for c in self.calls if c.method == "sendMessage" and c.status == 200
                 and str(c.params["chat_id"]) == str(chat_id)]
        return int(found[-1].result["message_id"])

    def press(self, chat_id: int, data: str, *, language_code: str = "en") -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Agent",
                "language_code": language_code}
        return {"update_id": next(self._ids), "callback_query": {
            "id": str(next(self._ids) * 7919), "from": user, "chat_instance": "-42",
            "data": data,
            "message": {"message_id": next(self._messages), "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"}, "text": "🎫",
                        "from": BOT},
        }}

    def push(self, update: dict[str, Any]) -> None:
        """For long polling: the next getUpdates returns it."""
        with self._cond:
            self._updates.append(update)
            self._cond.notify_all()

    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    # The server.
    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method == "getMe":
            return 200, BOT
        if method == "sendMessage":
            if str(params.get("chat_id")) in self.blocked:
                return 403, "Forbidden: bot was blocked by the user"
            if not str(params.get("text", "")).strip():
                return 400, "Bad Request: message text is empty"
            return 200, {"message_id": next(self._messages), "date": int(time.time()),
                         "chat": {"id": int(params["chat_id"]), "type": "private"},
                         "from": BOT, "text": params["text"]}
        if method in FILE_METHODS:
            return self._file_message(FILE_METHODS[method], params)
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return 200, True
        if method == "getFile":
            found = self.files.get(str(params.get("file_id")))
            if found is None:
                return 400, "Bad Request: invalid file_id"
            return 200, {"file_id": params["file_id"], "file_unique_id": "u" + params["file_id"],
                         "file_size": len(found[0]), "file_path": found[1]}
        if method == "getUpdates":
            return 200, self._take_updates(int(params.get("offset") or 0),
                                           float(params.get("timeout") or 0))
        return 404, "Not Found: method not found"

    def _file_message(self, field_name: str, params: dict[str, Any]) -> tuple[int, Any]:
        """sendPhoto / sendDocument with the file uploaded in the request, as Telegram takes
        it: a photo up to 10 MB, a document up to 50 MB, a caption up to 1024 characters."""
        if str(params.get("chat_id")) in self.blocked:
            return 403, "Forbidden: bot was blocked by the user"
        file = params.get(field_name)
        if not isinstance(file, FormPart) or not file.data:
            return 400, f"Bad Request: there is no {field_name} in the request"
        if len(file.data) > FILE_LIMITS[field_name]:
            return 400, "Bad Request: file is too big"
        if len(str(params.get("caption", ""))) > 1024:
            return 400, "Bad Request: message caption is too long"
        file_id = f"AgAC{next(self._ids)}"
        self.files[file_id] = (file.data, f"{field_name}s/{file.filename or 'file'}")
        sent: dict[str, Any] = {"file_id": file_id, "file_unique_id": "u" + file_id,
                                "file_size": len(file.data)}
        found: dict[str, Any] = {
            "message_id": next(self._messages), "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"}, "from": BOT,
            field_name: ([{**sent, "width": 800, "height": 600}] if field_name == "photo"
                         else {**sent, "file_name": file.filename})}
        if params.get("caption"):
            found["caption"] = params["caption"]
        return 200, found

    def _take_updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + min(timeout, 5.0)
        with self._cond:
            # Like Telegram: an offset confirms every update before it.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self._updates)

    def __enter__(self) -> FakeTelegram:
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                token, _, method = self.path.lstrip("/").removeprefix("bot").partition("/")
                params = _params(self.headers.get("Content-Type", ""), raw)
                if fake.failing:
                    fake.calls.append(Call(method, params, 502))
                    self.reply(502, BAD_GATEWAY, "text/html")
                    return
                if token != fake.token:
                    status, result = 401, "Unauthorized"
                else:
                    status, result = fake.answer(method, params)
                fake.calls.append(Call(method, params, status, result))
                body = ({"ok": True, "result": result} if status == 200 else
                        {"ok": False, "error_code": status, "description": result})
                self.reply(status, json.dumps(body).encode(), "application/json")

            def do_GET(self) -> None:
                prefix = f"/file/bot{fake.token}/"
                if unquote(self.path).startswith(prefix):
                    path = unquote(self.path).removeprefix(prefix)
                    found = [data for data, p in fake.files.values() if p == path]
                    if found:
                        fake.downloads.append(path)
                        self.reply(200, found[0], "application/octet-stream")
                    else:
                        self.reply(404, b"Not Found", "text/plain")
                    return
                self.do_POST()

        self._server = Loopback(Handler)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        with self._cond:
            self._cond.notify_all()
        self._server.stop()


def _params(content_type: str, raw: bytes) -> dict[str, Any]:
    """The Bot API takes parameters as a query string, form, multipart form (with files), or
    JSON; nested values (markup, lists) arrive JSON-encoded inside a form."""
    if content_type.startswith("application/json"):
        loaded: dict[str, Any] = json.loads(raw or b"{}")
        return loaded
    params: dict[str, Any]
    if content_type.startswith("multipart/form-data"):
        params = {name: part if part.filename is not None else part.text
                  for name, part in form_parts(content_type, raw).items()}
    else:
        params = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
    for key in ("reply_markup", "allowed_updates"):
        if key in params:
            params[key] = json.loads(params[key])
    return params
