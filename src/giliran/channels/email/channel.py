"""Email as giliran's channel port. Three ways in, one intake (`intake.take_in`):

- IMAP: a reader per mailbox that has a server (`running.Readers`, `imap.py`);
- the SMTP listener, when GILIRAN_SMTP_LISTEN is set (`listener.py`);
- the generic webhook, `/api/v1/channels/email/webhook`: an inbound-mail provider posts the
  raw RFC 5322 message, signed with GILIRAN_EMAIL_INBOUND_SECRET.

And one way out: the courier hands agents' replies to `client.EmailClient` (SMTP). The
channel also brings its tables and their migrations (`store.py`), `/api/v1/mailboxes`
(`routes.py`) and the console's Mailboxes section (`console/`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import MetaData

from giliran.adapters.sql.uow import connection_of
from giliran.channels.email import console, routes, store
from giliran.channels.email.client import EmailClient, Outbound
from giliran.channels.email.imap import ImapAccount
from giliran.channels.email.intake import EMAIL, Taken, take_in
from giliran.channels.email.kept import KeptOriginals, load_progress, save_progress
from giliran.channels.email.listener import SmtpListener, mailbox_of
from giliran.channels.email.mail import Mail, normalise
from giliran.channels.email.mailbox import Mailbox
from giliran.channels.email.running import Readers, Reading
from giliran.channels.email.settings import EmailSettings
from giliran.channels.port import (
    Background,
    Body,
    ConsoleSection,
    Delivery,
    Reception,
    Refusal,
    RouteKit,
    Runs,
)
from giliran.config import Settings
from giliran.domain.errors import (
    BadSignature,
    Forbidden,
    MalformedRequest,
    NotConfigured,
    SignatureMissing,
)
from giliran.service.context import Context

log = logging.getLogger("giliran.email")
SIGNATURE_HEADER = "x-giliran-signature"
LISTEN_RETRY_SECONDS = 10.0


@dataclass(frozen=True)
class RawMail:
    """A message as an inbound-mail provider posted it."""

    raw: bytes


def _mailboxes(ctx: Context) -> list[Mailbox]:
    with ctx.uow(write=False) as uow:
        return store.SqlMailboxes(connection_of(uow)).listed(active_only=True)


class Intake:
    """Mail in, whichever way, on the writer path; the desk's mailboxes as of the last read."""

    def __init__(self, ctx: Context, run_write: Runs) -> None:
        self.ctx = ctx
        self.run_write = run_write
        self.originals = KeptOriginals(ctx)
        self.boxes: dict[str, Mailbox] = {}

    def refresh(self) -> list[Mailbox]:
        found = _mailboxes(self.ctx)
        self.boxes = {m.address: m for m in found}
        return found

    def accepts(self, address: str) -> bool:
        return address.lower() in self.boxes

    async def for_mailbox(self, mailbox_id: int, raw: bytes) -> Taken:
        box = next((m for m in self.boxes.values() if m.id == mailbox_id), None)
        if box is None:  # deactivated meanwhile: read again once it is back
            raise LookupError(f"mailbox {mailbox_id} is not active")
        return await self._take_in(box, raw, await self._read(raw))

    async def addressed(self, raw: bytes) -> Taken | None:
        """A mail that names its mailbox only by whom it is for (listener, provider)."""
        if not self.boxes:
            await asyncio.to_thread(self.refresh)
        mail = await self._read(raw)
        box = next((found for address in mail.recipients
                    if (found := self.boxes.get(mailbox_of(address))) is not None), None)
        return None if box is None else await self._take_in(box, raw, mail)

    async def _read(self, raw: bytes) -> Mail:
        """Parsed off the writer path, in a worker thread: a large or hostile mail takes up
        to seconds, which the floor's writers must not wait for. Mail from any of the desk's
        own addresses is a loop."""
        return await asyncio.to_thread(normalise, raw, frozenset(self.boxes))

    async def _take_in(self, box: Mailbox, raw: bytes, mail: Mail) -> Taken:
        taken: Taken = await self.run_write(take_in, self.ctx, box, raw, mail, self.originals)
        return taken


class Mailroom:
    """The channel's Background: the IMAP readers, the listener, and keeping `intake`'s
    mailboxes current."""

    def __init__(self, intake: Intake, settings: EmailSettings) -> None:
        self.intake = intake
        self.readers = Readers(self._readings, intake.for_mailbox, self._progress)
        listen = settings.smtp_listen
        self.listener = None if listen is None else SmtpListener(
            listen, intake.accepts, self._listened,
            largest=settings.email_max_message_bytes)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.readers.start()
        if self.listener is not None:
            self._listening = asyncio.create_task(self._listen(self.listener),
                                                  name="email-listener")

    async def _listen(self, listener: SmtpListener) -> None:
        """Binds the listener's port. With several workers one of them binds it and the
        others keep trying every LISTEN_RETRY_SECONDS, so one takes over if it goes."""
        await asyncio.to_thread(self.intake.refresh)
        while True:
            try:
                await asyncio.to_thread(listener.start)
                return
            except OSError as exc:
                log.info("smtp listener: %s:%s is taken (%s); another worker listens, trying "
                         "again in %s s", listener.host, listener.port, exc.strerror,
                         LISTEN_RETRY_SECONDS)
            await asyncio.sleep(LISTEN_RETRY_SECONDS)

    async def stop(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        if self.listener is not None:
            await self.listener.stop()
        await self.readers.stop()

    def _readings(self) -> list[Reading]:
        return [Reading(m.id, ImapAccount(
            host=m.imap_host, port=m.imap_port or (993 if m.imap_security == "tls" else 143),
            user=m.imap_user or m.address, password=m.imap_password or "",
            security=m.imap_security.value, folder=m.imap_folder, move_to=m.imap_move_to,
            idle=m.imap_idle, poll_seconds=float(m.poll_seconds)))
            for m in self.intake.refresh() if m.reads_imap and m.imap_host]

    def _progress(self, reading: Reading) -> _Progress:
        assert self._loop is not None
        return _Progress(self.intake, reading.account.folder, self._loop)

    def _listened(self, raw: bytes) -> None:
        """The listener's sink (its own thread): returns once stored, raises otherwise."""
        assert self._loop is not None
        taken = asyncio.run_coroutine_threadsafe(self.intake.addressed(raw), self._loop)
        if taken.result() is None:
            raise LookupError("no mailbox among the recipients")


class _Progress:
    """imap.Progress on the database: saving is a write, so it goes to the writer path."""

    def __init__(self, intake: Intake, folder: str, loop: asyncio.AbstractEventLoop) -> None:
        self._intake = intake
        self._folder = folder
        self._loop = loop

    def load(self, mailbox_id: int) -> tuple[int, int] | None:
        with self._intake.ctx.uow(write=False) as uow:
            return load_progress(connection_of(uow), mailbox_id, self._folder)

    def save(self, mailbox_id: int, uidvalidity: int, uid: int) -> None:
        ctx = self._intake.ctx

        def save() -> None:
            with ctx.uow(write=True) as uow:
                save_progress(connection_of(uow), mailbox_id, self._folder, uidvalidity, uid)
                uow.commit()

        async def saved() -> None:
            await self._intake.run_write(save)

        asyncio.run_coroutine_threadsafe(saved(), self._loop).result()


class Email:
    name = EMAIL
    tells_resolved = True
    has_handshake = False
    migrations: Path = store.MIGRATIONS
    metadata: MetaData = store.metadata
    settings_model = EmailSettings

    @cached_property
    def settings(self) -> EmailSettings:
        return EmailSettings()

    def sends(self, settings: Settings) -> bool:
        return self.settings.email_enabled

    def client(self, settings: Settings) -> EmailClient | None:
        if not self.settings.email_enabled:
            return None
        default = self.settings.smtp_url
        return EmailClient(default.get_secret_value() if default else None, _outbound)

    def max_attempts(self, settings: Settings) -> int:
        return self.settings.email_max_attempts

    def handshake(self, settings: Settings, query: Mapping[str, str]) -> str | Refusal:
        return Refusal(Forbidden("email has no verification handshake"))

    async def authenticate(self, settings: Settings, headers: Mapping[str, str],
                           body: Body) -> Refusal | None:
        """An HMAC-SHA256 of the raw message under GILIRAN_EMAIL_INBOUND_SECRET."""
        secret = self.settings.email_inbound_secret
        if secret is None or not self.settings.email_enabled:
            return Refusal(NotConfigured("set GILIRAN_EMAIL_INBOUND_SECRET to receive mail "
                                         "posted by an inbound-mail provider"))
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            return Refusal(SignatureMissing(f"{SIGNATURE_HEADER} is missing"))
        expected = "sha256=" + hmac.new(secret.get_secret_value().encode(), await body(),
                                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
            log.warning("email post refused: the signature does not match")
            return Refusal(BadSignature("the signature does not match"), guessed=True)
        return None

    def parse(self, settings: Settings, body: bytes) -> Delivery:
        if not body.strip():
            raise MalformedRequest("the body is empty: post the raw RFC 5322 message")
        if len(body) > self.settings.email_max_message_bytes:
            raise MalformedRequest("the message is over GILIRAN_EMAIL_MAX_MESSAGE_BYTES")
        return Delivery([RawMail(body)])  # type: ignore[list-item]

    async def deliver(self, delivery: Delivery, reception: Reception) -> dict[str, Any]:
        intake = Intake(reception.ctx, reception.run_write)
        taken: list[str] = []
        for item in delivery.items:
            if isinstance(item, RawMail):
                found = await intake.addressed(item.raw)
                taken.append("no_mailbox" if found is None else found.value)
        return {"taken": taken}

    def background(self, settings: Settings, reception: Reception) -> Background | None:
        client = reception.client
        if isinstance(client, EmailClient):
            client.bind(reception.ctx)
        if not self.settings.email_enabled:
            return None
        return Mailroom(Intake(reception.ctx, reception.run_write), self.settings)

    def router(self, kit: RouteKit) -> APIRouter:
        return routes.router(kit)

    def console(self) -> ConsoleSection:
        return console.SECTION


def _outbound(ctx: Context, address: str) -> Outbound | None:
    with ctx.uow(write=False) as uow:
        found = store.SqlMailboxes(connection_of(uow)).by_address(address)
    if found is None or not found.active:
        return None
    return Outbound(found.address, found.name, found.smtp_url, found.thread_key.encode())

