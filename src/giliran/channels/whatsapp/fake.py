"""A fake WhatsApp Cloud API (Graph API) server on loopback, speaking Meta's HTTP/JSON protocol:

- `POST /<version>/<phone-number-id>/messages` with `Authorization: Bearer <token>` and a JSON
  body (`messaging_product: whatsapp`, `to`, `type: text|template`) answers
  `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}`;
- `GET /<version>/<media-id>` answers the media's `url`, `mime_type`, `sha256`, `file_size`;
  the URL then hands over the bytes, to the same bearer token only;
- `POST /<version>/<phone-number-id>/media` (multipart/form-data: `file`, `type`,
  `messaging_product=whatsapp`) keeps the file and answers `{"id"}`; a message of type
  `image` or `document` must then name such an id (`{"id", "caption", "filename"}`);
- refusals carry Meta's error body `{"error": {"message", "type", "code", "error_subcode",
  "fbtrace_id"}}`; `failing` makes it answer 503 to everything, like an outage.

giliran's real client (httpx, `channels/whatsapp/cloud.py`) talks to it through
GILIRAN_WHATSAPP_API_URL. It also builds the webhook deliveries Meta POSTs to giliran
(messages and statuses), signed with the app secret as Meta signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from giliran.channels.loopback import FormPart, Loopback, QuietHandler, form_parts

ACCESS_TOKEN = "EAAG-fake-system-user-token-for-giliran-tests"
VERSION = "v23.0"
PHONE_ID = "106540352242922"
APP_SECRET = "meta-app-secret-for-tests"


@dataclass
class Sent:
    phone_id: str
    body: dict[str, Any]
    status: int
    wamid: str | None = None


@dataclass
class Uploaded:
    phone_id: str
    media_id: str
    data: bytes
    mime_type: str  # the `type` field
    file_name: str | None
    file_type: str | None  # the file part's own Content-Type


@dataclass
class FakeGraph:
    token: str = ACCESS_TOKEN
    failing: bool = False  # 503 to every request while set
    # Recipients Meta refuses, with (HTTP status, error code, message).
    refuse: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    calls: list[Sent] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)  # media ids whose bytes were handed over
    uploads: list[Uploaded] = field(default_factory=list)  # files giliran uploaded, in order
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Loopback | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    @property
    def api_url(self) -> str:
        return f"{self.url}/{VERSION}"

    def sent(self) -> list[Sent]:
        """Messages Meta accepted, in order."""
        with self._lock:
            return [c for c in self.calls if c.status == 200]

    def texts_to(self, wa_id: str) -> list[str]:
        return [c.body["text"]["body"] for c in self.sent()
                if c.body["to"] == wa_id and c.body["type"] == "text"]

    def media_to(self, wa_id: str) -> list[dict[str, Any]]:
        """Image and document messages Meta accepted for `wa_id`: each one's `type` and what
        it carries (`id`, `caption`, `filename`)."""
        return [{"type": c.body["type"], **c.body[c.body["type"]]} for c in self.sent()
                if c.body["to"] == wa_id and c.body["type"] in ("image", "document")]

    def failed_attempts(self) -> int:
        with self._lock:
            return sum(c.status != 200 for c in self.calls)

    def add_media(self, media_id: str, data: bytes, mime: str) -> None:
        self.media[media_id] = (data, mime)

    # The server.
    def upload(self, phone_id: str, parts: dict[str, FormPart]) -> tuple[int, dict[str, Any]]:
        file, kind = parts.get("file"), parts.get("type")
        product = parts.get("messaging_product")
        if file is None or kind is None or product is None or product.text != "whatsapp":
            return 400, error(100, "(#100) The parameter file, type and messaging_product "
                                   "are required.")
        media_id = f"{next(self._ids) + 7_000_000_000_000:d}"
        with self._lock:
            self.uploads.append(Uploaded(phone_id, media_id, file.data, kind.text,
                                         file.filename, file.content_type))
            self.media[media_id] = (file.data, kind.text)
        return 200, {"id": media_id}

    def send_message(self, phone_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return 400, error(100, "(#100) Invalid parameter")
        if body.get("type") == "text" and not str((body.get("text") or {}).get("body", "")):
            return 400, error(100, "(#100) The parameter text['body'] is required.")
        kind = body.get("type")
        if kind in ("image", "document"):
            media_id = str((body.get(kind) or {}).get("id", ""))
            with self._lock:
                known = any(u.media_id == media_id for u in self.uploads)
            if not known:
                return 400, error(131053, "Media upload error", 131053)
        refused = self.refuse.get(str(body["to"]))
        if refused is not None:
            return refused[0], error(refused[1], refused[2])
        wamid = f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEj{next(self._ids):06d}"
        return 200, {"messaging_product": "whatsapp",
                     "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                     "messages": [{"id": wamid}]}

    def __enter__(self) -> FakeGraph:
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.strip("/").split("/")
                if fake.failing:
                    self._record(parts, {}, 503)
                    return self._json(503, error(2, "Service temporarily unavailable"))
                if not self._authorized():
                    return self._json(401, error(190, "Invalid OAuth access token."))
                if len(parts) == 3 and parts[0] == VERSION and parts[2] == "media":
                    try:
                        form = form_parts(self.headers.get("Content-Type", ""), raw)
                    except ValueError:
                        return self._json(400, error(100, "(#100) Invalid multipart body"))
                    return self._json(*fake.upload(parts[1], form))
                if len(parts) != 3 or parts[0] != VERSION or parts[2] != "messages":
                    return self._json(400, error(100, "Unsupported post request."))
                body = json.loads(raw or b"{}")
                status, answer = fake.send_message(parts[1], body)
                wamid = answer["messages"][0]["id"] if status == 200 else None
                with fake._lock:
                    fake.calls.append(Sent(parts[1], body, status, wamid))
                self._json(status, answer)

            def do_GET(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                if fake.failing:
                    return self._json(503, error(2, "Service temporarily unavailable"))
                if not self._authorized():
                    return self._json(401, error(190, "Invalid OAuth access token."))
                if len(parts) == 2 and parts[0] == VERSION and parts[1] in fake.media:
                    data, mime = fake.media[parts[1]]
                    return self._json(200, {
                        "messaging_product": "whatsapp", "id": parts[1], "mime_type": mime,
                        "url": f"{fake.url}/whatsapp_business/attachments/{parts[1]}",
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "file_size": str(len(data))})
                if parts[:2] == ["whatsapp_business", "attachments"] and len(parts) == 3:
                    found = fake.media.get(parts[2])
                    if found is not None:
                        with fake._lock:
                            fake.downloads.append(parts[2])
                        return self.reply(200, found[0], found[1])
                self._json(404, error(100, "(#100) Unsupported get request."))

            def _authorized(self) -> bool:
                return self.headers.get("Authorization") == f"Bearer {fake.token}"

            def _record(self, parts: list[str], body: dict[str, Any], status: int) -> None:
                with fake._lock:
                    fake.calls.append(Sent(parts[1] if len(parts) > 1 else "", body, status))

            def _json(self, status: int, body: dict[str, Any]) -> None:
                self.reply(status, json.dumps(body).encode(), "application/json")

        self._server = Loopback(Handler)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.stop()


def error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                            "fbtrace_id": "AbCdEfGhIjK"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return {"error": body}


# Webhook deliveries, as Meta POSTs them to giliran.
def delivery(*, messages: list[dict[str, Any]] | None = None,
             statuses: list[dict[str, Any]] | None = None, phone_id: str = PHONE_ID,
             contacts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_id},
    }
    if messages:
        value["contacts"] = contacts or [{"profile": {"name": "Budi"},
                                          "wa_id": str(messages[0]["from"])}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account", "entry": [
        {"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}


def status(wamid: str, state: str, at: int, recipient: str = "6281234567890",
           errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"id": wamid, "status": state, "timestamp": str(at),
                             "recipient_id": recipient}
    if state == "sent":
        found["conversation"] = {"id": "CONVERSATION_ID",
                                 "origin": {"type": "service"}}
        found["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    if errors:
        found["errors"] = errors
    return found


def signed(body: dict[str, Any] | bytes, secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
