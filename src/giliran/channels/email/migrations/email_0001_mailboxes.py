"""Email's tables: the mailboxes (each mapped to a queue, with its IMAP and SMTP settings),
how far each mailbox's folders have been read over IMAP, and every message as it came.

The first revision of the channel's own branch ("email"), built on the core's 0028.

Revision ID: email_0001
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "email_0001"
down_revision = None
branch_labels = ("email",)
depends_on = "0028"


def upgrade() -> None:
    op.create_table(
        "email_mailboxes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("address", sa.String(254), nullable=False, unique=True),
        sa.Column("queue", sa.String(100), sa.ForeignKey("queues.name"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("imap_host", sa.String(253), nullable=True),
        sa.Column("imap_port", sa.Integer, nullable=True),
        sa.Column("imap_security", sa.String(10), nullable=False),
        sa.Column("imap_user", sa.String(254), nullable=True),
        sa.Column("imap_password", sa.Text, nullable=True),
        sa.Column("imap_folder", sa.String(200), nullable=False),
        sa.Column("imap_move_to", sa.String(200), nullable=True),
        sa.Column("imap_idle", sa.Boolean, nullable=False),
        sa.Column("poll_seconds", sa.Integer, nullable=False),
        sa.Column("smtp_url", sa.Text, nullable=True),
        sa.Column("block_list", sa.JSON, nullable=False),
        sa.Column("thread_key", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "email_progress",
        sa.Column("mailbox_id", sa.Integer, sa.ForeignKey("email_mailboxes.id"),
                  primary_key=True),
        sa.Column("folder", sa.String(200), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("last_uid", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "email_originals",
        sa.Column("key", sa.String(1024), primary_key=True),
        sa.Column("mailbox_id", sa.Integer, sa.ForeignKey("email_mailboxes.id"), nullable=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("broken", sa.Text, nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
    )
    op.create_index("ix_email_originals_ticket", "email_originals", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_email_originals_ticket", table_name="email_originals")
    op.drop_table("email_originals")
    op.drop_table("email_progress")
    op.drop_table("email_mailboxes")
