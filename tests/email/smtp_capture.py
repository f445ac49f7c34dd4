"""A local SMTP server (aiosmtpd, in its own thread) that keeps what it is sent, refuses the
recipients it is told to, and speaks plain SMTP, STARTTLS or TLS from the first byte, with a
self-signed certificate made for the test run (openssl). For the mail-out tests and the
integrator's end-to-end ones.

A mail is kept before the server answers 250, so once the client's send has returned, the
mail is there to look at: nothing to wait for.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Captured:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    over_tls: bool

    @property
    def message(self) -> EmailMessage:
        """The mail as a client reads it (SMTP's CRLF line ends become the parser's own, or
        every decoded text part would keep a CR at each line's end)."""
        raw = self.raw.replace(b"\r\n", b"\n")
        return cast(EmailMessage, message_from_bytes(raw, policy=policy.default))


@dataclass
class Capture:
    """The server's memory: what it kept, which logins it saw, whom it refuses and how
    (`refuse["x@y"] = "550 5.1.1 <x@y>: no such user"`)."""

    refuse: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    kept: list[Captured] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.kept.append(Captured(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw,
                                  _over_tls(server, session)))
        return "250 2.0.0 kept"

    def authenticate(self, server: Any, session: Session, envelope: Envelope,
                     mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append(login)
        # handled=False: aiosmtpd then answers 535 itself (handled=True would answer nothing)
        return AuthResult(success=self.users.get(login) == password, handled=False)


def _over_tls(server: Any, session: Session) -> bool:
    """aiosmtpd notes STARTTLS in the session; TLS from the first byte is the transport's."""
    return session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client that trusts this certificate only, and checks the host name."""
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(directory: Path) -> Certificate:
    """A certificate for 127.0.0.1 and localhost (an EC key: made in milliseconds)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    return Certificate(cert, key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(*, starttls: Certificate | None = None, tls: Certificate | None = None,
                users: dict[str, str] | None = None, auth_over_plain: bool = False,
                smtputf8: bool = True) -> Iterator[Capture]:
    """A running server: plain, offering STARTTLS (`starttls`) or TLS from the first byte
    (`tls`); with `users`, it offers AUTH (over plain text too with `auth_over_plain`: a
    server a client must not trust with a password)."""
    capture = Capture(users=dict(users or {}))
    kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    if starttls is not None:
        kwargs["tls_context"] = starttls.server_context()
    if users is not None:
        kwargs["authenticator"] = capture.authenticate
        # aiosmtpd counts only STARTTLS as TLS for AUTH; TLS from the first byte is too
        kwargs["auth_require_tls"] = not auth_over_plain and tls is None
    capture.port = free_port()
    controller = Controller(capture, hostname=HOST, port=capture.port,
                            ssl_context=tls.server_context() if tls else None, **kwargs)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()
