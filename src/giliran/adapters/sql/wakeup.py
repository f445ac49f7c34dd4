"""Other processes' commits on this process's commit signal: PostgreSQL LISTEN/NOTIFY.

Within a process, a unit of work publishes each commit on the process's signal
(adapters/signal.py), and the event hub, the senders and the metrics hear it at once. Across
processes and replicas this module carries the same news: a writing unit of work that wrote
events (or gave a sender work) also sends NOTIFY on one channel, in the same transaction, so
PostgreSQL delivers it only when (and if) the transaction commits. Every server process LISTENs
on a dedicated connection and publishes what it hears on its own signal (`heard`), so its hub
reads the events table at once. A notification carries no data: the events table stays the one
source, so a missed notification (the listening connection dropped, the database restarted)
only costs latency, and the hub's and the senders' bounded polls, kept as a backstop, still find
the events.

The payload says whether the committing process sends its own outbox (webhook deliveries,
chat notices) at once. Server processes do, so other replicas need not race them for it;
`giliran tick` from cron, `giliran import` and servers with GILIRAN_OUTBOX=false do not, and
then the senders of the processes that hear the notification look at once.

SQLite has no LISTEN: there, other processes' commits are found by the bounded polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from giliran.adapters.sql.database import Database
from giliran.service.ports import CommitSignal, Committed

log = logging.getLogger("giliran.wakeup")
CHANNEL = "giliran_events"


class Wake(StrEnum):
    """What a notification asks of the processes that hear it."""

    EVENTS = "events"  # new events: read them now
    OUTBOX = "outbox"  # new events, and nobody sends their outbox yet: look at it now too


def notify_sql(wake: Wake) -> str:
    """The statement that queues the notification in a transaction: PostgreSQL sends it on
    commit and drops it on rollback; several alike in one transaction arrive as one. The unit
    of work sends it in the same round trip as the events' INSERT, so the writer lock is not
    held for one round trip more (0.1 ms on loopback, measured alone)."""
    return _NOTIFY[wake]


_NOTIFY = {wake: f"NOTIFY {CHANNEL}, '{wake.value}'" for wake in Wake}


def heard(wake: Wake) -> Committed:
    """A notification, as the process's commit signal carries it: some other process
    committed events (which ones, read the table), and maybe work nobody sends yet."""
    return Committed(outgoing=wake is Wake.OUTBOX, here=False)


class Listener:
    """LISTENs on a connection of its own (never one of the pool's, which are shared and
    reset) and calls `on_wake` in the event loop for each notification. When the connection
    is lost it reconnects, with backoff, and calls `on_wake(Wake.OUTBOX)` once listening again,
    since something may have committed while nobody listened."""

    CHECK_SECONDS = 30.0  # how long a silent connection goes before it is checked
    RETRY_SECONDS = (0.5, 30.0)  # the first and the longest wait before reconnecting

    def __init__(self, connect_args: dict[str, Any], on_wake: Callable[[Wake], None]) -> None:
        self._connect_args = connect_args
        self._on_wake = on_wake
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while LISTEN is in force

    @classmethod
    def of(cls, db: Database, signal: CommitSignal) -> Listener | None:
        """A listener that publishes what it hears on `signal`, or None where there is no
        LISTEN (SQLite)."""
        if db.is_sqlite:
            return None
        _, params = db.engine.dialect.create_connect_args(db.engine.url)
        params.pop("context", None)  # SQLAlchemy's type adapters: nothing this connection reads
        return cls(dict(params), lambda wake: signal.publish(heard(wake)))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="giliran-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = self.RETRY_SECONDS[0]
        while True:
            try:
                await self._listen()
            except Exception as exc:
                if self.listening.is_set():  # it worked until now: try again soon
                    delay = self.RETRY_SECONDS[0]
                # The database restarted, or the network dropped: the poll carries on alone.
                log.warning("listening for events failed (%s); polling meanwhile, reconnecting"
                            " in %.1f s", type(exc).__name__, delay)
            self.listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.RETRY_SECONDS[1])

    async def _listen(self) -> None:
        import psycopg

        conn = await psycopg.AsyncConnection.connect(autocommit=True, **self._connect_args)
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self._on_wake(Wake.OUTBOX)
            while True:
                async for note in conn.notifies(timeout=self.CHECK_SECONDS):
                    self._on_wake(Wake.OUTBOX if note.payload == Wake.OUTBOX else Wake.EVENTS)
                # Silence: make sure the connection is still there, or find out and reconnect.
                await asyncio.wait_for(conn.execute("SELECT 1"), self.CHECK_SECONDS)
