"""The audit: history by time and by agent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_history_at", "assignment_history", ["at"])
    op.create_index("ix_history_from_agent", "assignment_history", ["from_agent_id", "id"])
    op.create_index("ix_history_to_agent", "assignment_history", ["to_agent_id", "id"])


def downgrade() -> None:
    for name in ("ix_history_to_agent", "ix_history_from_agent", "ix_history_at"):
        op.drop_index(name, table_name="assignment_history")
