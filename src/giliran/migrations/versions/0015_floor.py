"""A busy floor: each queue's service-level target, the time within which a ticket should be
answered (accepted) after it arrives; every existing queue starts at 5 minutes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite does it in place; see 0014 on why queues is not rebuilt).
    op.add_column("queues", sa.Column("service_level_seconds", sa.Integer, nullable=False,
                                      server_default="300"))


def downgrade() -> None:
    with op.batch_alter_table("queues") as queues:
        queues.drop_column("service_level_seconds")
