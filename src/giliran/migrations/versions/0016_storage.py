"""Queue depths the database keeps: how many tickets are queued per queue and priority.

A queued ticket's place in its own queue used to be counted over the index of queued tickets,
so creating a ticket behind 100,000 others cost a walk over all of them. Neither SQLite's nor
PostgreSQL's B-trees can answer "how many entries before this one" without that walk, so the
database keeps a count per (queue, priority) instead, in triggers on `tickets`: every writer
(the repositories, a bulk import, a hand-written UPDATE) keeps it right, in the same
transaction as the change. A ticket's place is then the depth of the higher priorities plus
its place among its own priority, counted from whichever end is nearer (a new ticket is at the
end: nothing to count). See `SqlTicketRepository.queue_position`.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# An intake that assigns at once inserts the ticket already assigned, so it never fires these.
_SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER tr_tickets_depth_insert AFTER INSERT ON tickets
    WHEN NEW.status = 'queued'
    BEGIN
        INSERT INTO queue_depth (queue, priority, queued) VALUES (NEW.queue, NEW.priority, 1)
        ON CONFLICT (queue, priority) DO UPDATE SET queued = queued + 1;
    END
    """,
    """
    CREATE TRIGGER tr_tickets_depth_update AFTER UPDATE OF status, queue, priority ON tickets
    WHEN (OLD.status = 'queued' OR NEW.status = 'queued')
        AND NOT (OLD.status = NEW.status AND OLD.queue = NEW.queue
                 AND OLD.priority = NEW.priority)
    BEGIN
        UPDATE queue_depth SET queued = queued - 1
        WHERE OLD.status = 'queued' AND queue = OLD.queue AND priority = OLD.priority;
        INSERT INTO queue_depth (queue, priority, queued)
        SELECT NEW.queue, NEW.priority, 1 WHERE NEW.status = 'queued'
        ON CONFLICT (queue, priority) DO UPDATE SET queued = queued + 1;
    END
    """,
    """
    CREATE TRIGGER tr_tickets_depth_delete AFTER DELETE ON tickets
    WHEN OLD.status = 'queued'
    BEGIN
        UPDATE queue_depth SET queued = queued - 1
        WHERE queue = OLD.queue AND priority = OLD.priority;
    END
    """,
)

# PostgreSQL: the row lock a trigger takes on a depth row is held to commit. Every writer that
# changes a ticket's status holds the writer lock first (see SqlUnitOfWork), so two writers
# never wait on each other in opposite orders.
_POSTGRES_TRIGGERS = (
    """
    CREATE FUNCTION giliran_queue_depth() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status = 'queued' THEN
            UPDATE queue_depth SET queued = queued - 1
            WHERE queue = OLD.queue AND priority = OLD.priority;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.status = 'queued' THEN
            INSERT INTO queue_depth (queue, priority, queued)
            VALUES (NEW.queue, NEW.priority, 1)
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
    """
    CREATE TRIGGER tr_tickets_depth_update AFTER UPDATE OF status, queue, priority ON tickets
    FOR EACH ROW WHEN ((OLD.status = 'queued' OR NEW.status = 'queued')
        AND (OLD.status, OLD.queue, OLD.priority) IS DISTINCT FROM
            (NEW.status, NEW.queue, NEW.priority))
    EXECUTE FUNCTION giliran_queue_depth()
    """,
    """
    CREATE TRIGGER tr_tickets_depth_delete AFTER DELETE ON tickets
    FOR EACH ROW WHEN (OLD.status = 'queued') EXECUTE FUNCTION giliran_queue_depth()
    """,
)


def upgrade() -> None:
    op.create_table(
        "queue_depth",
        sa.Column("queue", sa.String(100), primary_key=True),
        sa.Column("priority", sa.SmallInteger, primary_key=True),
        sa.Column("queued", sa.BigInteger, nullable=False),
    )
    op.execute(sa.text(
        "INSERT INTO queue_depth (queue, priority, queued) "
        "SELECT queue, priority, count(*) FROM tickets WHERE status = 'queued' "
        "GROUP BY queue, priority"))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_TRIGGERS if sqlite else _POSTGRES_TRIGGERS:
        op.execute(sa.text(statement))


def downgrade() -> None:
    for name in ("insert", "update", "delete"):
        op.execute(sa.text(f"DROP TRIGGER IF EXISTS tr_tickets_depth_{name}"
                           + ("" if op.get_bind().dialect.name == "sqlite" else " ON tickets")))
    if op.get_bind().dialect.name != "sqlite":
        op.execute(sa.text("DROP FUNCTION IF EXISTS giliran_queue_depth()"))
    op.drop_table("queue_depth")
