"""Today's figures kept as work happens (domain/daybook.py), so the supervisor's page costs the
same at 8 a.m. and 8 p.m. instead of replaying the day's history on every refresh.

- `day_deltas`: what each commit adds (one upsert, no read), folded now and then into
  `day_figures` (per day and subject, its sums, a column a figure) and `day_histograms` (per
  day, subject and figure, a histogram's counts). A day is read in a row per subject, one per
  histogram and the deltas of the last half minute, however many tickets it saw.
- `agents.usage_state` and `usage_since`: an agent's presence and load when its time online and
  busy was last counted, and since when. They start from the upgrade: each agent's state now.
- `agents.last_assigned_at`: when it last received a ticket (shown to supervisors and to it),
  filled in from the history.
- `tickets.answered_at`: a ticket's first accept (an accept after a requeue does not move it),
  filled in from the history, so the service level counts late unanswered tickets from an
  index.
- Indexes for the live part: waiting tickets by queue and time queued; unanswered tickets by
  queue and arrival; flagged tickets by when they were flagged (the page lists the 50 longest
  flagged, which read the whole table by id once it was large).

The day of the upgrade counts what happens from the upgrade on; `GET /stats` still replays any
period from the history.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from giliran.adapters.sql.tables import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_deltas",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("subject", sa.String(120), primary_key=True),
        sa.Column("figure", sa.String(20), primary_key=True),
        sa.Column("bucket", sa.Integer, primary_key=True),
        sa.Column("value", sa.Float(precision=53), nullable=False),
    )
    op.create_table(
        "day_figures",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("subject", sa.String(120), primary_key=True),
        *(sa.Column(name, sa.Float(precision=53), nullable=False, server_default="0")
          for name in ("arrived", "assigned", "completed", "missed", "online", "busy")),
    )
    op.create_table(
        "day_histograms",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("subject", sa.String(120), primary_key=True),
        sa.Column("figure", sa.String(20), primary_key=True),
        sa.Column("counts", sa.Text, nullable=False),
    )
    # Plain ADD COLUMNs (a batch copy would drop 0016's triggers on SQLite).
    op.add_column("agents", sa.Column("usage_state", sa.SmallInteger, nullable=False,
                                      server_default="0"))
    op.add_column("agents", sa.Column("usage_since", UtcDateTime, nullable=True))
    op.add_column("agents", sa.Column("last_assigned_at", UtcDateTime, nullable=True))
    op.execute(sa.text(
        "UPDATE agents SET last_assigned_at = (SELECT max(h.at) FROM assignment_history h "
        "WHERE h.to_agent_id = agents.id AND h.event = 'assigned')"))
    op.add_column("tickets", sa.Column("answered_at", UtcDateTime, nullable=True))
    op.execute(sa.text(
        "UPDATE agents SET usage_since = :now, usage_state = "
        "(CASE WHEN presence = 'online' THEN 1 ELSE 0 END) "
        "+ (CASE WHEN active_tickets > 0 THEN 2 ELSE 0 END)"
    ).bindparams(sa.bindparam("now", datetime.now(UTC), type_=UtcDateTime)))
    op.execute(sa.text(
        "UPDATE tickets SET answered_at = (SELECT min(h.at) FROM assignment_history h "
        "WHERE h.ticket_id = tickets.id AND h.event = 'accepted') "
        "WHERE EXISTS (SELECT 1 FROM assignment_history h "
        "WHERE h.ticket_id = tickets.id AND h.event = 'accepted')"))
    queued = sa.text("status = 'queued'")
    op.create_index("ix_tickets_queued_since", "tickets", ["queue", "queued_at"],
                    sqlite_where=queued, postgresql_where=queued)
    flagged = sa.text("flag IS NOT NULL")
    op.create_index("ix_tickets_flagged_since", "tickets", ["flagged_at", "id"],
                    sqlite_where=flagged, postgresql_where=flagged)
    unanswered = sa.text("answered_at IS NULL")
    op.create_index("ix_tickets_unanswered", "tickets", ["queue", "created_at"],
                    sqlite_where=unanswered, postgresql_where=unanswered)


def downgrade() -> None:
    op.drop_index("ix_tickets_unanswered", table_name="tickets")
    op.drop_index("ix_tickets_flagged_since", table_name="tickets")
    op.drop_index("ix_tickets_queued_since", table_name="tickets")
    with op.batch_alter_table("tickets", recreate="never") as tickets:
        tickets.drop_column("answered_at")
    with op.batch_alter_table("agents", recreate="never") as agents:
        agents.drop_column("usage_since")
        agents.drop_column("last_assigned_at")
        agents.drop_column("usage_state")
    op.drop_table("day_histograms")
    op.drop_table("day_figures")
    op.drop_table("day_deltas")
