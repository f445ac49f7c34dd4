"""The storage contract: the same test runs on the in-memory twin, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from giliran.adapters.memory import InMemoryStore
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.service.ports import UnitOfWorkFactory
from tests.support.postgres import Cluster
from tests.support.sqlite_template import migrated_sqlite


@pytest.fixture(params=["memory", "sqlite",
                        pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> UnitOfWorkFactory:
    if request.param == "memory":
        return InMemoryStore()
    if request.param == "postgres":
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        db = connect(cluster.fresh_database())
    else:
        db = connect(migrated_sqlite(tmp_path / "chat.db"))
    request.addfinalizer(db.dispose)
    return SqlUnitOfWorkFactory(db)


_names = itertools.count()


@pytest.fixture
def empty_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """A database without tables yet, for migrating step by step (the tests of migrations)."""
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"migrations_{next(_names)}_{tmp_path.name[-12:].lower()}"
        cluster.psql(f'CREATE DATABASE "{name}"')
        return connect(cluster.url(name))
    return connect(f"sqlite:///{tmp_path / 'old.db'}")
