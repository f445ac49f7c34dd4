"""The language a customer writes in, kept with each message: the notice that their ticket
was resolved is sent in it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_messages") as messages:
        messages.add_column(sa.Column("language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_messages") as messages:
        messages.drop_column("language")
