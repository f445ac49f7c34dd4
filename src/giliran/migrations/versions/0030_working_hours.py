"""Working hours on queues: the schedule a queue keeps (`schedule`, none: always open), the
timers that run around the clock even while it is closed (`calendar_clocks`, a JSON list of
accept, aging, waiting, reply, hold), the out-of-hours reply and setting agents offline at
closing, the reply timer (`reply_timeout_seconds`, 0 = off) and the order of its waiting
tickets (`waiting_order`: priority or sla_due). Every existing queue stays always open.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

COLUMNS = ("schedule", "calendar_clocks", "out_of_hours_reply", "offline_at_closing",
           "reply_timeout_seconds", "waiting_order")


def upgrade() -> None:
    op.add_column("queues", sa.Column("schedule", sa.String(100), nullable=True))
    op.add_column("queues", sa.Column("calendar_clocks", sa.JSON, nullable=False,
                                      server_default="[]"))
    op.add_column("queues", sa.Column("out_of_hours_reply", sa.Boolean, nullable=False,
                                      server_default=sa.true()))
    op.add_column("queues", sa.Column("offline_at_closing", sa.Boolean, nullable=False,
                                      server_default=sa.false()))
    op.add_column("queues", sa.Column("reply_timeout_seconds", sa.Integer, nullable=False,
                                      server_default="0"))
    op.add_column("queues", sa.Column("waiting_order", sa.String(10), nullable=False,
                                      server_default="priority"))


def downgrade() -> None:
    with op.batch_alter_table("queues", recreate="never") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
