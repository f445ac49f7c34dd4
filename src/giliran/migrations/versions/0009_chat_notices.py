"""Chat channels: the notices outbox (Telegram messages), agents' linked chats, link codes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.JSON, nullable=False),
        sa.Column("key", sa.String(120), nullable=False, unique=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=True),
        sa.Column("leased_until", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("delivered_at", UtcDateTime, nullable=True),
    )
    pending = sa.text("status = 'pending'")
    op.create_index("ix_notices_due", "notices", ["next_attempt_at"],
                    sqlite_where=pending, postgresql_where=pending)
    op.create_table(
        "chat_links",
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), primary_key=True),
        sa.Column("chat_id", sa.String(64), nullable=False, unique=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("linked_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_codes")
    op.drop_table("chat_links")
    op.drop_index("ix_notices_due", table_name="notices")
    op.drop_table("notices")
