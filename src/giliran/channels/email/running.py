"""The email channel's task beside the server: a reader per mailbox that has an IMAP server,
kept in step with the mailboxes in the database (one added, changed or deactivated through
the API is picked up within `RELOAD_SECONDS`), and the SMTP listener when
GILIRAN_SMTP_LISTEN asks for one.

Each mail a reader or the listener hands on is taken in on the server's writer path, and the
reader's thread waits for that commit before it saves its place (see imap.py): so a mail is
either stored or read again, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from giliran.channels.email.imap import ImapAccount, ImapReader, Progress

log = logging.getLogger("giliran.email")
RELOAD_SECONDS = 2.0


@dataclass(frozen=True)
class Reading:
    """A mailbox as its reader needs it; a change to any of it restarts the reader."""

    mailbox_id: int
    account: ImapAccount


Load = Callable[[], list[Reading]]
# Takes one raw mail in for a mailbox (on the writer path); raises when it could not be stored.
TakeIn = Callable[[int, bytes], Coroutine[Any, Any, object]]


class Readers:
    """The IMAP readers of the mailboxes that have a server, reloaded every few seconds."""

    def __init__(self, load: Load, take_in: TakeIn,
                 progress: Callable[[Reading], Progress],
                 reload_seconds: float = RELOAD_SECONDS) -> None:
        self._load = load
        self._take_in = take_in
        self._progress = progress
        self._reload = reload_seconds
        self._running: dict[int, tuple[Reading, ImapReader]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._keep_in_step(), name="email-readers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        running, self._running = list(self._running.values()), {}
        await asyncio.gather(*(reader.stop() for _, reader in running))

    async def _keep_in_step(self) -> None:
        while True:
            try:
                wanted = {r.mailbox_id: r for r in await asyncio.to_thread(self._load)}
            except Exception:  # the database away for a moment: try again next round
                log.exception("email: could not read the mailboxes")
            else:
                await self._apply(wanted)
            await asyncio.sleep(self._reload)

    async def _apply(self, wanted: dict[int, Reading]) -> None:
        for mailbox_id, (reading, reader) in list(self._running.items()):
            if wanted.get(mailbox_id) != reading:
                del self._running[mailbox_id]
                await reader.stop()
                log.info("email: stopped reading mailbox %d", mailbox_id)
        for mailbox_id, reading in wanted.items():
            if mailbox_id not in self._running:
                reader = ImapReader(mailbox_id, reading.account, self._progress(reading),
                                    self._sink(mailbox_id))
                reader.start()
                self._running[mailbox_id] = (reading, reader)
                log.info("email: reading mailbox %d at %s", mailbox_id, reading.account.host)

    def _sink(self, mailbox_id: int) -> Callable[[bytes], None]:
        """Called in the reader's thread: returns once the mail is committed."""
        loop = self._loop
        assert loop is not None

        def sink(raw: bytes) -> None:
            asyncio.run_coroutine_threadsafe(self._take_in(mailbox_id, raw), loop).result()

        return sink
