"""Conversations both ways: outgoing messages and what each message holds, the customers
tickets are for (with the addresses they moved to), channels' reports on what was sent, the
notices that carry replies, and the queue setting that lets a first reply accept a ticket.

Existing messages are incoming text; every contact that tickets already have becomes a
customer, named as they signed their latest message.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("ticket_messages") as messages:
        messages.add_column(sa.Column("direction", sa.String(3), nullable=False,
                                      server_default="in"))
        messages.add_column(sa.Column("kind", sa.String(20), nullable=False,
                                      server_default="text"))
        messages.add_column(sa.Column("content", sa.JSON, nullable=False, server_default="{}"))
        messages.add_column(sa.Column("author", sa.String(40), nullable=True))
        messages.add_column(sa.Column("state", sa.String(10), nullable=True))
        messages.add_column(sa.Column("state_at", sa.DateTime(timezone=True), nullable=True))
        messages.add_column(sa.Column("error", sa.String(500), nullable=True))
        messages.add_column(sa.Column("channel_message_id", sa.String(200), nullable=True))
        messages.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_ticket_messages_channel_id", "ticket_messages",
                    ["channel", "channel_message_id"])

    op.create_index("ix_tickets_contact", "tickets", ["contact", "id"])
    op.create_table(
        "customers",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("username", sa.String(100), nullable=True),
        sa.Column("via", sa.String(64), nullable=True),
        sa.Column("last_incoming_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "customer_aliases",
        sa.Column("alias", sa.String(200), primary_key=True),
        sa.Column("customer_key", sa.String(200), sa.ForeignKey("customers.key"),
                  nullable=False),
    )
    op.create_table(
        "message_receipts",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("channel_message_id", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(10), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
    )
    with op.batch_alter_table("notices") as notices:
        notices.add_column(sa.Column("message_id", ID, nullable=True))
        notices.add_column(sa.Column("ticket_id", sa.Integer, nullable=True))
        notices.add_column(sa.Column("via", sa.String(64), nullable=True))
        notices.add_column(sa.Column("template", sa.String(200), nullable=True))
        notices.add_column(sa.Column("sent_id", sa.String(200), nullable=True))
    op.create_index("ix_notices_sent", "notices", ["chat_id", "sent_id"])
    # A plain ADD COLUMN: a batch rebuild of `queues` would drop a table that tickets and
    # memberships refer to, which SQLite refuses with foreign keys on.
    op.add_column("queues", sa.Column("reply_accepts", sa.Boolean, nullable=False,
                                      server_default=sa.true()))
    _customers_from_contacts()


def _customers_from_contacts() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT t.contact, MAX(m.id) FROM tickets t "
        "LEFT JOIN ticket_messages m ON m.ticket_id = t.id "
        "WHERE t.contact IS NOT NULL GROUP BY t.contact")).all()
    for contact, last_message in rows:
        channel, _, address = str(contact).partition(":")
        name, at = None, None
        if last_message is not None:
            name, at = conn.execute(sa.text(
                "SELECT sender, at FROM ticket_messages WHERE id = :id"),
                {"id": last_message}).one()
        conn.execute(sa.text(
            "INSERT INTO customers (key, channel, address, name, last_incoming_at) "
            "VALUES (:key, :channel, :address, :name, :at)"),
            {"key": contact, "channel": channel, "address": address, "name": name, "at": at})


def downgrade() -> None:
    with op.batch_alter_table("queues") as queues:
        queues.drop_column("reply_accepts")
    op.drop_index("ix_notices_sent", "notices")
    with op.batch_alter_table("notices") as notices:
        for column in ("sent_id", "template", "via", "ticket_id", "message_id"):
            notices.drop_column(column)
    op.drop_table("message_receipts")
    op.drop_table("customer_aliases")
    op.drop_table("customers")
    op.drop_index("ix_tickets_contact", "tickets")
    op.drop_index("ix_ticket_messages_channel_id", "ticket_messages")
    with op.batch_alter_table("ticket_messages") as messages:
        for column in ("edited_at", "channel_message_id", "error", "state_at", "state",
                       "author", "content", "kind", "direction"):
            messages.drop_column(column)
