"""The event stream: what the floor tells dashboards and other watchers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("queue", sa.String(100), nullable=True),
        sa.Column("agents", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        # Ids are never reused, even after old events are pruned: a client resuming "after
        # id N" must not be handed a new event that took an old number.
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("events")
