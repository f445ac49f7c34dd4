"""People: users, their personal API tokens and their signed-in sessions (issue 22).

Every agent becomes a user with the agent role, its name, language and active flag, and no
email or password yet (an admin gives it one). Its token stays where it was
(`agents.token_hash`): the service finds the user of an agent's token by the agent, so every
token handed out before keeps working, as that agent's.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("queues", sa.JSON, nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=True),
        sa.Column("last_sign_in_at", UtcDateTime, nullable=True),
        sa.Column("password_changed_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.UniqueConstraint("agent_id", name="uq_users_agent"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=True),
        sa.Column("last_used_at", UtcDateTime, nullable=True),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id", "id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_seen_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("ended_at", UtcDateTime, nullable=True),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id", "id"])
    op.create_index("ix_sessions_expires", "sessions", ["expires_at"])
    # One user per agent, in the agents' order. Its queues are a supervisor's limit, none
    # for an agent (the queues it serves stay on the agent). Typed parameters, so PostgreSQL
    # is told the JSON is JSON.
    op.execute(sa.text(
        "INSERT INTO users (email, name, role, password_hash, language, active, queues, "
        "agent_id, must_change_password, created_at) "
        "SELECT NULL, name, 'agent', NULL, language, active, :none, id, :no, :now "
        "FROM agents ORDER BY id"
    ).bindparams(sa.bindparam("none", [], type_=sa.JSON),
                 sa.bindparam("no", False, type_=sa.Boolean),
                 sa.bindparam("now", datetime.now(UTC), type_=UtcDateTime)))


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("api_tokens")
    op.drop_table("users")
