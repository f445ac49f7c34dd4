"""The schema. Alembic migrations create it; these Table objects are what queries are built from."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    false,
    literal_column,
    not_,
    or_,
    true,
)

from giliran.adapters.sql.actors import actor_columns
from giliran.adapters.sql.columns import UtcDateTime, metadata
from giliran.adapters.sql.tables_people import api_tokens, sessions, users
from giliran.adapters.sql.tables_records import (
    PENDING_DELIVERY,
    PENDING_NOTICE,
    audit_log,
    canned_replies,
    chat_links,
    customer_aliases,
    customers,
    day_deltas,
    day_figures,
    day_histograms,
    deliveries,
    link_codes,
    message_receipts,
    notices,
    presence_log,
    rate_limits,
    schedules,
    ticket_messages,
    ticket_reads,
    webhooks,
)
from giliran.adapters.sql.tables_sla import sla_outcomes, sla_policies, ticket_sla

# Re-exported: queries read every table as `t.<name>`, migrations UtcDateTime from here; the
# records around the floor are defined in tables_records, people in tables_people, to keep
# modules small.
__all__ = [
    "PENDING_DELIVERY",
    "PENDING_NOTICE",
    "UtcDateTime",
    "api_tokens",
    "audit_log",
    "canned_replies",
    "chat_links",
    "customer_aliases",
    "customers",
    "day_deltas",
    "day_figures",
    "day_histograms",
    "deliveries",
    "link_codes",
    "message_receipts",
    "metadata",
    "notices",
    "presence_log",
    "rate_limits",
    "schedules",
    "sessions",
    "sla_outcomes",
    "sla_policies",
    "ticket_messages",
    "ticket_reads",
    "ticket_sla",
    "users",
    "webhooks",
]

queues = Table(
    "queues",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("strategy", String(20), nullable=False),
    Column("accept_timeout_seconds", Integer, nullable=False),
    Column("max_escalations", Integer, nullable=False),
    Column("away_after_misses", Integer, nullable=False),
    Column("offline_policy", String(20), nullable=False),
    Column("max_wait_seconds", Integer, nullable=False),
    Column("auto_assign_percent", SmallInteger, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("priority_aging_seconds", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("reply_accepts", Boolean, nullable=False),
    Column("max_per_agent", Integer, nullable=False),
    Column("slot_freed_on", String(10), nullable=False),
    Column("claim", String(10), nullable=False),
    Column("pickup", String(3), nullable=False),
    Column("next_agent_id", Integer, nullable=True),  # the rotation's pointer
    Column("pointer_set_by_hand", Boolean, nullable=False),  # by a supervisor (migration 0018)
    Column("service_level_seconds", Integer, nullable=False),
    # Holds (migration 0026): whether a held ticket frees its slot, for how long a hold lasts,
    # and what happens then (`return` to the holder or the queue, or `close`).
    Column("hold_frees_slot", Boolean, nullable=False, server_default=false()),
    Column("hold_minutes", Integer, nullable=False, server_default="1440"),
    Column("hold_expiry", String(10), nullable=False, server_default="return"),
    # Working hours (migration 0030): the schedule kept, the clocks that run around the clock
    # anyway, what happens at closing, the reply timer and the order of the waiting tickets.
    Column("schedule", String(100), nullable=True),
    Column("calendar_clocks", JSON, nullable=False, server_default="[]"),
    Column("out_of_hours_reply", Boolean, nullable=False, server_default=true()),
    Column("offline_at_closing", Boolean, nullable=False, server_default=false()),
    Column("reply_timeout_seconds", Integer, nullable=False, server_default="0"),
    Column("waiting_order", String(10), nullable=False, server_default="priority"),
)

agents = Table(
    "agents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("max_tickets", Integer, nullable=False),
    Column("auto_assign", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("presence", String(10), nullable=False),
    Column("rotation_order", Integer, nullable=False),
    Column("active_tickets", Integer, nullable=False),
    Column("last_assigned_seq", BigInteger, nullable=False),
    Column("last_assigned_at", UtcDateTime, nullable=True),  # migration 0020
    Column("last_reply_at", UtcDateTime, nullable=True),  # migration 0028
    Column("last_seen_at", UtcDateTime, nullable=True),
    Column("missed_in_row", Integer, nullable=False),
    # The queues it serves, loaded with the row; agent_queues holds the same for queries.
    Column("queues", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("language", String(8), nullable=False),
    Column("language_chosen", Boolean, nullable=False),
    Column("telegram_ticket_left", Boolean, nullable=False),
    Column("auto_assign_locked", Boolean, nullable=False),
    # Misses and pauses per queue, loaded with the row; agent_queues holds the same for queries.
    Column("queue_state", JSON, nullable=False),
    # Its time online and busy counted into day_figures up to here (migration 0020).
    Column("usage_state", SmallInteger, nullable=False),
    Column("usage_since", UtcDateTime, nullable=True),
)

agent_queues = Table(
    "agent_queues",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Column("queue", String(100), ForeignKey("queues.name"), primary_key=True),
    Column("missed_in_row", Integer, nullable=False, default=0),
    Column("paused_at", UtcDateTime, nullable=True),
    Column("pause_reason", String(200), nullable=True),
)
Index("ix_agent_queues_queue", agent_queues.c.queue, agent_queues.c.agent_id)

# The eligibility rule as SQL. The partial indexes below carry the same predicate, so finding
# the next agent in turn is an index lookup however many agents are full or offline.
ONLINE = agents.c.presence == literal_column("'online'")
NOT_OFFLINE = agents.c.presence != literal_column("'offline'")
ELIGIBLE = and_(
    agents.c.active,
    ONLINE,
    agents.c.auto_assign,
    agents.c.active_tickets < agents.c.max_tickets,
)

Index(
    "ix_agents_eligible_rotation",
    agents.c.last_assigned_seq, agents.c.rotation_order, agents.c.id,
    sqlite_where=ELIGIBLE, postgresql_where=ELIGIBLE,
)
Index(
    "ix_agents_eligible_load",
    agents.c.active_tickets, agents.c.last_assigned_seq, agents.c.rotation_order, agents.c.id,
    sqlite_where=ELIGIBLE, postgresql_where=ELIGIBLE,
)
# Presence expiry looks only at agents who are not offline.
Index("ix_agents_last_seen", agents.c.last_seen_at,
      sqlite_where=NOT_OFFLINE, postgresql_where=NOT_OFFLINE)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("category", String(100), nullable=True),
    Column("queue", String(100), ForeignKey("queues.name"), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("external_id", String(200), nullable=True, unique=True),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=True),
    Column("assigned_seq", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("assigned_at", UtcDateTime, nullable=True),
    Column("accepted_at", UtcDateTime, nullable=True),
    Column("answered_at", UtcDateTime, nullable=True),  # the first accept (migration 0020)
    Column("closed_at", UtcDateTime, nullable=True),
    Column("queued_at", UtcDateTime, nullable=True),
    Column("escalations", Integer, nullable=False),
    Column("missed_by", JSON, nullable=False),
    Column("flag", String(30), nullable=True),
    Column("flagged_at", UtcDateTime, nullable=True),
    Column("flag_reason", String(40), nullable=True),  # migration 0019
    Column("auto_dispatch", Boolean, nullable=False),
    Column("queue_order", BigInteger, nullable=False),
    Column("priority_since", UtcDateTime, nullable=True),
    Column("contact", String(200), nullable=True),
    # Set by migration 0017 only, on older open tickets that shared their customer with a
    # newer one before the index below existed; never written by giliran (false by default).
    Column("contact_shared", Boolean, nullable=False, server_default=false()),
    # What the queue is ordered by: `priority` (as asked) raised by aging (migration 0018).
    Column("effective_priority", SmallInteger, nullable=False),
    # On hold (status `on_hold`, migration 0026): until when, and whether it still takes one
    # of its holder's slots (the queue's `hold_frees_slot` when it was put on hold).
    Column("hold_until", UtcDateTime, nullable=True),
    Column("hold_keeps_slot", Boolean, nullable=False, server_default=false()),
    # The SLA it shows and the soonest due time of a running clock (migration 0032).
    Column("sla", JSON, nullable=True),
    Column("sla_due_at", UtcDateTime, nullable=True),
)

# Literal constants, not bound parameters: a planner can only match a partial index against a
# predicate whose values it sees when the statement is prepared.
QUEUED = tickets.c.status == literal_column("'queued'")
# Held by an agent (the rows of ix_tickets_held), and of those the ones that take a slot: a
# ticket on hold takes one only when its queue kept the slot (migration 0026).
HELD_ROWS = tickets.c.status.in_((literal_column("'assigned'"), literal_column("'in_progress'"),
                                  literal_column("'on_hold'")))
HELD = and_(HELD_ROWS, or_(tickets.c.status != literal_column("'on_hold'"),
                           tickets.c.hold_keeps_slot))
ON_HOLD = tickets.c.status == literal_column("'on_hold'")
DISPATCHABLE = and_(QUEUED, tickets.c.auto_dispatch)
PENDING_ACCEPT = tickets.c.status == literal_column("'assigned'")
UNFLAGGED_QUEUED = and_(QUEUED, tickets.c.flag.is_(None))
FLAGGED = tickets.c.flag.is_not(None)
AGEING = and_(QUEUED, tickets.c.effective_priority < literal_column("3"))
OPEN = tickets.c.status.in_((literal_column("'queued'"), literal_column("'assigned'"),
                             literal_column("'in_progress'"), literal_column("'on_hold'")))

Index(
    "ix_tickets_queued_order",
    tickets.c.effective_priority.desc(), tickets.c.queue_order, tickets.c.id,
    sqlite_where=QUEUED, postgresql_where=QUEUED,
)
# A queued ticket's position in its own queue counts on this one.
Index(
    "ix_tickets_queue_queued_order",
    tickets.c.queue, tickets.c.effective_priority.desc(), tickets.c.queue_order, tickets.c.id,
    sqlite_where=QUEUED, postgresql_where=QUEUED,
)
# Dispatch reads the head of this one; listings count on the one above.
Index(
    "ix_tickets_dispatch_order",
    tickets.c.effective_priority.desc(), tickets.c.queue_order, tickets.c.id,
    sqlite_where=DISPATCHABLE, postgresql_where=DISPATCHABLE,
)
# The head of one queue, when the global walk has to step around queues nobody can serve.
Index(
    "ix_tickets_queue_dispatch_order",
    tickets.c.queue, tickets.c.effective_priority.desc(), tickets.c.queue_order, tickets.c.id,
    sqlite_where=DISPATCHABLE, postgresql_where=DISPATCHABLE,
)
# The timers: overdue assignments and long waits per queue, oldest first; flags per queue.
Index(
    "ix_tickets_pending_accept", tickets.c.queue, tickets.c.assigned_at,
    sqlite_where=PENDING_ACCEPT, postgresql_where=PENDING_ACCEPT,
)
Index(
    "ix_tickets_waiting", tickets.c.queue, tickets.c.queued_at,
    sqlite_where=UNFLAGGED_QUEUED, postgresql_where=UNFLAGGED_QUEUED,
)
Index("ix_tickets_flagged", tickets.c.queue, sqlite_where=FLAGGED, postgresql_where=FLAGGED)
Index("ix_tickets_flagged_since", tickets.c.flagged_at, tickets.c.id,
      sqlite_where=FLAGGED, postgresql_where=FLAGGED)
# The live part of today's figures: the waiting tickets' ages, oldest first, per queue; and
# the tickets not answered yet, by arrival (late ones count against the service level).
Index("ix_tickets_queued_since", tickets.c.queue, tickets.c.queued_at,
      sqlite_where=QUEUED, postgresql_where=QUEUED)
UNANSWERED = tickets.c.answered_at.is_(None)
Index("ix_tickets_unanswered", tickets.c.queue, tickets.c.created_at,
      sqlite_where=UNANSWERED, postgresql_where=UNANSWERED)
Index("ix_tickets_aging", tickets.c.queue, tickets.c.priority_since,
      sqlite_where=AGEING, postgresql_where=AGEING)
# Holds ending by themselves, per queue, the earliest first (migration 0027).
Index("ix_tickets_on_hold", tickets.c.queue, tickets.c.hold_until,
      sqlite_where=ON_HOLD, postgresql_where=ON_HOLD)
Index("ix_tickets_open_contact", tickets.c.contact, sqlite_where=OPEN, postgresql_where=OPEN)
# One open ticket per customer, held by the database rather than by the floor lock: two first
# messages of a new customer, received at once, open one ticket between them (migration 0017).
ONE_OPEN_PER_CONTACT = and_(tickets.c.contact.is_not(None), OPEN,
                            not_(tickets.c.contact_shared))
Index("ux_tickets_one_open_per_contact", tickets.c.contact, unique=True,
      sqlite_where=ONE_OPEN_PER_CONTACT, postgresql_where=ONE_OPEN_PER_CONTACT)
# A customer's earlier tickets, newest first.
Index("ix_tickets_contact", tickets.c.contact, tickets.c.id)
Index(
    "ix_tickets_held",
    tickets.c.agent_id, tickets.c.assigned_seq,
    sqlite_where=HELD_ROWS, postgresql_where=HELD_ROWS,
)

history = Table(
    "assignment_history",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(30), nullable=False),
    Column("reason", String(30), nullable=False),
    *actor_columns(),  # its key, and who that was
    Column("from_agent_id", Integer, nullable=True),
    Column("to_agent_id", Integer, nullable=True),
    Column("note", String(500), nullable=True),
    Column("detail", JSON(none_as_null=True), nullable=True),
)
Index("ix_history_ticket", history.c.ticket_id, history.c.id)
# The audit: by time, and by agent on either side of a move.
Index("ix_history_at", history.c.at)
Index("ix_history_from_agent", history.c.from_agent_id, history.c.id)
Index("ix_history_to_agent", history.c.to_agent_id, history.c.id)

counters = Table(
    "counters",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# How many tickets are queued per queue and priority (the effective one, which orders the queue),
# kept by triggers on `tickets` (migrations 0016, 0018), so a ticket's place in its queue never
# counts the whole backlog.
queue_depth = Table(
    "queue_depth",
    metadata,
    Column("queue", String(100), primary_key=True),
    Column("priority", SmallInteger, primary_key=True),
    Column("queued", BigInteger, nullable=False),
)

runtime_settings = Table(
    "runtime_settings",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
)

# What the floor tells its watchers, written with the change; ids grow in commit order.
events = Table(
    "events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("type", String(40), nullable=False),
    Column("ticket_id", Integer, nullable=True),
    Column("queue", String(100), nullable=True),
    Column("agents", JSON, nullable=False),
    Column("payload", JSON, nullable=False),
    sqlite_autoincrement=True,  # never reuse an id (see migration 0006)
)
