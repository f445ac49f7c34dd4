"""The tables queries are built from (adapters/sql/tables.py) are the tables the migrations
make: a column, index or constraint added to one and not the other fails here, on SQLite
and PostgreSQL, rather than in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from giliran.adapters.sql import migrate
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.database import Database


def test_the_migrated_schema_is_the_schema_the_code_declares(empty_db: Database) -> None:
    migrate.upgrade(empty_db)
    try:
        with empty_db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, t.metadata)
    finally:
        empty_db.dispose()
    assert differences == []
