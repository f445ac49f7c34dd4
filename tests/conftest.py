"""Shared fixtures: every storage-backed test runs on real SQLite and real PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect
from giliran.bootstrap import Container, bootstrap
from giliran.channels import registry
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from tests.support.event_schemas import Watch, watching
from tests.support.postgres import TEMPLATE_DB, Cluster, start_cluster
from tests.support.server import ADMIN_TOKEN
from tests.support.sqlite_template import migrated_sqlite

IN_CI = os.environ.get("CI", "").lower() == "true"
# Argon2id at a cost the suite can afford (it makes and signs in hundreds of people): the same
# algorithm and code, a smaller memory and one pass. Set in the environment, so the servers the
# tests start inherit it; the quick start, run in a clean environment, keeps the default.
os.environ.setdefault("GILIRAN_PASSWORD_HASH_MEMORY_KIB", "1024")
os.environ.setdefault("GILIRAN_PASSWORD_HASH_TIME_COST", "1")


@pytest.fixture(scope="session")
def event_watch() -> Iterator[Watch]:
    yield from watching()


@pytest.fixture(autouse=True)
def every_event_matches_its_schema(event_watch: Watch) -> Iterator[None]:
    """An event its published schema (docs/events/) refuses fails the test that emitted it."""
    event_watch.take()  # what an earlier test's leftover threads emitted is not this test's
    yield
    refused = event_watch.take()
    if refused:
        pytest.fail(f"events that do not match docs/events/events.schema.json: {refused}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        clusters = start_cluster()
        cluster = next(clusters)
    except FileNotFoundError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL tests need the server binaries: {exc} "
                    "(apt-get install postgresql)")
    cluster.psql(f"CREATE DATABASE {TEMPLATE_DB}")
    db = connect(cluster.url(TEMPLATE_DB))
    migrate.upgrade(db, locations=registry.migration_dirs())
    db.dispose()
    yield cluster
    next(clusters, None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        return cluster.fresh_database()
    return migrated_sqlite(tmp_path / "giliran.db")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def container(database_url: str, clock: FakeClock) -> Iterator[Container]:
    # The scheduler is off: tests that need the timer pass run it on their fake clock.
    # Gauges uncached: tests read /metrics right after changing the floor.
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, random_seed=7,
                        scheduler=False, outbox=False, event_poll_seconds=0.02,
                        metrics_cache_seconds=0)
    c = bootstrap(settings, clock=clock)
    yield c
    c.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as c:
        yield c


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} skipped test(s) count as failures")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
