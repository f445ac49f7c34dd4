"""Alembic environment: runs on the connection giliran hands it (see adapters/sql/migrate.py)."""

from __future__ import annotations

from alembic import context

from giliran.adapters.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `giliran migrate`, which supplies the connection")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
