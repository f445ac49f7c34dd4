"""Email's tables are made by its own migration branch, on SQLite and PostgreSQL: what the
migration makes is what store.py declares, the branch goes down and up again without touching
the core's tables, and the database is then at every head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect
from giliran.channels import registry
from giliran.channels.email import store
from tests.contract.test_schema_matches_migrations import declared

EMAIL_TABLES = {"email_mailboxes", "email_progress", "email_originals"}


def test_the_email_branch_makes_the_tables_store_declares(database_url: str) -> None:
    dirs = registry.migration_dirs()  # the test's database is migrated with them
    db = connect(database_url)
    try:
        assert migrate.current_revision(db) == migrate.head_revision(dirs)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, declared(store.metadata)) == []
        migrate.downgrade(db, "email@base", dirs)
        tables = set(inspect(db.engine).get_table_names())
        assert not tables & EMAIL_TABLES and "tickets" in tables
        assert migrate.current_revision(db) == migrate.head_revision()  # the core's
        migrate.upgrade(db, locations=dirs)
        assert set(inspect(db.engine).get_table_names()) >= EMAIL_TABLES
    finally:
        db.dispose()
