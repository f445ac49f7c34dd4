"""The kiosk channel's table of visits.

Revision ID: k001
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "k001"
down_revision = None
branch_labels = ("kiosk",)
depends_on = "0028"


def upgrade() -> None:
    op.create_table("kiosk_visits", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("note", sa.String(100), nullable=False))


def downgrade() -> None:
    op.drop_table("kiosk_visits")
