"""Invariants that hold by themselves, not by the floor lock: two writers at once on PostgreSQL
(SQLite has one writer at a time whatever we do), neither holding the lock.

Where one writer must wait for the other, the test waits until PostgreSQL shows it waiting on a
lock (pg_locks), never for a fixed time. Every database here has `lock_timeout` set, so a
writer that would wait where it should not fails the test instead of hanging it."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, text

from giliran.adapters.clock import FakeClock
from giliran.adapters.sql.chat import SqlNoticeRepository
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.domain.actor import Actor
from giliran.domain.delivery import Delivery, Webhook
from giliran.domain.errors import ContactHasOpenTicket
from giliran.domain.event_types import HistoryKind
from giliran.domain.events import ticket_event
from giliran.domain.model import HistoryEntry, Reason, Ticket
from giliran.service.context import Context
from giliran.service.events import outbox
from giliran.service.notices import notify
from tests.contract.test_chat_storage import notice
from tests.support.postgres import Cluster

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.postgres


@pytest.fixture
def db(pg_cluster: Cluster) -> Iterator[Database]:
    url = pg_cluster.fresh_database()
    found = connect(url)
    with found.engine.begin() as conn:
        name = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f'ALTER DATABASE "{name}" SET lock_timeout = \'5s\''))
    found.dispose()  # connections opened from here on carry the timeout
    yield found


def backend_pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def wait_until_waiting(db: Database, pid: int | None, thread: threading.Thread) -> None:
    """Until the backend `pid` (None: any of this database's) waits for a lock another
    transaction holds; fails if the thread ends first or nothing waits within 10 s."""
    deadline = time.monotonic() + 10
    with db.engine.connect() as conn:
        while thread.is_alive() and time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
                "WHERE NOT l.granted AND a.datname = current_database() "
                "AND (CAST(:p AS integer) IS NULL OR l.pid = :p)"), {"p": pid}).scalar_one()
            conn.rollback()
            if waiting:
                return
            threading.Event().wait(0.01)
    raise AssertionError("the second writer never waited for the first")


def test_two_writers_at_once_keep_one_notice_per_key(db: Database) -> None:
    """The second insert of a key waits on the first's uncommitted row, then does nothing."""
    first, second = db.engine.connect(), db.engine.connect()
    try:
        first.begin()
        second.begin()
        second_pid = backend_pid(second)
        assert SqlNoticeRepository(first).add(notice("k"))
        outcome: dict[str, object] = {}

        def other_writer() -> None:
            try:
                outcome["added"] = SqlNoticeRepository(second).add(notice("k", chat="2"))
                second.commit()
            except Exception as exc:  # reported below, not lost in the thread
                outcome["error"] = exc

        thread = threading.Thread(target=other_writer)
        thread.start()
        wait_until_waiting(db, second_pid, thread)  # on the first writer's key
        first.commit()
        thread.join(10)
        assert outcome == {"added": False}
        with db.engine.connect() as conn:
            kept = conn.execute(text("SELECT chat_id FROM notices WHERE key = 'k'")).all()
        assert [tuple(r) for r in kept] == [("1",)]
    finally:
        first.close()
        second.close()
        db.dispose()


def test_two_writers_at_once_open_one_ticket_per_customer(db: Database) -> None:
    """Two first messages of one new customer, each opening a ticket without the floor lock:
    the second insert waits for the first, then is refused, and the customer keeps the first
    ticket only."""
    ctx = _ctx(db)
    first, second = ctx.uow(write=True, defer_lock=True), ctx.uow(write=True, defer_lock=True)
    try:
        with first, second:
            first.tickets.add(Ticket(0, "hello", created_at=T0, contact="whatsapp:62811"))
            outcome: dict[str, object] = {}

            def other_writer() -> None:
                try:
                    second.tickets.add(Ticket(0, "hello again", created_at=T0,
                                              contact="whatsapp:62811"))
                    outcome["added"] = True
                except Exception as exc:  # reported below, not lost in the thread
                    outcome["error"] = exc

            thread = threading.Thread(target=other_writer)
            thread.start()
            wait_until_waiting(db, None, thread)  # the only other writer here
            first.commit()
            thread.join(10)
            assert isinstance(outcome.get("error"), ContactHasOpenTicket), outcome
        with ctx.uow(write=False) as uow:
            assert [t.title for t in uow.tickets.for_contact("whatsapp:62811", 5)] == ["hello"]
    finally:
        db.dispose()


# Outbox claims: a sender leases due rows under their own row locks (FOR UPDATE SKIP LOCKED),
# not under the floor lock. Both outboxes, through the service's own claim.

def _notices(factory: SqlUnitOfWorkFactory, count: int) -> None:
    with factory(write=True) as uow:
        for i in range(count):
            uow.notices.add(notice(f"n{i}", at=T0 + timedelta(seconds=i)))
        uow.commit()


def _deliveries(factory: SqlUnitOfWorkFactory, count: int) -> None:
    with factory(write=True) as uow:
        hook = uow.webhooks.add(Webhook(0, "http://example.test/h", "s" * 20,
                                        frozenset({"ticket.created"}), True, 0))
        for i in range(count):
            ticket = Ticket(id=i + 1, title="t", created_at=T0, queued_at=T0, priority_since=T0)
            uow.events.append(ticket_event(HistoryEntry(
                ticket.id, T0, HistoryKind.CREATED, Reason.CREATED, Actor.of_key("admin")), ticket))
        uow.commit()
    with factory(write=True) as uow:
        events = uow.events.after(0, count)
        uow.deliveries.add_many([Delivery(0, hook.id, e.id, next_attempt_at=T0 + timedelta(
            seconds=i)) for i, e in enumerate(events)])
        uow.commit()


OUTBOXES: dict[str, tuple[Callable[[SqlUnitOfWorkFactory, int], None],
                          Callable[[Context, int], list[int]]]] = {
    "notices": (_notices, lambda ctx, n: [x.id for x in notify.claim(ctx, n)]),
    "deliveries": (_deliveries, lambda ctx, n: [c.delivery.id for c in outbox.claim(ctx, n)]),
}


def _ctx(db: Database) -> Context:
    clock = FakeClock(T0 + timedelta(minutes=1))
    return Context(SqlUnitOfWorkFactory(db, clock=clock), clock, "a" * 20,
                   rng=random.Random(1))


@pytest.mark.parametrize("kind", sorted(OUTBOXES))
def test_two_senders_claiming_at_once_take_each_row_once(db: Database, kind: str) -> None:
    """While one sender holds its claim open, a second claims the other due rows at once,
    without waiting and without taking any of the first's; nothing is left unclaimed."""
    fill, claim = OUTBOXES[kind]
    ctx = _ctx(db)
    fill(ctx.uow, 6)  # type: ignore[arg-type]
    try:
        with ctx.uow(write=True, defer_lock=True) as first:
            repo = first.notices if kind == "notices" else first.deliveries
            held = [x.id for x in repo.claim(ctx.clock.now(), 2)]
            second = claim(ctx, 10)  # the service's claim, in its own transaction
            assert len(held) == 2 and len(second) == 4
            assert not set(held) & set(second)
            first.rollback()  # the first sender crashed before leasing its two
        assert sorted(claim(ctx, 10)) == sorted(held)  # they are not lost
        assert claim(ctx, 10) == []  # and each row went out once
    finally:
        db.dispose()


@pytest.mark.parametrize("kind", sorted(OUTBOXES))
def test_a_claim_does_not_wait_for_the_floor_lock(db: Database, kind: str) -> None:
    """Dispatch holds the floor lock for as long as it decides; a sender claiming its due rows
    meanwhile goes ahead (were it still behind the lock, lock_timeout would fail it)."""
    fill, claim = OUTBOXES[kind]
    ctx = _ctx(db)
    fill(ctx.uow, 3)  # type: ignore[arg-type]
    try:
        with ctx.uow(write=True) as dispatching:  # holds the floor lock from its start
            assert len(claim(ctx, 10)) == 3
            dispatching.rollback()
    finally:
        db.dispose()
