"""Desks as the plans describe them: the strict rotation's pointer, a per-queue limit per agent
and when its slot frees, turn-checked claims, pick-up on or off, pauses per queue (misses in a
row counted per agent and queue), agents' own switches and language, why each automatic
assignment went where it did, the presence log, and the audit log of changes.

Agents linked to a Telegram chat keep the language the chat had; every agent's presence is
written to the presence log as it stands, so time online counts from the upgrade on.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
QUEUED: dict[str, Any] = {"sqlite_where": sa.text("status = 'queued'"),
                          "postgresql_where": sa.text("status = 'queued'")}


def upgrade() -> None:
    # Plain ADD COLUMNs (SQLite does them in place): rebuilding agents or queues in a batch
    # would drop a table that other rows refer to, which SQLite's foreign keys refuse.
    columns: dict[str, tuple[sa.Column[Any], ...]] = {"queues": (
        sa.Column("max_per_agent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("slot_freed_on", sa.String(10), nullable=False, server_default="complete"),
        sa.Column("claim", sa.String(10), nullable=False, server_default="anyone"),
        sa.Column("pickup", sa.String(3), nullable=False, server_default="on"),
        sa.Column("next_agent_id", sa.Integer, nullable=True),
    ), "agents": (
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
        sa.Column("auto_assign_locked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("queue_state", sa.JSON, nullable=False, server_default="{}"),
    ), "agent_queues": (
        sa.Column("missed_in_row", sa.Integer, nullable=False, server_default="0"),
        sa.Column("paused_at", UtcDateTime, nullable=True),
        sa.Column("pause_reason", sa.String(200), nullable=True),
    ), "assignment_history": (
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
    )}
    for table, added in columns.items():
        for column in added:
            op.add_column(table, column)
    op.create_index("ix_tickets_queue_queued_order", "tickets",
                    ["queue", sa.text("priority DESC"), "queue_order", "id"], **QUEUED)
    op.create_table(
        "audit_log",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_subject", "audit_log", ["kind", "subject", "id"])
    op.create_index("ix_audit_at", "audit_log", ["at"])
    op.create_table(
        "presence_log",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("presence", sa.String(10), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_presence_log_at", "presence_log", ["at"])
    op.create_index("ix_presence_log_agent", "presence_log", ["agent_id", "at"])
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE agents SET language = (SELECT c.language FROM chat_links c "
        "WHERE c.agent_id = agents.id) "
        "WHERE EXISTS (SELECT 1 FROM chat_links c WHERE c.agent_id = agents.id "
        "AND c.language IN ('en', 'id'))"))
    log = sa.table("presence_log", sa.column("agent_id", sa.Integer),
                   sa.column("at", UtcDateTime), sa.column("presence", sa.String))
    rows = conn.execute(sa.text("SELECT id, presence FROM agents ORDER BY id")).all()
    if rows:
        at = datetime.now(UTC)
        conn.execute(log.insert(), [{"agent_id": r[0], "at": at, "presence": r[1]}
                                    for r in rows])


def downgrade() -> None:
    op.drop_table("presence_log")
    op.drop_table("audit_log")
    op.drop_index("ix_tickets_queue_queued_order", table_name="tickets")
    with op.batch_alter_table("assignment_history") as history:
        history.drop_column("detail")
        history.drop_column("note")
    with op.batch_alter_table("agent_queues") as members:
        for column in ("pause_reason", "paused_at", "missed_in_row"):
            members.drop_column(column)
    with op.batch_alter_table("agents") as agents:
        for column in ("queue_state", "auto_assign_locked", "language"):
            agents.drop_column(column)
    with op.batch_alter_table("queues") as queues:
        for column in ("next_agent_id", "pickup", "claim", "slot_freed_on", "max_per_agent"):
            queues.drop_column(column)
