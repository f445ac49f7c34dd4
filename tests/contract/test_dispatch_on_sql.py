"""The same stateful machine as the unit suite, on real SQLite and PostgreSQL: the in-memory
twin and the SQL repositories must agree on every rule and invariant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from tests.support.postgres import Cluster
from tests.unit.test_dispatch_properties import DispatchMachine

SQL_SETTINGS = settings(max_examples=20, stateful_step_count=30, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow])


def test_dispatch_rules_hold_on_sql(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    opened: list[Database] = []
    if backend == "sqlite":
        template = tmp_path / "template.db"
        db = connect(f"sqlite:///{template}")
        migrate.upgrade(db)
        db.dispose()
        copies = iter(range(10**6))

        def fresh_url() -> str:
            path = tmp_path / f"example-{next(copies)}.db"
            shutil.copy(template, path)
            return f"sqlite:///{path}"
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        fresh_url = cluster.fresh_database

    def make_store() -> SqlUnitOfWorkFactory:
        db = connect(fresh_url(), pool_size=2)
        opened.append(db)
        return SqlUnitOfWorkFactory(db)

    class SqlDispatchMachine(DispatchMachine):
        def teardown(self) -> None:
            while opened:
                opened.pop().dispose()

    SqlDispatchMachine.make_store = staticmethod(make_store)  # type: ignore[assignment]
    run_state_machine_as_test(SqlDispatchMachine, settings=SQL_SETTINGS)
