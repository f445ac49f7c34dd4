"""The priority asked for, kept: aging raises `effective_priority`, not `priority`.

Until now aging overwrote `priority`, so after a night in the queue a low ticket read urgent and
nobody could tell what the customer or the API had asked for; reports grouped it under the level
it had aged to. From here `priority` is what was asked (set at arrival or by a supervisor) and
`effective_priority` is what the ticket is served at; the queue's order, its indexes and the
depths kept by 0016's triggers follow `effective_priority`.

Existing tickets: `effective_priority` takes the stored value (what they were served at), and
`priority` is worked back from each ticket's history: the level a supervisor last set, else the
level before the first aging step (one below what that step reached). A ticket moved to the
front before any other change keeps urgent as asked: its level before the move was never
recorded.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

LEVELS = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
QUEUED = "status = 'queued'"
ORDERS: dict[str, tuple[list[str], str]] = {
    "ix_tickets_queued_order": ([], QUEUED),
    "ix_tickets_queue_queued_order": (["queue"], QUEUED),
    "ix_tickets_dispatch_order": ([], f"{QUEUED} AND auto_dispatch"),
    "ix_tickets_queue_dispatch_order": (["queue"], f"{QUEUED} AND auto_dispatch"),
}


def _where(sql: str, sqlite: bool) -> dict[str, Any]:
    if sqlite:
        sql = sql.replace("AND auto_dispatch", "AND auto_dispatch = 1")
    return {"sqlite_where": sa.text(sql), "postgresql_where": sa.text(sql)}


def _indexes(column: str, sqlite: bool) -> None:
    for name, (lead, where) in ORDERS.items():
        op.create_index(name, "tickets", [*lead, sa.text(f"{column} DESC"), "queue_order", "id"],
                        **_where(where, sqlite))
    op.create_index("ix_tickets_aging", "tickets", ["queue", "priority_since"],
                    **_where(f"{QUEUED} AND {column} < 3", sqlite))


def _drop_indexes() -> None:
    for name in (*ORDERS, "ix_tickets_aging"):
        op.drop_index(name, table_name="tickets")


def _sqlite_triggers(column: str) -> tuple[str, ...]:
    return (
        f"""
        CREATE TRIGGER tr_tickets_depth_insert AFTER INSERT ON tickets
        WHEN NEW.status = 'queued'
        BEGIN
            INSERT INTO queue_depth (queue, priority, queued) VALUES (NEW.queue, NEW.{column}, 1)
            ON CONFLICT (queue, priority) DO UPDATE SET queued = queued + 1;
        END
        """,
        f"""
        CREATE TRIGGER tr_tickets_depth_update AFTER UPDATE OF status, queue, {column} ON tickets
        WHEN (OLD.status = 'queued' OR NEW.status = 'queued')
            AND NOT (OLD.status = NEW.status AND OLD.queue = NEW.queue
                     AND OLD.{column} = NEW.{column})
        BEGIN
            UPDATE queue_depth SET queued = queued - 1
            WHERE OLD.status = 'queued' AND queue = OLD.queue AND priority = OLD.{column};
            INSERT INTO queue_depth (queue, priority, queued)
            SELECT NEW.queue, NEW.{column}, 1 WHERE NEW.status = 'queued'
            ON CONFLICT (queue, priority) DO UPDATE SET queued = queued + 1;
        END
        """,
        f"""
        CREATE TRIGGER tr_tickets_depth_delete AFTER DELETE ON tickets
        WHEN OLD.status = 'queued'
        BEGIN
            UPDATE queue_depth SET queued = queued - 1
            WHERE queue = OLD.queue AND priority = OLD.{column};
        END
        """,
    )


def _postgres_triggers(column: str) -> tuple[str, ...]:
    return (
        f"""
        CREATE OR REPLACE FUNCTION giliran_queue_depth() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND OLD.status = 'queued' THEN
                UPDATE queue_depth SET queued = queued - 1
                WHERE queue = OLD.queue AND priority = OLD.{column};
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.status = 'queued' THEN
                INSERT INTO queue_depth (queue, priority, queued)
                VALUES (NEW.queue, NEW.{column}, 1)
                ON CONFLICT (queue, priority) DO UPDATE SET queued = queue_depth.queued + 1;
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER tr_tickets_depth_insert AFTER INSERT ON tickets
        FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION giliran_queue_depth()
        """,
        f"""
        CREATE TRIGGER tr_tickets_depth_update AFTER UPDATE OF status, queue, {column} ON tickets
        FOR EACH ROW WHEN ((OLD.status = 'queued' OR NEW.status = 'queued')
            AND (OLD.status, OLD.queue, OLD.{column}) IS DISTINCT FROM
                (NEW.status, NEW.queue, NEW.{column}))
        EXECUTE FUNCTION giliran_queue_depth()
        """,
        """
        CREATE TRIGGER tr_tickets_depth_delete AFTER DELETE ON tickets
        FOR EACH ROW WHEN (OLD.status = 'queued') EXECUTE FUNCTION giliran_queue_depth()
        """,
    )


# A row written without `effective_priority` (a hand-written INSERT, a bulk import script) is
# served at the priority it asks for: giliran always writes both, and never serves a ticket
# below what was asked.
_SERVED_AS_ASKED_SQLITE = ("""
    CREATE TRIGGER tr_tickets_served_as_asked AFTER INSERT ON tickets
    WHEN NEW.effective_priority < NEW.priority
    BEGIN
        UPDATE tickets SET effective_priority = NEW.priority WHERE id = NEW.id;
    END
    """,)
_SERVED_AS_ASKED_POSTGRES = (
    """
    CREATE FUNCTION giliran_served_as_asked() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.effective_priority := GREATEST(NEW.effective_priority, NEW.priority);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER tr_tickets_served_as_asked BEFORE INSERT ON tickets
    FOR EACH ROW WHEN (NEW.effective_priority < NEW.priority)
    EXECUTE FUNCTION giliran_served_as_asked()
    """,
)


def _drop_triggers(sqlite: bool) -> None:
    for name in ("insert", "update", "delete"):
        op.execute(sa.text(f"DROP TRIGGER IF EXISTS tr_tickets_depth_{name}"
                           + ("" if sqlite else " ON tickets")))


def _create_triggers(column: str, sqlite: bool) -> None:
    for statement in _sqlite_triggers(column) if sqlite else _postgres_triggers(column):
        op.execute(sa.text(statement))


def asked(current: int, changes: Iterable[tuple[str, str]]) -> int:
    """The priority a ticket was asked for, from its stored level and its priority changes
    (event, reason), oldest first. Walked from the newest: a supervisor's setting is the answer;
    before an aging step the level was one below the one it reached; before a move to the front
    it is not known (urgent, the stored level, unless an earlier change tells)."""
    level: int | None = current
    for event, reason in reversed(list(changes)):
        reached = LEVELS.get(event.removeprefix("priority_"))
        if reason == "priority" and reached is not None:
            return reached
        if reason == "aging" and reached is not None:
            level = max(reached - 1, 0)
        elif reason == "front":
            level = None
    return current if level is None else level


def _recover_asked(conn: sa.Connection) -> None:
    rows = conn.execute(sa.text(
        "SELECT h.ticket_id, h.event, h.reason, t.priority FROM assignment_history h "
        "JOIN tickets t ON t.id = h.ticket_id "
        "WHERE h.reason IN ('aging', 'priority', 'front') ORDER BY h.ticket_id, h.id"))
    updates: list[dict[str, int]] = []
    ticket_id, current = None, 0
    changes: list[tuple[str, str]] = []
    for row in [*rows, None]:
        if row is None or row.ticket_id != ticket_id:
            if ticket_id is not None:
                found = asked(current, changes)
                if found != current:
                    updates.append({"id": ticket_id, "asked": found})
            if row is None:
                break
            ticket_id, current, changes = row.ticket_id, int(row.priority), []
        changes.append((row.event, row.reason))
    if updates:
        conn.execute(sa.text("UPDATE tickets SET priority = :asked WHERE id = :id"), updates)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # A plain ADD COLUMN (a batch copy would drop 0016's triggers on SQLite).
    op.add_column("tickets", sa.Column("effective_priority", sa.SmallInteger, nullable=False,
                                       server_default="0"))
    op.execute(sa.text("UPDATE tickets SET effective_priority = priority"))
    for statement in _SERVED_AS_ASKED_SQLITE if sqlite else _SERVED_AS_ASKED_POSTGRES:
        op.execute(sa.text(statement))
    _drop_indexes()
    # The depths were kept by the stored level, which is now effective_priority: unchanged.
    # The new triggers do not fire on `priority`, so working back the asked level leaves them.
    _drop_triggers(sqlite)
    _create_triggers("effective_priority", sqlite)
    _recover_asked(op.get_bind())
    _indexes("effective_priority", sqlite)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(sa.text("DROP TRIGGER IF EXISTS tr_tickets_served_as_asked"
                       + ("" if sqlite else " ON tickets")))
    if not sqlite:
        op.execute(sa.text("DROP FUNCTION IF EXISTS giliran_served_as_asked()"))
    _drop_indexes()
    _drop_triggers(sqlite)
    op.execute(sa.text("UPDATE tickets SET priority = effective_priority"))
    _create_triggers("priority", sqlite)
    _indexes("priority", sqlite)
    with op.batch_alter_table("tickets", recreate="never") as tickets:
        tickets.drop_column("effective_priority")
