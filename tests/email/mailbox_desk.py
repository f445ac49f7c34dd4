"""A desk with email's mailboxes before the channel itself is registered: a test's channel
that brings only what the mailboxes need of the boundary (the email package's migrations,
tables, routes and console section), on the test's database, SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import MetaData

from giliran.adapters.clock import FakeClock
from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect
from giliran.bootstrap import bootstrap
from giliran.channels import registry
from giliran.channels.email import console, routes, store
from giliran.channels.port import ConsoleSection, RouteKit
from giliran.config import Settings
from tests.integration.test_channel_registry import Pigeon
from tests.support.server import ADMIN_TOKEN


class Mailroom(Pigeon):
    """Email's contributions to the boundary, on a channel of the tests' own."""

    name = "mailroom"
    migrations: Path = store.MIGRATIONS
    metadata: MetaData = store.metadata

    def router(self, kit: RouteKit) -> APIRouter:
        return routes.router(kit)

    def console(self) -> ConsoleSection:
        return console.SECTION


def email_registered() -> bool:
    """Whether the email channel itself is registered (then it brings all this)."""
    return store.MIGRATIONS in registry.migration_dirs() and not any(
        isinstance(channel, Mailroom) for channel in registry.CHANNELS.values())


@contextmanager
def mailroom() -> Iterator[None]:
    if email_registered():
        yield
        return
    with registry.registered(Mailroom()):
        yield


def with_email_tables(database_url: str) -> None:
    """The test's database (at the core's head) with email's branch too."""
    db = connect(database_url)
    try:
        migrate.upgrade(db, locations=registry.migration_dirs())
    finally:
        db.dispose()


@contextmanager
def mailroom_client(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    from giliran.entrypoints.api.app import create_app

    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False)
    with mailroom():
        with_email_tables(database_url)
        container = bootstrap(settings, clock=clock)
        try:
            with TestClient(create_app(container), raise_server_exceptions=False) as client:
                yield client
        finally:
            container.close()
