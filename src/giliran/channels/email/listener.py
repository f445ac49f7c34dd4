"""Mail in over SMTP: a listener for desks that point their MX or a relay at giliran
(`GILIRAN_SMTP_LISTEN=host:port`, given here as a parameter).

Nothing lost: the sending server is told 250 only after the sink has stored the message and
committed; when the sink fails the answer is 451, a temporary failure, so the sender keeps the
message and tries again later (a retry after a lost 250 is absorbed by the sink's dedupe by
Message-ID). Mail for an address that is not one of the desk's mailboxes is refused at RCPT with
550, so giliran is never an open relay and the sender hears at once that the address is wrong.
`support+<token>@desk` is the mailbox `support@desk`: replies carry the token in that form.

Each accepted recipient is recorded as a `Delivered-To` header on top of the message, as a
local delivery agent does, because the envelope is the only place a Bcc'd mailbox or a token
appears; it is deterministic, so a retried message is the same bytes.

aiosmtpd's Controller runs the server on an event loop in its own thread; the sink (which does
blocking database work) runs in that loop's executor, so one slow store holds up no session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)

Sink = Callable[[bytes], None]
# Is this one of the desk's mailbox addresses? Asked with the plain address, lower-case.
Accepts = Callable[[str], bool]
LARGEST_MESSAGE = 35 * 1024 * 1024  # bytes; 25 MB of attachments in base64, as Gmail allows


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port`, `[::1]:2525` or `:2525` (every interface) into (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, got {listen!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def mailbox_of(address: str) -> str:
    """The mailbox an address reaches: lower-case, without a `+tag` in its local part."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}".lower()


class DeskHandler:
    """aiosmtpd's handler: which recipients are ours, and storing what is sent to them."""

    def __init__(self, accepts: Accepts, sink: Sink) -> None:
        self.accepts = accepts
        self.sink = sink

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self.accepts(mailbox_of(address)):
            return "550 5.1.1 No mailbox here by that name"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        body = content if isinstance(content, bytes) else content.encode()
        trace = "".join(f"Delivered-To: {to}\r\n" for to in envelope.rcpt_tos).encode()
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.sink, trace + body)
        except Exception:
            log.exception("smtp listener: a message from %s was not stored; answered 451",
                          session.peer)
            return "451 4.3.0 The message could not be stored; please try again later"
        return "250 2.0.0 Message accepted"


class SmtpListener:
    """The listener as a Background of the channel: start() binds and serves, stop() closes."""

    def __init__(self, listen: str, accepts: Accepts, sink: Sink, *,
                 largest: int = LARGEST_MESSAGE, hostname: str | None = None) -> None:
        self.host, self.port = parse_listen(listen)
        self.handler = DeskHandler(accepts, sink)
        self._options: dict[str, Any] = {"data_size_limit": largest, "enable_SMTPUTF8": True,
                                         "server_hostname": hostname}
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port,
                                      **self._options)
        self._controller.start()
        log.info("smtp listener on %s:%s", self.host, self.port)

    def halt(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def stop(self) -> None:
        await asyncio.to_thread(self.halt)
