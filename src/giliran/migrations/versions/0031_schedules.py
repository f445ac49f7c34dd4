"""Opening hours by name (`schedules`): a queue's `schedule` names one (migration 0030). The
week as 7 lists of [start, end] minutes after local midnight, Monday first; dated exceptions
and holidays; all in the schedule's IANA timezone.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekly", sa.JSON, nullable=False),
        sa.Column("exceptions", sa.JSON, nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("holiday_country", sa.String(10), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schedules")
