"""Mail in over IMAP: one reader per mailbox, in a thread of its own (imapclient is blocking).

Nothing read twice, nothing skipped, mail left on the server: progress is the folder's
UIDVALIDITY and the last UID handed on, kept through `Progress` (the database's in the server).
Each message goes to the sink (which stores it and commits, idempotent by Message-ID) BEFORE
its UID is saved, so a crash between the two re-reads that one message and the sink's dedupe
absorbs it; a crash anywhere else re-reads nothing. A new UIDVALIDITY (the folder was rebuilt)
means the old UIDs say nothing: the reader reads the folder again from the start and the
dedupe keeps out what was stored before. Mail is fetched with BODY.PEEK, so the desk's own
mail client still sees it unread; with `move_to`, a stored message is moved out of the folder
(MOVE, or COPY + expunge where MOVE is missing) before its UID is saved.

New mail is heard of by IDLE where the server offers it (within a second, where polling lags
by minutes), by polling otherwise or when the mailbox says so; IDLE is renewed every
`poll_seconds` with a catch-up, so a lost notification costs at most one interval. A broken
connection is reopened with a doubling backoff; the password never reaches a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import IMAPClientError  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

Sink = Callable[[bytes], None]
Security = Literal["tls", "starttls", "none"]
# Messages fetched per round trip; each is still handed on and saved one at a time.
BATCH = 20
BATCH_BYTES = 20 * 1024 * 1024


class Progress(Protocol):
    """Where a mailbox's reading stands: (UIDVALIDITY, last UID handed to the sink)."""

    def load(self, mailbox_id: int) -> tuple[int, int] | None: ...
    def save(self, mailbox_id: int, uidvalidity: int, uid: int) -> None: ...


class InMemoryProgress:
    def __init__(self) -> None:
        self.saved: dict[int, tuple[int, int]] = {}

    def load(self, mailbox_id: int) -> tuple[int, int] | None:
        return self.saved.get(mailbox_id)

    def save(self, mailbox_id: int, uidvalidity: int, uid: int) -> None:
        self.saved[mailbox_id] = (uidvalidity, uid)


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    security: Security = "tls"
    folder: str = "INBOX"
    move_to: str | None = None
    idle: bool = True  # False: poll even where the server offers IDLE
    # False: a mailbox read for the first time starts after the mail already in it (a desk's
    # years of INBOX would otherwise all become tickets); later reads miss nothing either way.
    read_existing: bool = True
    poll_seconds: float = 60.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0
    longest: float = 300.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.longest)


class ReaderStopped(Exception):
    """Raised inside the reader's thread to leave a fetch when stop() was asked for."""


class ImapReader:
    """Reads one mailbox's folder into `sink` until stopped (the channel port's Background)."""

    def __init__(self, mailbox_id: int, account: ImapAccount, progress: Progress, sink: Sink,
                 *, backoff: Backoff = Backoff(), timeout: float = 30.0) -> None:
        self.mailbox_id = mailbox_id
        self.account = account
        self.progress = progress
        self.sink = sink
        self.backoff = backoff
        self.timeout = timeout
        self.connected = threading.Event()  # set while a session is open and caught up
        self.failures = 0  # sessions failed in a row (refused, lost, a failing sink)
        self.sessions = 0  # sessions opened (logged in) since start()
        self.mode: Literal["idle", "poll"] | None = None  # how the open session hears of mail
        self._stopping = threading.Event()
        self._client: IMAPClient | None = None
        self._idling = threading.Event()  # only then may halt() cut the session
        self._cut = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._cut.clear()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"imap-{self.mailbox_id}")
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    async def stop(self) -> None:
        await asyncio.to_thread(self.halt)

    def halt(self, timeout: float = 10.0) -> None:
        """Stop and wait for the thread. A message being handed on is stored and its UID saved
        first; a session waiting in IDLE is cut, which wakes it at once."""
        self._stopping.set()  # before looking at _idling; _idle() does the converse
        client = self._client
        if client is not None and self._idling.is_set():
            self._cut.set()
            with contextlib.suppress(OSError):
                client.socket().shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("imap mailbox %s: reader still busy after %.0f s", self.mailbox_id,
                            timeout)

    def _run(self) -> None:
        delays = self.backoff.delays()
        while not self._stopping.is_set():
            try:
                self._session()
            except ReaderStopped:
                break
            except Exception as exc:
                # A lost connection, a refused login, or a sink or progress that failed (the
                # database away): start again from the saved UID, which loses nothing.
                if self._stopping.is_set():
                    break
                if self.failures == 0:  # the last session had read all there was
                    delays = self.backoff.delays()
                self.failures += 1
                delay = next(delays)
                lost = isinstance(exc, IMAPClientError | OSError)
                # The server's answer, never the account: it holds the password.
                log.warning("imap mailbox %s (%s:%s): %s %s; again in %.1f s", self.mailbox_id,
                            self.account.host, self.account.port, type(exc).__name__,
                            exc if lost else "", delay, exc_info=not lost)
                self._stopping.wait(delay)
            finally:
                self.connected.clear()

    def _session(self) -> None:
        with self._connect() as client:
            self._client = client
            self.sessions += 1
            try:
                uidvalidity = self._select(client)
                idle = self.account.idle and client.has_capability("IDLE")
                self.mode = "idle" if idle else "poll"
                self._catch_up(client, uidvalidity)
                self.failures = 0  # counted until a session has read all there was
                self.connected.set()
                while True:
                    if idle:
                        self._idle(client)
                    else:
                        self._stopping.wait(self.account.poll_seconds)
                    if self._stopping.is_set():
                        raise ReaderStopped
                    if not idle:
                        # A server shows new mail to a session when it syncs the folder, which
                        # Dovecot does after a command: a SEARCH alone sees the old view.
                        client.noop()
                    self._catch_up(client, uidvalidity)
            finally:
                self._client = None

    @contextlib.contextmanager
    def _connect(self) -> Iterator[IMAPClient]:
        account = self.account
        client = IMAPClient(account.host, account.port, ssl=account.security == "tls",
                            ssl_context=account.ssl_context, timeout=self.timeout)
        try:
            if account.security == "starttls":
                client.starttls(account.ssl_context)
            client.login(account.user, account.password)
            yield client
        finally:
            with contextlib.suppress(IMAPClientError, OSError):
                client.logout()

    def _select(self, client: IMAPClient) -> int:
        if self.account.move_to and not client.folder_exists(self.account.move_to):
            client.create_folder(self.account.move_to)
        status = client.select_folder(self.account.folder)
        uidvalidity = int(status[b"UIDVALIDITY"])
        if not self.account.read_existing and self.progress.load(self.mailbox_id) is None:
            self.progress.save(self.mailbox_id, uidvalidity, int(status[b"UIDNEXT"]) - 1)
        return uidvalidity

    def _idle(self, client: IMAPClient) -> None:
        """Wait for news (an EXISTS) or `poll_seconds`, whichever comes first."""
        client.idle()
        self._idling.set()
        try:
            if self._stopping.is_set():  # halt() came before _idling was set: it cut nothing
                return
            remaining = self.account.poll_seconds
            while remaining > 0 and not self._stopping.is_set():
                step = min(remaining, 5.0)
                responses = client.idle_check(timeout=step)
                if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                    return
                remaining -= step
        finally:
            self._idling.clear()
            if not self._cut.is_set():
                client.idle_done()

    def _catch_up(self, client: IMAPClient, uidvalidity: int) -> None:
        saved = self.progress.load(self.mailbox_id)
        last = saved[1] if saved and saved[0] == uidvalidity else 0
        if saved and saved[0] != uidvalidity:
            log.warning("imap mailbox %s: UIDVALIDITY %s -> %s, reading the folder again",
                        self.mailbox_id, saved[0], uidvalidity)
            self.progress.save(self.mailbox_id, uidvalidity, 0)
        # "n:*" always names the highest UID, even one below n: hence the filter.
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        for batch in self._batches(client, uids):
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                if self._stopping.is_set():
                    raise ReaderStopped
                if uid in fetched:  # expunged meanwhile: nothing to read
                    self.sink(bytes(fetched[uid][b"BODY[]"]))
                    self._move(client, uid)
                self.progress.save(self.mailbox_id, uidvalidity, uid)

    def _batches(self, client: IMAPClient, uids: list[int]) -> Iterator[list[int]]:
        """UIDs in fetches of at most BATCH messages or BATCH_BYTES, whichever comes first
        (a backlog of attachments would otherwise sit in memory at once)."""
        if not uids:
            return
        sizes = client.fetch(uids, ["RFC822.SIZE"])
        batch: list[int] = []
        total = 0
        for uid in uids:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if batch and (len(batch) >= BATCH or total + size > BATCH_BYTES):
                yield batch
                batch, total = [], 0
            batch.append(uid)
            total += size
        yield batch

    def _move(self, client: IMAPClient, uid: int) -> None:
        target = self.account.move_to
        if not target:
            return
        if client.has_capability("MOVE"):
            client.move([uid], target)
        else:
            client.copy([uid], target)
            client.delete_messages([uid])
            if client.has_capability("UIDPLUS"):
                client.uid_expunge([uid])
            else:  # also expunges what the desk itself marked deleted in this folder
                client.expunge()
