"""Migrations that change data, run from the revision before them on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import text

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import Database, connect

_names = itertools.count()


@pytest.fixture
def empty_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"migrations_{next(_names)}_{tmp_path.name[-12:].lower()}"
        cluster.psql(f'CREATE DATABASE "{name}"')
        return connect(cluster.url(name))
    return connect(f"sqlite:///{tmp_path / 'old.db'}")


def test_a_switched_off_default_queue_is_switched_back_on(empty_db: Database) -> None:
    migrate.upgrade(empty_db, "0010")
    with empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE queues SET active = :off WHERE name = 'default'"),
                     {"off": False})
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        active = conn.execute(text("SELECT active FROM queues WHERE name = 'default'")).scalar()
    assert active is True or active == 1
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    empty_db.dispose()
