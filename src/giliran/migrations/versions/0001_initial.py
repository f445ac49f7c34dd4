"""Initial schema: queues, agents, tickets, the assignment history and the rotation counter.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    queues = op.create_table(
        "queues",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("strategy", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("max_tickets", sa.Integer, nullable=False),
        sa.Column("auto_assign", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("online", sa.Boolean, nullable=False),
        sa.Column("rotation_order", sa.Integer, nullable=False),
        sa.Column("active_tickets", sa.Integer, nullable=False),
        sa.Column("last_assigned_seq", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    # The same predicate, spelled as each dialect renders the query's WHERE clause, so the
    # planner sees that the query implies it and uses the partial index.
    eligible_sqlite = sa.text(
        "active = 1 AND online = 1 AND auto_assign = 1 AND active_tickets < max_tickets"
    )
    eligible_pg = sa.text("active AND online AND auto_assign AND active_tickets < max_tickets")
    op.create_index(
        "ix_agents_eligible_rotation", "agents", ["last_assigned_seq", "rotation_order", "id"],
        sqlite_where=eligible_sqlite, postgresql_where=eligible_pg,
    )
    op.create_index(
        "ix_agents_eligible_load", "agents",
        ["active_tickets", "last_assigned_seq", "rotation_order", "id"],
        sqlite_where=eligible_sqlite, postgresql_where=eligible_pg,
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("queue", sa.String(100), sa.ForeignKey("queues.name"), nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True, unique=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("assigned_seq", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("assigned_at", UtcDateTime, nullable=True),
        sa.Column("accepted_at", UtcDateTime, nullable=True),
        sa.Column("closed_at", UtcDateTime, nullable=True),
    )
    queued = sa.text("status = 'queued'")
    held = sa.text("status IN ('assigned', 'in_progress')")
    op.create_index(
        "ix_tickets_queued_order", "tickets", [sa.text("priority DESC"), "id"],
        sqlite_where=queued, postgresql_where=queued,
    )
    op.create_index(
        "ix_tickets_held", "tickets", ["agent_id", "assigned_seq"],
        sqlite_where=held, postgresql_where=held,
    )
    op.create_table(
        "assignment_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("from_agent_id", sa.Integer, nullable=True),
        sa.Column("to_agent_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_history_ticket", "assignment_history", ["ticket_id", "id"])
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(queues, [
        {"name": "default", "strategy": "round_robin", "created_at": datetime.now(UTC)},
    ])
    op.bulk_insert(counters, [{"name": "assignment", "value": 0}])


def downgrade() -> None:
    for table in ("assignment_history", "tickets", "agents", "counters", "queues"):
        op.drop_table(table)
