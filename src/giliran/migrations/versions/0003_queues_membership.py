"""Queues as mailboxes: membership of agents, the rollout percentage, deactivation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DISPATCHABLE = {
    "sqlite_where": sa.text("status = 'queued' AND auto_dispatch = 1"),
    "postgresql_where": sa.text("status = 'queued' AND auto_dispatch"),
}


def upgrade() -> None:
    with op.batch_alter_table("queues") as queues:
        queues.add_column(sa.Column("auto_assign_percent", sa.SmallInteger, nullable=False,
                                    server_default="100"))
        queues.add_column(sa.Column("active", sa.Boolean, nullable=False,
                                    server_default=sa.true()))
    with op.batch_alter_table("agents") as agents:
        agents.add_column(sa.Column("queues", sa.JSON, nullable=False,
                                    server_default='["default"]'))
    op.create_table(
        "agent_queues",
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), primary_key=True),
        sa.Column("queue", sa.String(100), sa.ForeignKey("queues.name"), primary_key=True),
    )
    op.create_index("ix_agent_queues_queue", "agent_queues", ["queue", "agent_id"])
    # Until now every agent served every queue, and the only queue was `default`.
    op.execute(sa.text("INSERT INTO agent_queues (agent_id, queue) "
                       "SELECT id, 'default' FROM agents"))
    kw: dict[str, Any] = DISPATCHABLE
    op.create_index("ix_tickets_queue_dispatch_order", "tickets",
                    ["queue", sa.text("priority DESC"), "id"], **kw)


def downgrade() -> None:
    op.drop_index("ix_tickets_queue_dispatch_order", table_name="tickets")
    op.drop_table("agent_queues")
    with op.batch_alter_table("agents") as agents:
        agents.drop_column("queues")
    with op.batch_alter_table("queues") as queues:
        queues.drop_column("active")
        queues.drop_column("auto_assign_percent")
