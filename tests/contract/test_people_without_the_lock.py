"""Signing in writes without the floor lock (`defer_lock=True`): on PostgreSQL a busy floor
does not hold up a sign-in, and an email stays one person's even between two writers who
cannot see each other. (SQLite has one writer at a time whatever we do.) Every database here
has `lock_timeout` set, so a writer that waits where it should not fails instead of hanging."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from giliran.adapters.sql.database import Database
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.domain.errors import EmailTaken
from giliran.domain.people import Role, Session, User
from tests.contract.test_invariants_without_the_lock import db, wait_until_waiting

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.postgres
__all__ = ["db"]  # the fixture, from the other file of writers without the lock


def test_a_sign_in_is_written_while_another_writer_holds_the_floor(db: Database) -> None:
    factory = SqlUnitOfWorkFactory(db)
    with factory(write=True, defer_lock=True) as w:
        user = w.users.add(User(0, "dewi@example.com", "Dewi", Role.SUPERVISOR))
        w.commit()
    try:
        with factory(write=True) as floor:  # holds the floor lock until it ends
            floor.lock_floor()
            with factory(write=True, defer_lock=True) as login:
                session = login.sessions.add(Session(
                    0, user.id, "s" * 64, T0, T0, T0 + timedelta(days=7)))
                user.last_sign_in_at = T0
                login.users.save(user)
                login.commit()
        with factory(write=False) as r:
            assert r.sessions.by_hash("s" * 64) == session
            assert r.users.get(user.id) == user
    finally:
        db.dispose()


def test_two_invitations_of_one_email_at_once_make_one_user(db: Database) -> None:
    """Neither writer sees the other's uncommitted user when it checks: the second insert
    waits on the first's row, then is refused as EmailTaken."""
    factory = SqlUnitOfWorkFactory(db)
    first = factory(write=True, defer_lock=True)
    second = factory(write=True, defer_lock=True)
    try:
        with first, second:
            assert first.users.by_email("sari@example.com") is None
            assert second.users.by_email("sari@example.com") is None
            first.users.add(User(0, "sari@example.com", "Sari", Role.ADMIN))
            outcome: dict[str, object] = {}

            def other_writer() -> None:
                try:
                    second.users.add(User(0, "sari@example.com", "Sari W.", Role.SUPERVISOR))
                    outcome["added"] = True
                except Exception as exc:  # reported below, not lost in the thread
                    outcome["error"] = exc

            thread = threading.Thread(target=other_writer)
            thread.start()
            wait_until_waiting(db, None, thread)  # on the first writer's email
            first.commit()
            thread.join(10)
            assert isinstance(outcome.get("error"), EmailTaken), outcome
        with factory(write=False) as r:
            assert [(u.email, u.name) for u in r.users.all()] == [("sari@example.com", "Sari")]
    finally:
        db.dispose()
