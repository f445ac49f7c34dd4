"""Invariants that hold by themselves, not by the floor lock: two writers at once on PostgreSQL
(SQLite has one writer at a time whatever we do), neither holding the lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from giliran.adapters.sql.chat import SqlNoticeRepository
from giliran.adapters.sql.database import connect
from tests.contract.test_chat_storage import notice
from tests.support.postgres import Cluster


@pytest.mark.postgres
def test_two_writers_at_once_keep_one_notice_per_key(pg_cluster: Cluster) -> None:
    """The second insert of a key waits on the first's uncommitted row, then does nothing."""
    db = connect(pg_cluster.fresh_database())
    first, second = db.engine.connect(), db.engine.connect()
    try:
        first.begin()
        second.begin()
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
        thread.join(0.3)  # it waits for the first writer's key
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
