"""The tables queries are built from (adapters/sql/tables.py, and each channel's own) are the
tables the migrations make: a column, index or constraint added to one and not the other
fails here, on SQLite and PostgreSQL, rather than in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from giliran.adapters.sql import migrate
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.database import Database
from giliran.channels import registry


def declared(*extra: MetaData) -> MetaData:
    """The core's tables and the channels' (`extra`), as one MetaData."""
    every = MetaData()
    for source in (t.metadata, *extra):
        for table in source.tables.values():
            table.to_metadata(every)
    return every


def test_the_migrated_schema_is_the_schema_the_code_declares(empty_db: Database) -> None:
    migrate.upgrade(empty_db, locations=registry.migration_dirs())
    try:
        with empty_db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, declared(*registry.metadata()))
    finally:
        empty_db.dispose()
    assert differences == []
