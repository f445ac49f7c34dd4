"""The SLA's tables (migration 0032): the policies, each ticket's clocks now, and one row per
clock that ended (what reports read)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, String, Table

from giliran.adapters.sql.columns import UtcDateTime, metadata

sla_policies = Table(
    "sla_policies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("position", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("targets", JSON, nullable=False),
    Column("business_hours", Boolean, nullable=False),
    Column("warn_percent", Integer, nullable=False),
    Column("pause_statuses", JSON, nullable=False),
    Column("breach_actions", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

ticket_sla = Table(
    "ticket_sla",
    metadata,
    Column("ticket_id", Integer, primary_key=True),
    Column("target", String(20), primary_key=True),
    Column("policy_id", Integer, nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=True),
    Column("warn_at", UtcDateTime, nullable=True),
    Column("paused_at", UtcDateTime, nullable=True),
    Column("paused_seconds", Float, nullable=False),
    Column("state", String(10), nullable=False),
    Column("warned_at", UtcDateTime, nullable=True),
    Column("breached_at", UtcDateTime, nullable=True),
    Column("met_at", UtcDateTime, nullable=True),
)
# The timer pass: running clocks whose warning or due time has come.
Index("ix_ticket_sla_warn", ticket_sla.c.warn_at,
      sqlite_where=ticket_sla.c.state == "active", postgresql_where=ticket_sla.c.state == "active")
Index("ix_ticket_sla_due", ticket_sla.c.due_at,
      sqlite_where=ticket_sla.c.state.in_(("active", "warning")),
      postgresql_where=ticket_sla.c.state.in_(("active", "warning")))

sla_outcomes = Table(
    "sla_outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, nullable=False),
    Column("target", String(20), nullable=False),
    Column("policy_id", Integer, nullable=False),
    Column("queue", String(100), nullable=False),
    Column("agent_id", Integer, nullable=True),
    Column("priority", String(10), nullable=False),
    Column("channel", String(40), nullable=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=True),
    Column("ended_at", UtcDateTime, nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("elapsed_seconds", Float, nullable=False),
    Column("breached_at", UtcDateTime, nullable=True),
)
Index("ix_sla_outcomes_ended", sla_outcomes.c.ended_at)
Index("ix_sla_outcomes_queue", sla_outcomes.c.queue, sla_outcomes.c.ended_at)
