"""Why a ticket is flagged, where the flag alone does not say: `unreachable` tickets (nobody can
take them as things stand: no member serves the queue, or pick-ups are off and no member takes
tickets automatically) carry the reason (domain/reach.py).

Tickets an earlier version stranded (left for a pick-up in a queue whose pick-ups are now off,
or waiting in a queue nobody serves) are found by each server's check a minute after it starts
(`service/reach.sweep`, also run by `giliran tick`); nothing is moved here, so the migration is
quick on any backlog.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (a batch copy would drop 0016's triggers on SQLite).
    op.add_column("tickets", sa.Column("flag_reason", sa.String(40), nullable=True))


def downgrade() -> None:
    op.execute(sa.text("UPDATE tickets SET flag = NULL, flagged_at = NULL, flag_reason = NULL "
                       "WHERE flag = 'unreachable'"))
    with op.batch_alter_table("tickets", recreate="never") as tickets:
        tickets.drop_column("flag_reason")
