"""Every change names its person: the history and the audit log keep, beside the actor's key
("admin", "agent:5", "user:3"), who that was at the time: their user id, their name, how they
came (session, token, agent_token, admin_token, cli, system, channel...) and the personal
token's name when they came through one.

Lines written before keep nulls there; they read back as an actor known by its key alone (its
name the key, how it came worked out from the key: domain/actor.py `Actor.of_key`), so nothing
is rewritten on upgrade.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TABLES = ("assignment_history", "audit_log")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("actor_user_id", sa.Integer, nullable=True))
        op.add_column(table, sa.Column("actor_name", sa.String(200), nullable=True))
        op.add_column(table, sa.Column("actor_via", sa.String(20), nullable=True))
        op.add_column(table, sa.Column("actor_token", sa.String(100), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            for column in ("actor_token", "actor_via", "actor_name", "actor_user_id"):
                batch.drop_column(column)
