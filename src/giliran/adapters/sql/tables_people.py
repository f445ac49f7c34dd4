"""The schema of people: users, their personal API tokens, their signed-in sessions (migration
0024). Re-exported by `tables`, which queries import as `t`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from giliran.adapters.sql.columns import UtcDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Kept in lower case (domain/people.py `normal_email`), so a plain unique constraint is
    # unique case-insensitively; NULL for agents carried over from before users.
    Column("email", String(254), nullable=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(255), nullable=True),  # NULL: signs in with tokens only
    Column("language", String(8), nullable=False),
    Column("active", Boolean, nullable=False),
    # A supervisor's queues, as a sorted JSON list like an agent's (empty: every queue).
    Column("queues", JSON, nullable=False),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=True),
    Column("must_change_password", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
    Column("last_sign_in_at", UtcDateTime, nullable=True),
    Column("password_changed_at", UtcDateTime, nullable=True),
    # Named, so a refused insert says which one it ran into (adapters/sql/people.py).
    UniqueConstraint("email", name="uq_users_email"),
    UniqueConstraint("agent_id", name="uq_users_agent"),
    # Ids are never reused (SQLite's AUTOINCREMENT, as PostgreSQL's sequences): an id in a
    # log or an audit entry names one person, one token, one session for good.
    sqlite_autoincrement=True,
)

# Only the hash of a token is kept; authentication finds it by the unique index.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    sqlite_autoincrement=True,
)
Index("ix_api_tokens_user", api_tokens.c.user_id, api_tokens.c.id)

# Signed-in browsers: the cookie holds a secret, the row its hash.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("address", String(100), nullable=False),
    Column("user_agent", Text, nullable=False),  # as the browser sent it, of any length
    sqlite_autoincrement=True,  # pruned sessions' ids are not given out again
)
Index("ix_sessions_user", sessions.c.user_id, sessions.c.id)
# Pruning finds the sessions past their absolute expiry without reading every one.
Index("ix_sessions_expires", sessions.c.expires_at)
