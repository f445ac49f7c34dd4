"""Whether a rotation's pointer was set by a supervisor rather than moved on by the last
assignment, so the next assignment in turn can say "set by a supervisor" instead of naming a
previous holder who never had that turn. Every existing pointer counts as moved on.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite does it in place; see 0014 on why queues is not rebuilt).
    op.add_column("queues", sa.Column("pointer_set_by_hand", sa.Boolean, nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("queues", recreate="never") as queues:
        queues.drop_column("pointer_set_by_hand")
