"""Sending a composed mail over SMTP (aiosmtplib): one attempt, whose result the courier
records like any channel's (`Sent`), retrying what is temporary.

The URL (`GILIRAN_SMTP_URL` or a mailbox's own) says how to reach the server:
`smtp://host:587` upgrades with STARTTLS when the server offers it (`?starttls=required`
refuses a server that does not), `smtps://user:pass@host:465` speaks TLS from the first byte.
The URL may hold the mailbox's password, so the URL itself is never logged nor put into an
error: only `scheme://host:port` is, and every error text is scrubbed of the credentials. A
password is never sent over a connection that is not encrypted (a relay that offers no
STARTTLS gets no AUTH: the reply fails, permanently, saying why).

SMTP's reply codes carry the retry decision (RFC 5321 4.2.1): 4xx is a temporary refusal (a
greylisting server, a full queue), retried; 5xx is permanent, and the server's reply text is
what the agent sees on the failed reply. A connection that fails or times out is temporary.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, quote, unquote, urlsplit

from aiosmtplib import (
    SMTP,
    SMTPException,
    SMTPNotSupported,
    SMTPRecipientsRefused,
    SMTPResponseException,
)

from giliran.service.notices.notify import Sent

log = logging.getLogger(__name__)
LONGEST_ERROR = 300
_DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpUrl:
    """Where and how to send; `repr` leaves the credentials out."""

    scheme: str
    host: str
    port: int
    starttls: bool | None = None  # None: when the server offers it; True: required
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpUrl:
        """The URL's parts; a ValueError that never quotes the URL (it may hold a password)."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ValueError("the SMTP URL cannot be read (smtp://host:port or "
                             "smtps://user:password@host:465)") from None
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError("the SMTP URL must be smtp://host[:port] or smtps://host[:port]")
        query = parse_qs(parts.query)
        starttls = query.get("starttls", [""])[0].lower()
        if starttls not in ("", "required"):
            raise ValueError("the SMTP URL's starttls may only be 'required'")
        if starttls and parts.scheme == "smtps":
            raise ValueError("smtps:// is TLS from the start: starttls does not apply")
        return cls(parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme],
                   True if starttls else None,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password is not None else None)

    @property
    def shown(self) -> str:
        """The URL as logs and errors may show it."""
        return f"{self.scheme}://{self.host}:{self.port}"

    def scrub(self, text: str) -> str:
        """`text` without the credentials, in the forms a library or a server might echo."""
        for secret in (self.password, self.username):
            if secret:
                for form in {secret, quote(secret, safe=""), quote(secret)}:
                    text = text.replace(form, "***")
        return text


class SmtpSender:
    """One SMTP server (a relay or the mailbox provider's submission port). A connection per
    attempt: replies are few, and a fresh connection never inherits a broken one's state."""

    def __init__(self, url: str | SmtpUrl, *, timeout: float = 30.0,
                 tls_context: ssl.SSLContext | None = None,
                 local_hostname: str | None = None) -> None:
        self._url = url if isinstance(url, SmtpUrl) else SmtpUrl.parse(url)
        self._timeout = timeout
        self._tls = tls_context
        self._local_hostname = local_hostname

    def __repr__(self) -> str:
        return f"SmtpSender({self._url.shown})"

    async def send(self, message: EmailMessage) -> Sent:
        """One attempt; ok carries the mail's Message-ID (without angle brackets), which a
        bounce will name."""
        client = SMTP(hostname=self._url.host, port=self._url.port,
                      use_tls=self._url.scheme == "smtps", start_tls=self._url.starttls,
                      timeout=self._timeout, tls_context=self._tls,
                      local_hostname=self._local_hostname)
        try:
            return await self._attempt(client, message)
        finally:
            await _close(client)

    async def _attempt(self, client: SMTP, message: EmailMessage) -> Sent:
        try:
            await client.connect()
            if self._url.username is not None:
                if client.get_transport_info("sslcontext") is None:
                    return self._failed(f"{self._url.shown} offered no STARTTLS: the "
                                        "password is not sent unencrypted", permanent=True)
                await client.login(self._url.username, self._url.password or "")
            refused, _ = await client.send_message(message)
        except SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            return self._failed(text, permanent=all(_permanent(code) for code in codes))
        except SMTPResponseException as exc:
            return self._failed(f"{exc.code} {exc.message}", permanent=_permanent(exc.code))
        except SMTPNotSupported as exc:  # an address in UTF-8 and a server without SMTPUTF8
            return self._failed(f"{self._url.shown}: {exc}", permanent=True)
        except (SMTPException, OSError) as exc:  # timeouts, refused or lost connections, TLS
            return self._failed(f"{type(exc).__name__}: {exc}", permanent=False)
        if refused:  # some recipients took it: the reply is sent, the rest is only logged
            log.warning("%s refused some recipients: %s", self._url.shown, self._url.scrub(
                "; ".join(f"{r.code} {r.message}" for r in refused.values())))
        return Sent(channel_id=_message_id(message))

    def _failed(self, text: str, *, permanent: bool) -> Sent:
        error = self._url.scrub(text.strip())[:LONGEST_ERROR]
        log.warning("sending by %s failed (%s): %s", self._url.shown,
                    "permanent" if permanent else "will retry", error)
        return Sent(error, permanent=permanent)


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _message_id(message: EmailMessage) -> str | None:
    mid = message.get("Message-ID")
    return str(mid).strip().strip("<>") if mid else None


async def _close(client: SMTP) -> None:
    """QUIT politely when the connection is still up; a server that has gone away is only
    closed (the attempt's result is already decided)."""
    if not client.is_connected:
        return
    try:
        await client.quit(timeout=5)
    except (SMTPException, OSError):
        client.close()
