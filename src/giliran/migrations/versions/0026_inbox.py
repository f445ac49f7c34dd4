"""The agents' inbox (issue 23): hold, internal notes, read state, canned replies and
attachments going out.

- `tickets.hold_until`, `tickets.hold_keeps_slot`: a ticket on hold (status `on_hold`) until
  when, and whether it still takes one of its holder's slots (the queue's `hold_frees_slot`
  at the time it was put on hold). A held ticket is still open: the index that keeps one open
  ticket per customer now counts `on_hold`, so the customer's next message finds it.
- `ix_tickets_held` covers held rows (`assigned`, `in_progress`, `on_hold`); a query for the
  tickets that take a slot adds `status <> 'on_hold' OR hold_keeps_slot` on top of it.
- `queues.hold_frees_slot`, `queues.hold_minutes`, `queues.hold_expiry` (`return`: back to
  the holder or the queue; `close`: completed): the queue's rules for holds.
- `ticket_messages.direction` widens to 8 characters for `note` (an internal note: in the
  thread, never sent).
- `ticket_reads`: per ticket and reader (an actor key, "user:3"), the newest message read.
- `canned_replies`: saved answers, for one queue or every queue, in one language or any.
- `notices.media`: the file an outgoing message carries (where it is kept, its type, name and
  size), sent through the channel's media API.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

OPEN_BEFORE = "status IN ('queued', 'assigned', 'in_progress')"
OPEN_NOW = "status IN ('queued', 'assigned', 'in_progress', 'on_hold')"
HELD_BEFORE = "status IN ('assigned', 'in_progress')"
HELD_NOW = "status IN ('assigned', 'in_progress', 'on_hold')"


def _open_per_contact(open_: str) -> None:
    op.drop_index("ux_tickets_one_open_per_contact", table_name="tickets")
    where = sa.text(f"contact IS NOT NULL AND {open_} AND NOT contact_shared")
    op.create_index("ux_tickets_one_open_per_contact", "tickets", ["contact"], unique=True,
                    sqlite_where=where, postgresql_where=where)


def _held(held: str) -> None:
    op.drop_index("ix_tickets_held", table_name="tickets")
    op.create_index("ix_tickets_held", "tickets", ["agent_id", "assigned_seq"],
                    sqlite_where=sa.text(held), postgresql_where=sa.text(held))


def upgrade() -> None:
    # Plain ADD COLUMNs (a batch copy of `tickets` on SQLite would drop 0016's triggers).
    op.add_column("tickets", sa.Column("hold_until", UtcDateTime,
                                       nullable=True))
    op.add_column("tickets", sa.Column("hold_keeps_slot", sa.Boolean, nullable=False,
                                       server_default=sa.false()))
    _open_per_contact(OPEN_NOW)
    _held(HELD_NOW)
    op.add_column("queues", sa.Column("hold_frees_slot", sa.Boolean, nullable=False,
                                      server_default=sa.false()))
    op.add_column("queues", sa.Column("hold_minutes", sa.Integer, nullable=False,
                                      server_default="1440"))
    op.add_column("queues", sa.Column("hold_expiry", sa.String(10), nullable=False,
                                      server_default="return"))
    # SQLite cannot change a column's type in place: its batch mode copies the table once.
    with op.batch_alter_table("ticket_messages") as batch:
        batch.alter_column("direction", type_=sa.String(8), existing_type=sa.String(3),
                           existing_nullable=False)
    op.add_column("notices", sa.Column("media", sa.JSON, nullable=True))
    op.create_table(
        "ticket_reads",
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("reader", sa.String(40), primary_key=True),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                  nullable=False),
        sa.Column("read_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("queue", sa.String(100), sa.ForeignKey("queues.name"), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_canned_replies_name", "canned_replies", ["name"])


def downgrade() -> None:
    op.drop_index("ix_canned_replies_name", table_name="canned_replies")
    op.drop_table("canned_replies")
    op.drop_table("ticket_reads")
    with op.batch_alter_table("notices", recreate="never") as batch:
        batch.drop_column("media")
    with op.batch_alter_table("ticket_messages") as batch:
        batch.alter_column("direction", type_=sa.String(3), existing_type=sa.String(8),
                           existing_nullable=False)
    with op.batch_alter_table("queues", recreate="never") as batch:
        for column in ("hold_expiry", "hold_minutes", "hold_frees_slot"):
            batch.drop_column(column)
    _held(HELD_BEFORE)
    _open_per_contact(OPEN_BEFORE)
    with op.batch_alter_table("tickets", recreate="never") as batch:
        batch.drop_column("hold_keeps_slot")
        batch.drop_column("hold_until")
