"""An agent's last reply to a customer (`agents.last_reply_at`), for the supervisors' Floor:
minutes since an agent last answered anyone say more about a busy floor than its load alone.
Filled from the replies already sent (an agent's replies carry its actor key as `author`).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("last_reply_at", UtcDateTime, nullable=True))
    op.execute(sa.text(
        "UPDATE agents SET last_reply_at = (SELECT max(m.at) FROM ticket_messages m "
        "WHERE m.direction = 'out' AND m.author = 'agent:' || CAST(agents.id AS VARCHAR(20)))"))


def downgrade() -> None:
    with op.batch_alter_table("agents", recreate="never") as agents:
        agents.drop_column("last_reply_at")
