"""`default` is always active: it is where tickets that name no queue, and channel messages
whose own queue is off, go. A database where it was switched off gets it back on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE queues SET active = :on WHERE name = 'default'")
               .bindparams(on=True))


def downgrade() -> None:
    pass  # nothing to undo: an active default is valid before this revision too
