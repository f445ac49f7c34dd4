"""Escalation and presence: queue policies, agent presence states and heartbeats, ticket
escalation and supervisor flags, and settings admins change at run time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Each predicate spelled as the dialect renders the queries' WHERE clauses (see 0001).
ELIGIBLE = {
    "sqlite": "active = 1 AND presence = 'online' AND auto_assign = 1 "
              "AND active_tickets < max_tickets",
    "postgresql": "active AND presence = 'online' AND auto_assign "
                  "AND active_tickets < max_tickets",
}
DISPATCHABLE = {
    "sqlite": "status = 'queued' AND auto_dispatch = 1",
    "postgresql": "status = 'queued' AND auto_dispatch",
}


def _where(predicate: dict[str, str]) -> dict[str, Any]:
    return {f"{dialect}_where": sa.text(text) for dialect, text in predicate.items()}


def _same(text: str) -> dict[str, Any]:
    return _where({"sqlite": text, "postgresql": text})


def upgrade() -> None:
    with op.batch_alter_table("queues") as queues:
        queues.add_column(sa.Column("accept_timeout_seconds", sa.Integer, nullable=False,
                                    server_default="0"))
        queues.add_column(sa.Column("max_escalations", sa.Integer, nullable=False,
                                    server_default="0"))
        queues.add_column(sa.Column("away_after_misses", sa.Integer, nullable=False,
                                    server_default="0"))
        queues.add_column(sa.Column("offline_policy", sa.String(20), nullable=False,
                                    server_default="keep"))
        queues.add_column(sa.Column("max_wait_seconds", sa.Integer, nullable=False,
                                    server_default="0"))

    # `online` (a boolean) becomes `presence` (online / away / offline). The partial indexes
    # name the old column, so they go first and come back with the new predicate.
    op.drop_index("ix_agents_eligible_rotation", table_name="agents")
    op.drop_index("ix_agents_eligible_load", table_name="agents")
    with op.batch_alter_table("agents") as agents:
        agents.add_column(sa.Column("presence", sa.String(10), nullable=False,
                                    server_default="offline"))
        agents.add_column(sa.Column("last_seen_at", UtcDateTime, nullable=True))
        agents.add_column(sa.Column("missed_in_row", sa.Integer, nullable=False,
                                    server_default="0"))
    # Agents online at upgrade time count as seen now, so the first pass does not expire them.
    op.execute(sa.text(
        "UPDATE agents SET presence = 'online', last_seen_at = CURRENT_TIMESTAMP WHERE online"
    ))
    with op.batch_alter_table("agents") as agents:
        agents.drop_column("online")
    op.create_index("ix_agents_eligible_rotation", "agents",
                    ["last_assigned_seq", "rotation_order", "id"],
                    **_where(ELIGIBLE))
    op.create_index("ix_agents_eligible_load", "agents",
                    ["active_tickets", "last_assigned_seq", "rotation_order", "id"],
                    **_where(ELIGIBLE))
    op.create_index("ix_agents_last_seen", "agents", ["last_seen_at"],
                    **_same("presence != 'offline'"))

    with op.batch_alter_table("tickets") as tickets:
        tickets.add_column(sa.Column("queued_at", UtcDateTime, nullable=True))
        tickets.add_column(sa.Column("escalations", sa.Integer, nullable=False,
                                     server_default="0"))
        tickets.add_column(sa.Column("missed_by", sa.JSON, nullable=False,
                                     server_default="[]"))
        tickets.add_column(sa.Column("flag", sa.String(30), nullable=True))
        tickets.add_column(sa.Column("flagged_at", UtcDateTime, nullable=True))
        tickets.add_column(sa.Column("auto_dispatch", sa.Boolean, nullable=False,
                                     server_default=sa.true()))
    op.execute(sa.text("UPDATE tickets SET queued_at = created_at WHERE status = 'queued'"))
    op.create_index("ix_tickets_dispatch_order", "tickets", [sa.text("priority DESC"), "id"],
                    **_where(DISPATCHABLE))
    op.create_index("ix_tickets_pending_accept", "tickets", ["queue", "assigned_at"],
                    **_same("status = 'assigned'"))
    op.create_index("ix_tickets_waiting", "tickets", ["queue", "queued_at"],
                    **_same("status = 'queued' AND flag IS NULL"))
    op.create_index("ix_tickets_flagged", "tickets", ["queue"], **_same("flag IS NOT NULL"))

    op.create_table(
        "runtime_settings",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runtime_settings")
    for name in ("ix_tickets_flagged", "ix_tickets_waiting", "ix_tickets_pending_accept",
                 "ix_tickets_dispatch_order"):
        op.drop_index(name, table_name="tickets")
    with op.batch_alter_table("tickets") as tickets:
        for column in ("auto_dispatch", "flagged_at", "flag", "missed_by", "escalations",
                       "queued_at"):
            tickets.drop_column(column)
    for name in ("ix_agents_last_seen", "ix_agents_eligible_rotation", "ix_agents_eligible_load"):
        op.drop_index(name, table_name="agents")
    with op.batch_alter_table("agents") as agents:
        agents.add_column(sa.Column("online", sa.Boolean, nullable=False,
                                    server_default=sa.false()))
    op.execute(sa.text("UPDATE agents SET online = (presence = 'online')"))
    with op.batch_alter_table("agents") as agents:
        for column in ("missed_in_row", "last_seen_at", "presence"):
            agents.drop_column(column)
    old = {
        "sqlite": "active = 1 AND online = 1 AND auto_assign = 1 AND active_tickets < max_tickets",
        "postgresql": "active AND online AND auto_assign AND active_tickets < max_tickets",
    }
    op.create_index("ix_agents_eligible_rotation", "agents",
                    ["last_assigned_seq", "rotation_order", "id"], **_where(old))
    op.create_index("ix_agents_eligible_load", "agents",
                    ["active_tickets", "last_assigned_seq", "rotation_order", "id"],
                    **_where(old))
    with op.batch_alter_table("queues") as queues:
        for column in ("max_wait_seconds", "offline_policy", "away_after_misses",
                       "max_escalations", "accept_timeout_seconds"):
            queues.drop_column(column)
