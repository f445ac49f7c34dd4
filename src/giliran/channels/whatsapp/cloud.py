"""Sending on the WhatsApp Cloud API, and fetching what customers sent.

Requests go to `{api_url}/{phone-number-id}/messages` with the access token as a bearer token
(Graph API, version pinned in the URL). A file goes in two calls: uploaded to
`{phone-number-id}/media` (multipart: `file`, `type`, `messaging_product`), which answers its
media id, then a message of type image or document naming that id. A retry uploads again:
an upload without its message costs nothing, and Meta forgets it after 30 days. The token is
in a header, never in a URL, and nothing here puts a response body or the token into an error
it returns or logs.
"""

from __future__ import annotations

from typing import Any

import httpx

from giliran.adapters.channel import Media
from giliran.domain.conversation import Kind
from giliran.domain.errors import ChannelUnavailable, TooLarge
from giliran.domain.notices import Notice
from giliran.service.notices.notify import Sent

DEFAULT_API_URL = "https://graph.facebook.com/v23.0"
# Meta's codes that say "later" rather than "never": throttling, a temporary fault, a token
# an admin can renew.
_TRANSIENT = frozenset({1, 2, 4, 17, 190, 341, 368, 80007, 130429, 131000, 131016, 131048,
                        131056, 133004})


class WhatsAppCloud:
    """Sends from the business number the customer wrote to, or else `default_from`."""

    def __init__(self, access_token: str, api_url: str = DEFAULT_API_URL, *,
                 default_from: str, timeout: float = 10.0) -> None:
        self._api = api_url.rstrip("/")
        self._default_from = default_from
        self._client = httpx.AsyncClient(
            timeout=timeout, headers={"Authorization": f"Bearer {access_token}"})

    async def start(self) -> None:
        """Nothing to ask Meta at start: an outage cannot stop the server."""

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, notice: Notice) -> Sent:
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual",
                                "to": notice.chat_id}
        if notice.template:
            name, _, lang = notice.template.partition(":")
            body.update(type="template", template={"name": name,
                                                   "language": {"code": lang or "en"}})
        else:
            body.update(type="text", text={"preview_url": False, "body": notice.text})
        return await self._message(notice, body)

    async def send_media(self, notice: Notice, data: bytes) -> Sent:
        """The file `notice.media` describes (its bytes: `data`), `notice.text` its caption."""
        media = notice.media
        assert media is not None
        try:
            r = await self._client.post(
                f"{self._api}/{notice.via or self._default_from}/media",
                data={"messaging_product": "whatsapp", "type": media.mime_type},
                files={"file": (media.file_name, data, media.mime_type)})
        except httpx.HTTPError as exc:
            return Sent(f"{type(exc).__name__}: WhatsApp did not answer")
        if not r.is_success:
            return self._refused(r)
        try:
            media_id = str(r.json()["id"])
        except (ValueError, KeyError, TypeError):
            return Sent("WhatsApp took the file but sent no media id")
        kind = "image" if media.kind is Kind.IMAGE else "document"
        carried: dict[str, Any] = {"id": media_id}
        if notice.text:
            carried["caption"] = notice.text
        if kind == "document":
            carried["filename"] = media.file_name
        return await self._message(notice, {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": notice.chat_id, "type": kind, kind: carried})

    async def _message(self, notice: Notice, body: dict[str, Any]) -> Sent:
        try:
            r = await self._client.post(f"{self._api}/{notice.via or self._default_from}"
                                        "/messages", json=body)
        except httpx.HTTPError as exc:
            return Sent(f"{type(exc).__name__}: WhatsApp did not answer")
        if r.is_success:
            try:
                return Sent(channel_id=str(r.json()["messages"][0]["id"]))
            except (ValueError, KeyError, IndexError, TypeError):
                return Sent("WhatsApp accepted the message but sent no message id")
        return self._refused(r)

    def _refused(self, r: httpx.Response) -> Sent:
        try:
            error = r.json()["error"]
            code, message = int(error.get("code", 0)), str(error.get("message", ""))
        except (ValueError, KeyError, TypeError):
            return Sent(f"HTTP {r.status_code} from WhatsApp")
        permanent = r.status_code < 500 and r.status_code != 429 and code not in _TRANSIENT
        return Sent(f"{code} {message}"[:300], permanent=permanent)

    async def fetch_media(self, media_id: str, cap: int) -> Media:
        """Meta first tells where the file is (and its size), then hands it over to the same
        bearer token."""
        try:
            info = await self._client.get(f"{self._api}/{media_id}")
            if not info.is_success:
                raise ChannelUnavailable(f"WhatsApp refused the media ({info.status_code})")
            meta = info.json()
            if int(meta.get("file_size") or 0) > cap:
                raise TooLarge(f"the file is over {cap} bytes")
            data = bytearray()
            async with self._client.stream("GET", str(meta["url"])) as r:
                if not r.is_success:
                    raise ChannelUnavailable(f"WhatsApp refused the file ({r.status_code})")
                async for chunk in r.aiter_bytes():
                    data += chunk
                    if len(data) > cap:
                        raise TooLarge(f"the file is over {cap} bytes")
        except httpx.HTTPError as exc:
            raise ChannelUnavailable(f"WhatsApp did not answer ({type(exc).__name__})") from None
        except (ValueError, KeyError, TypeError):
            raise ChannelUnavailable("WhatsApp's answer about the media was not readable"
                                     ) from None
        return Media(bytes(data), str(meta.get("mime_type") or "application/octet-stream"))
