"""Priorities under a supervisor's hand: moves to the front (queue_order) and priority aging.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

QUEUED: dict[str, Any] = {"sqlite_where": sa.text("status = 'queued'"),
                          "postgresql_where": sa.text("status = 'queued'")}
DISPATCHABLE: dict[str, Any] = {
    "sqlite_where": sa.text("status = 'queued' AND auto_dispatch = 1"),
    "postgresql_where": sa.text("status = 'queued' AND auto_dispatch"),
}
AGEING: dict[str, Any] = {"sqlite_where": sa.text("status = 'queued' AND priority < 3"),
                          "postgresql_where": sa.text("status = 'queued' AND priority < 3")}
ORDERS = {
    "ix_tickets_queued_order": ([], QUEUED),
    "ix_tickets_dispatch_order": ([], DISPATCHABLE),
    "ix_tickets_queue_dispatch_order": (["queue"], DISPATCHABLE),
}


def upgrade() -> None:
    with op.batch_alter_table("queues") as queues:
        queues.add_column(sa.Column("priority_aging_seconds", sa.Integer, nullable=False,
                                    server_default="600"))
    for name in ORDERS:
        op.drop_index(name, table_name="tickets")
    with op.batch_alter_table("tickets") as tickets:
        tickets.add_column(sa.Column("queue_order", sa.BigInteger, nullable=False,
                                     server_default="0"))
        tickets.add_column(sa.Column("priority_since", UtcDateTime, nullable=True))
    op.execute(sa.text("UPDATE tickets SET priority_since = queued_at WHERE status = 'queued'"))
    for name, (lead, where) in ORDERS.items():
        op.create_index(name, "tickets", [*lead, sa.text("priority DESC"), "queue_order", "id"],
                        **where)
    op.create_index("ix_tickets_aging", "tickets", ["queue", "priority_since"], **AGEING)


def downgrade() -> None:
    op.drop_index("ix_tickets_aging", table_name="tickets")
    for name in ORDERS:
        op.drop_index(name, table_name="tickets")
    with op.batch_alter_table("tickets") as tickets:
        tickets.drop_column("priority_since")
        tickets.drop_column("queue_order")
    for name, (lead, where) in ORDERS.items():
        op.create_index(name, "tickets", [*lead, sa.text("priority DESC"), "id"], **where)
    with op.batch_alter_table("queues") as queues:
        queues.drop_column("priority_aging_seconds")
