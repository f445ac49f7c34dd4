"""The same stateful machines as the unit suite, on real SQLite and PostgreSQL: the in-memory
twin and the SQL repositories must agree on every rule and invariant (the dispatch rules, and
the strict rotation against its reference model)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from tests.support.postgres import Cluster
from tests.unit.test_dispatch_properties import DispatchMachine
from tests.unit.test_rotation_properties import RotationMachine

SQL_SETTINGS = settings(max_examples=20, stateful_step_count=30, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow])
ROTATION_SETTINGS = settings(max_examples=12, stateful_step_count=25, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


def test_dispatch_rules_hold_on_sql(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    run_on_sql(DispatchMachine, SQL_SETTINGS, backend, tmp_path, request)


def test_the_rotation_follows_its_model_on_sql(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    run_on_sql(RotationMachine, ROTATION_SETTINGS, backend, tmp_path, request)


def run_on_sql(machine: Any, chosen: settings, backend: str, tmp_path: Path,
               request: pytest.FixtureRequest) -> None:
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

    class OnSql(machine):  # type: ignore[misc, valid-type]
        def teardown(self) -> None:
            while opened:
                opened.pop().dispose()

    OnSql.make_store = staticmethod(make_store)
    run_state_machine_as_test(OnSql, settings=chosen)
