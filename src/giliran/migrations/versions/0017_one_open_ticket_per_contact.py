"""One open ticket per customer, held by the database itself.

Two first messages of a new customer must open one ticket between them. Until now only the
floor lock held that (receiving a message looked for the customer's open ticket, then opened
one, under the lock). A unique index over the open tickets' contact now holds it whatever the
writers do: the second insert waits for the first to commit, then fails (ContactHasOpenTicket).
Receiving a message (`service.channels.receive`) still looks for the open ticket under the floor
lock, so it never meets that refusal; a writer without the lock would.

A database whose writers once slipped may already hold several open tickets for one contact.
Nothing of them is changed: the newest stays the customer's conversation (where their messages
have gone all along), and the older ones are marked `contact_shared`, which exempts them from
the index, so they keep their customer, their messages and the replies their holders send.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN = "status IN ('queued', 'assigned', 'in_progress')"
UNIQUE_WHERE = sa.text(f"contact IS NOT NULL AND {OPEN} AND NOT contact_shared")


def upgrade() -> None:
    # A plain ADD COLUMN (not a batch copy, which on SQLite would drop 0016's triggers).
    op.add_column("tickets", sa.Column("contact_shared", sa.Boolean, nullable=False,
                                       server_default=sa.false()))
    op.execute(sa.text(
        f"UPDATE tickets SET contact_shared = :yes WHERE contact IS NOT NULL AND {OPEN} "
        f"AND id < (SELECT max(newer.id) FROM tickets AS newer "
        f"WHERE newer.contact = tickets.contact AND newer.{OPEN})"
    ).bindparams(yes=True))
    op.create_index("ux_tickets_one_open_per_contact", "tickets", ["contact"], unique=True,
                    sqlite_where=UNIQUE_WHERE, postgresql_where=UNIQUE_WHERE)


def downgrade() -> None:
    op.drop_index("ux_tickets_one_open_per_contact", table_name="tickets")
    with op.batch_alter_table("tickets", recreate="never") as tickets:
        tickets.drop_column("contact_shared")
