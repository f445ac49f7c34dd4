"""When a customer blocked the bot: Telegram refuses every message to them from then on ("403
Forbidden: bot was blocked by the user"), so giliran remembers it, shows it in the conversation
and refuses new replies to them (409 customer_blocked) instead of letting each one fail later.
Their next message (they unblocked the bot) clears it. Nobody is marked when upgrading: a
customer who blocked the bot earlier is found out at the next reply, as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("blocked_at", sa.DateTime(timezone=True),
                                         nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", recreate="never") as customers:
        customers.drop_column("blocked_at")
