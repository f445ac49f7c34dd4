"""The SQL unit of work: one connection, one transaction, the only place that commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy import Connection, select, text, update

from giliran.adapters.clock import SystemClock
from giliran.adapters.signal import LocalSignal
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.chat import SqlChatLinkRepository, SqlNoticeRepository
from giliran.adapters.sql.conversation import SqlCustomerRepository, SqlMessageRepository
from giliran.adapters.sql.database import WRITER_LOCK_KEY, Database
from giliran.adapters.sql.daybook import SqlDaybookRepository
from giliran.adapters.sql.direct import Direct, run_plain
from giliran.adapters.sql.inbox import SqlCannedReplyRepository, SqlReadStateRepository
from giliran.adapters.sql.ledger import SqlAuditRepository, SqlPresenceLogRepository
from giliran.adapters.sql.limits import SqlRateLimitRepository
from giliran.adapters.sql.outbox import SqlDeliveryRepository, SqlWebhookRepository
from giliran.adapters.sql.people import (
    SqlSessionRepository,
    SqlTokenRepository,
    SqlUserRepository,
)
from giliran.adapters.sql.repositories import (
    SqlAgentRepository,
    SqlEventRepository,
    SqlHistoryRepository,
    SqlQueueRepository,
    SqlSettingsRepository,
    SqlTicketRepository,
)
from giliran.adapters.sql.schedules import SqlScheduleRepository
from giliran.adapters.sql.sla import SqlSlaClockRepository, SqlSlaPolicyRepository
from giliran.adapters.sql.wakeup import Wake, notify_sql
from giliran.domain import daybook
from giliran.domain.events import Event
from giliran.service.ports import Clock, CommitSignal, Committed, Repositories

_NEXT_SEQ = Direct(
    update(t.counters)
    .where(t.counters.c.name == "assignment")
    .values(value=t.counters.c.value + 1)
    .returning(t.counters.c.value)
)
_LOCK = Direct(text("SELECT pg_advisory_xact_lock(:key)"))


class SqlUnitOfWork(Repositories):
    """A writer holds the database's single write lock from its first statement to commit:
    BEGIN IMMEDIATE on SQLite, a transaction-scoped advisory lock on PostgreSQL. Dispatch
    decisions are global (is anyone eligible? what is the head of the queue?), so serializing
    writers is what makes them safe across processes and replicas. Readers are never blocked."""


    def __init__(self, db: Database, *, write: bool, defer_lock: bool = False,
                 signal: CommitSignal | None = None, clock: Clock | None = None,
                 wake: Wake = Wake.OUTBOX) -> None:
        self._db = db
        self._wake = wake
        self._signal = signal or LocalSignal()
        self._clock = clock
        self._write = write
        self._defer_lock = defer_lock
        self._locked = False
        self._conn: Connection | None = None
        self._holds_local = False

    def __enter__(self) -> Self:
        if self._write and self._db.is_sqlite:
            self._db.local_writer.acquire()
            self._holds_local = True
        try:
            conn = self._db.engine.connect().execution_options(giliran_write=self._write)
            self._conn = conn
            conn.begin()
            if self._write and not self._defer_lock:
                self.lock_floor()
        except BaseException:
            self._close()
            raise
        for name, make in _REPOSITORIES.items():
            setattr(self, name, make(conn))
        # What commit and rollback reach beyond the ports (flushing, the history written).
        self._agents = _made(self.agents, SqlAgentRepository)
        self._history = _made(self.history, SqlHistoryRepository)
        self._events = _made(self.events, SqlEventRepository)
        self._deliveries = _made(self.deliveries, SqlDeliveryRepository)
        self._notices = _made(self.notices, SqlNoticeRepository)
        self._daybook = _made(self.daybook, SqlDaybookRepository)
        return self

    def lock_floor(self) -> None:
        # SQLite's BEGIN IMMEDIATE already holds the only write lock there is.
        if self._locked or self._db.is_sqlite:
            return
        assert self._conn is not None and self._write
        _LOCK.rows(self._conn, {"key": WRITER_LOCK_KEY})
        self._locked = True

    def next_seq(self) -> int:
        assert self._conn is not None
        return int(_NEXT_SEQ.scalar(self._conn))

    def record(self, event: Event) -> None:
        self.events.append(event)

    def commit(self) -> None:
        assert self._conn is not None
        self._history.flush()
        entries = self._history.written
        now = entries[-1].at if entries else (self._clock or SystemClock()).now()
        self._record_figures(now)
        # Other processes hear of the events when they commit (PostgreSQL's NOTIFY; on SQLite
        # their polls find them); this one's subscribers hear once it has committed, below.
        upto = self._events.flush(None if self._db.is_sqlite else notify_sql(self._wake))
        queued, self._notices.queued, self._deliveries.queued = (
            self._notices.queued or self._deliveries.queued, False, False)
        if upto is None and queued and self._wake is Wake.OUTBOX and not self._db.is_sqlite:
            # Work for a sender and no events (an admin's retry, a bot's answer) from a
            # process that sends nothing itself: the others' senders must hear of it.
            run_plain(self._conn, notify_sql(Wake.OUTBOX))
        self._conn.commit()
        written, self._history.written = self._history.written, []
        if upto is not None or queued or written:
            self._signal.publish(Committed(upto, written, outgoing=queued))

    def _record_figures(self, now: datetime) -> None:
        """The day's figures this unit of work changed (domain/daybook.py), in the same
        transaction: what its history says, and the agents whose presence or load moved."""
        adds, moved = daybook.of_commit(self._history.written, self.tickets.get,
                                        self._agents.held(), now)
        for agent in moved:
            self._agents.save(agent)
        self._daybook.add(adds)
        self._daybook.flush()

    def rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()
            if hasattr(self, "_events"):  # not when opening failed
                self._events.forget()
                self._daybook.forget()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        try:
            if self._conn is not None:
                self.rollback()  # a no-op after commit; otherwise nothing half-done survives
                self._conn.close()
        finally:
            self._conn = None
            if self._holds_local:
                self._holds_local = False
                self._db.local_writer.release()


def connection_of(uow: object) -> Connection:
    """The connection of an open SQL unit of work, for a channel's own repositories (their
    tables are the channel's, not the roster's), so that their writes commit or roll back with
    the rest of the use case."""
    if not isinstance(uow, SqlUnitOfWork) or uow._conn is None:
        raise TypeError("a channel's tables need an open SQL unit of work")
    return uow._conn


R = TypeVar("R")

# One line per repository of the roster (service/ports/unit_of_work.py `Repositories`).
_REPOSITORIES: dict[str, Callable[[Connection], object]] = {
    "agents": SqlAgentRepository,
    "tickets": SqlTicketRepository,
    "history": SqlHistoryRepository,
    "queues": SqlQueueRepository,
    "schedules": SqlScheduleRepository,
    "settings": SqlSettingsRepository,
    "events": SqlEventRepository,
    "webhooks": SqlWebhookRepository,
    "deliveries": SqlDeliveryRepository,
    "messages": SqlMessageRepository,
    "customers": SqlCustomerRepository,
    "notices": SqlNoticeRepository,
    "chat_links": SqlChatLinkRepository,
    "rate_limits": SqlRateLimitRepository,
    "audit": SqlAuditRepository,
    "presence_log": SqlPresenceLogRepository,
    "daybook": SqlDaybookRepository,
    "users": SqlUserRepository,
    "api_tokens": SqlTokenRepository,
    "sessions": SqlSessionRepository,
    "reads": SqlReadStateRepository,
    "canned_replies": SqlCannedReplyRepository,
    "sla_policies": SqlSlaPolicyRepository,
    "sla_clocks": SqlSlaClockRepository,
}


def _made(repository: object, kind: type[R]) -> R:
    assert isinstance(repository, kind)
    return repository


class SqlUnitOfWorkFactory:
    def __init__(self, db: Database, signal: CommitSignal | None = None,
                 clock: Clock | None = None) -> None:
        self.db = db
        self.signal = signal or LocalSignal()  # told of every commit, after it
        self.clock = clock
        # What this process's commits ask of the others: by default also to look at the
        # outbox, until this process runs senders of its own (see adapters.sql.wakeup).
        self.wake = Wake.OUTBOX

    def __call__(self, *, write: bool, defer_lock: bool = False) -> SqlUnitOfWork:
        # mypy sees the roster's repositories as unset: __enter__ makes them from the table
        # (tests/contract/test_repository_roster.py checks it makes exactly the roster).
        return SqlUnitOfWork(  # type: ignore[abstract]
            self.db, write=write, defer_lock=defer_lock, signal=self.signal, clock=self.clock,
            wake=self.wake)


def ping(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.execute(select(1))
