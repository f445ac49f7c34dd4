"""Commits that write events (or give a sender work) wake every process through PostgreSQL
LISTEN/NOTIFY: only when they commit, saying whether the committing process sends its own
outbox; the listener publishes what it hears on the process's commit signal, and keeps
listening across a lost connection. SQLite has no LISTEN (its processes poll)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from giliran.adapters.signal import LocalSignal
from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.adapters.sql.wakeup import CHANNEL, Listener, Wake
from giliran.domain.events import queue_event
from giliran.domain.model import Queue
from giliran.domain.notices import Notice
from tests.support.postgres import Cluster

HEARD_WITHIN = 10.0  # seconds; a notification normally arrives in about a millisecond


@pytest.fixture
def pg(pg_cluster: Cluster) -> Iterator[Database]:
    db = connect(pg_cluster.fresh_database())
    yield db
    db.dispose()


def write_event(factory: SqlUnitOfWorkFactory, *, commit: bool, name: str = "x") -> None:
    with factory(write=True) as uow:
        uow.events.append(queue_event(Queue(name), datetime.now(UTC)))
        if commit:
            uow.commit()


def write_nothing(factory: SqlUnitOfWorkFactory) -> None:
    with factory(write=True) as uow:
        uow.commit()


def listening(db: Database) -> psycopg.Connection[tuple[object, ...]]:
    conn = psycopg.connect(db.engine.url.set(drivername="postgresql")
                           .render_as_string(hide_password=False), autocommit=True)
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


@pytest.mark.postgres
def test_only_a_committed_write_of_events_notifies_and_says_who_sends_the_outbox(
    pg: Database,
) -> None:
    factory = SqlUnitOfWorkFactory(pg)
    with listening(pg) as conn:
        write_event(factory, commit=False)  # rolled back: must never be heard
        write_nothing(factory)  # committed, but wrote no events
        write_event(factory, commit=True, name="first")  # a process with no senders
        factory.wake = Wake.EVENTS  # what a server that sends its own outbox says
        write_event(factory, commit=True, name="second")
        heard = [n.payload for n in conn.notifies(timeout=HEARD_WITHIN, stop_after=2)]
    # Notifications arrive in commit order: one from the rollback or the empty commit would
    # have come first.
    assert heard == [Wake.OUTBOX, Wake.EVENTS]


@pytest.mark.postgres
def test_work_for_a_sender_without_events_notifies_only_from_a_process_that_sends_nothing(
    pg: Database,
) -> None:
    factory = SqlUnitOfWorkFactory(pg)

    def queue_notice(key: str) -> None:
        with factory(write=True) as uow:
            uow.notices.add(Notice(0, "telegram", "1", "hello", key,
                                   next_attempt_at=datetime.now(UTC),
                                   created_at=datetime.now(UTC)))
            uow.commit()

    with listening(pg) as conn:
        factory.wake = Wake.EVENTS  # a server sends its own notices: the others need not hear
        queue_notice("first")
        factory.wake = Wake.OUTBOX  # cron's `giliran tick`, an API-only server
        queue_notice("second")
        factory.wake = Wake.EVENTS
        write_event(factory, commit=True)
        heard = [n.payload for n in conn.notifies(timeout=HEARD_WITHIN, stop_after=2)]
    # In commit order: one from the first notice would have come first.
    assert heard == [Wake.OUTBOX, Wake.EVENTS]


@pytest.mark.postgres
def test_the_listener_wakes_on_commits_and_listens_again_after_losing_its_connection(
    pg: Database, pg_cluster: Cluster,
) -> None:
    factory = SqlUnitOfWorkFactory(pg)

    async def scenario() -> list[Wake]:
        woken: asyncio.Queue[Wake] = asyncio.Queue()
        signal = LocalSignal()
        signal.subscribe(lambda c: woken.put_nowait(
            Wake.OUTBOX if c.outgoing and not c.here else Wake.EVENTS))
        listener = Listener.of(pg, signal)
        assert listener is not None
        listener.RETRY_SECONDS = (0.05, 0.05)
        listener.start()
        try:
            heard = [await asyncio.wait_for(woken.get(), HEARD_WITHIN)]  # listening: a wake
            await asyncio.to_thread(write_event, factory, commit=True)
            heard.append(await asyncio.wait_for(woken.get(), HEARD_WITHIN))
            # The database drops the listener's connection (a restart, a network cut).
            await asyncio.to_thread(pg_cluster.psql, "SELECT pg_terminate_backend(pid) FROM "
                                    "pg_stat_activity WHERE query LIKE 'LISTEN%'")
            heard.append(await asyncio.wait_for(woken.get(), HEARD_WITHIN))  # back: a wake
            factory.wake = Wake.EVENTS
            await asyncio.to_thread(write_event, factory, commit=True)
            heard.append(await asyncio.wait_for(woken.get(), HEARD_WITHIN))
            return heard
        finally:
            await listener.stop()

    # Reconnected listeners wake everything, outbox included: something may have committed
    # while nobody listened.
    assert asyncio.run(scenario()) == [Wake.OUTBOX, Wake.OUTBOX, Wake.OUTBOX, Wake.EVENTS]


def test_there_is_no_listener_on_sqlite(tmp_path: Path) -> None:
    db = connect(f"sqlite:///{tmp_path / 'g.db'}")
    migrate.upgrade(db)
    try:
        assert Listener.of(db, LocalSignal()) is None
        write_event(SqlUnitOfWorkFactory(db), commit=True)  # and a commit does not try
    finally:
        db.dispose()
