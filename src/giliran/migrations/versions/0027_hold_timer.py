"""Holds, their timer: the tickets on hold per queue by when the hold ends, so the timer pass
finds the expired ones in a few index steps (as it finds overdue assignments), and the index
of open tickets by contact counts `on_hold` like the unique one beside it (0026), so the
customer's next message finds a held ticket through it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

ON_HOLD = sa.text("status = 'on_hold'")
OPEN_BEFORE = "status IN ('queued', 'assigned', 'in_progress')"
OPEN_NOW = "status IN ('queued', 'assigned', 'in_progress', 'on_hold')"


def _open_contact(open_: str) -> None:
    op.drop_index("ix_tickets_open_contact", table_name="tickets")
    op.create_index("ix_tickets_open_contact", "tickets", ["contact"],
                    sqlite_where=sa.text(open_), postgresql_where=sa.text(open_))


def upgrade() -> None:
    op.create_index("ix_tickets_on_hold", "tickets", ["queue", "hold_until"],
                    sqlite_where=ON_HOLD, postgresql_where=ON_HOLD)
    _open_contact(OPEN_NOW)


def downgrade() -> None:
    _open_contact(OPEN_BEFORE)
    op.drop_index("ix_tickets_on_hold", table_name="tickets")
