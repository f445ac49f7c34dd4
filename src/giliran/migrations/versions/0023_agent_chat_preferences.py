"""Agents' chat preferences: whether the agent chose the language of its notices, and whether
its chat hears of tickets that leave its queue by someone else's hand.

`language_chosen`: an agent who never chose a language takes the one of the dashboard it asks
for a Telegram link code from, so the bot's confirmation of the link, and its notices, are in
the language the agent reads its page in. Upgrading cannot tell whether an agent chose its
language or kept the deployment's default; an agent whose language is not English was given
one on purpose (by itself, an admin, or its chat's language in 0014), so only those count as
chosen. An English one may still switch to the dashboard's language once, when it next links.

`telegram_ticket_left` starts on for everyone: the chat already heard of escalations and of a
supervisor's moves, and keeps hearing of them (and now of cancellations, completions by a
supervisor and tickets sent back as the agent went offline) until the agent switches it off.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("language_chosen", sa.Boolean, nullable=False,
                                      server_default=sa.false()))
    op.execute(sa.text("UPDATE agents SET language_chosen = :yes WHERE language <> 'en'")
               .bindparams(yes=True))
    op.add_column("agents", sa.Column("telegram_ticket_left", sa.Boolean, nullable=False,
                                      server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("agents", recreate="never") as agents:
        agents.drop_column("telegram_ticket_left")
        agents.drop_column("language_chosen")
