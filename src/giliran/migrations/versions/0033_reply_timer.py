"""Opening and closing seen once (`queues.open_seen`: open or closed as the timer pass last
saw it, so at each opening and closing one pass, of however many replicas, acts on it), and
the reply timer: `tickets.awaiting_reply_since`, when a ticket's holder accepted it without
having replied to the customer yet (cleared by the desk's first reply, a hold, or the ticket
leaving its holder), with a partial index per queue so the timer pass finds the tickets whose
holder let the queue's `reply_timeout_seconds` go by in a few index steps.

Tickets accepted before this revision have no start: the reply timer does not take back what
was accepted before it existed.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

AWAITING = sa.text("status = 'in_progress' AND awaiting_reply_since IS NOT NULL")


def upgrade() -> None:
    op.add_column("tickets", sa.Column("awaiting_reply_since", UtcDateTime, nullable=True))
    op.add_column("queues", sa.Column("open_seen", sa.Boolean, nullable=True))
    op.create_index("ix_tickets_awaiting_reply", "tickets", ["queue", "awaiting_reply_since"],
                    sqlite_where=AWAITING, postgresql_where=AWAITING)


def downgrade() -> None:
    op.drop_index("ix_tickets_awaiting_reply", table_name="tickets")
    with op.batch_alter_table("tickets", recreate="never") as batch:
        batch.drop_column("awaiting_reply_since")
    with op.batch_alter_table("queues", recreate="never") as batch:
        batch.drop_column("open_seen")
