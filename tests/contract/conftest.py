"""The storage contract: the same test runs on the in-memory twin, SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from giliran.adapters.memory import InMemoryStore
from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.service.ports import UnitOfWorkFactory
from tests.support.postgres import Cluster


@pytest.fixture(params=["memory", "sqlite",
                        pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> UnitOfWorkFactory:
    if request.param == "memory":
        return InMemoryStore()
    if request.param == "postgres":
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        db = connect(cluster.fresh_database())
    else:
        db = connect(f"sqlite:///{tmp_path / 'chat.db'}")
        migrate.upgrade(db)
    request.addfinalizer(db.dispose)
    return SqlUnitOfWorkFactory(db)
