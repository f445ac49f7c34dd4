"""SLA policies and per-ticket SLA clocks: `sla_policies` (ordered by position), `ticket_sla`
(each ticket's clocks now: first_response, next_response, resolution), `sla_outcomes` (one row
per clock that ended, for reports), and on tickets the SLA they show (`sla`, JSON) and the
soonest due time of a running clock (`sla_due_at`, what waiting_order sla_due orders by).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

RUNNING = "state IN ('active', 'warning')"


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("business_hours", sa.Boolean, nullable=False),
        sa.Column("warn_percent", sa.Integer, nullable=False),
        sa.Column("pause_statuses", sa.JSON, nullable=False),
        sa.Column("breach_actions", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "ticket_sla",
        sa.Column("ticket_id", sa.Integer, primary_key=True),
        sa.Column("target", sa.String(20), primary_key=True),
        sa.Column("policy_id", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Integer, nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=True),
        sa.Column("warn_at", UtcDateTime, nullable=True),
        sa.Column("paused_at", UtcDateTime, nullable=True),
        sa.Column("paused_seconds", sa.Float, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("warned_at", UtcDateTime, nullable=True),
        sa.Column("breached_at", UtcDateTime, nullable=True),
        sa.Column("met_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_ticket_sla_warn", "ticket_sla", ["warn_at"],
                    sqlite_where=sa.text("state = 'active'"),
                    postgresql_where=sa.text("state = 'active'"))
    op.create_index("ix_ticket_sla_due", "ticket_sla", ["due_at"],
                    sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING))
    op.create_table(
        "sla_outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("policy_id", sa.Integer, nullable=False),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.Column("agent_id", sa.Integer, nullable=True),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(40), nullable=True),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=True),
        sa.Column("ended_at", UtcDateTime, nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("elapsed_seconds", sa.Float, nullable=False),
        sa.Column("breached_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_sla_outcomes_ended", "sla_outcomes", ["ended_at"])
    op.create_index("ix_sla_outcomes_queue", "sla_outcomes", ["queue", "ended_at"])
    op.add_column("tickets", sa.Column("sla", sa.JSON, nullable=True))
    op.add_column("tickets", sa.Column("sla_due_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets", recreate="never") as batch:
        batch.drop_column("sla_due_at")
        batch.drop_column("sla")
    op.drop_table("sla_outcomes")
    op.drop_table("ticket_sla")
    op.drop_table("sla_policies")
