"""Customers as one person across channels (`customers.person_key`): the key of the first
customer of a group the desk linked (an email address and a WhatsApp number of one human), so
their tickets show together. Every existing customer stands alone.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("person_key", sa.String(200), nullable=True))
    op.create_index("ix_customers_person", "customers", ["person_key"])


def downgrade() -> None:
    op.drop_index("ix_customers_person", table_name="customers")
    with op.batch_alter_table("customers", recreate="never") as customers:
        customers.drop_column("person_key")
