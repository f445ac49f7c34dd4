"""The schema. Alembic migrations create it; these Table objects are what queries are built from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    literal_column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which stores naive text) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

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
    Column("last_seen_at", UtcDateTime, nullable=True),
    Column("missed_in_row", Integer, nullable=False),
    # The queues it serves, loaded with the row; agent_queues holds the same for queries.
    Column("queues", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("language", String(8), nullable=False),
    Column("auto_assign_locked", Boolean, nullable=False),
    # Misses and pauses per queue, loaded with the row; agent_queues holds the same for queries.
    Column("queue_state", JSON, nullable=False),
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
    Column("closed_at", UtcDateTime, nullable=True),
    Column("queued_at", UtcDateTime, nullable=True),
    Column("escalations", Integer, nullable=False),
    Column("missed_by", JSON, nullable=False),
    Column("flag", String(30), nullable=True),
    Column("flagged_at", UtcDateTime, nullable=True),
    Column("auto_dispatch", Boolean, nullable=False),
    Column("queue_order", BigInteger, nullable=False),
    Column("priority_since", UtcDateTime, nullable=True),
    Column("contact", String(200), nullable=True),
)

# Literal constants, not bound parameters: a planner can only match a partial index against a
# predicate whose values it sees when the statement is prepared.
QUEUED = tickets.c.status == literal_column("'queued'")
HELD = tickets.c.status.in_((literal_column("'assigned'"), literal_column("'in_progress'")))
DISPATCHABLE = and_(QUEUED, tickets.c.auto_dispatch)
PENDING_ACCEPT = tickets.c.status == literal_column("'assigned'")
UNFLAGGED_QUEUED = and_(QUEUED, tickets.c.flag.is_(None))
FLAGGED = tickets.c.flag.is_not(None)
AGEING = and_(QUEUED, tickets.c.priority < literal_column("3"))
OPEN = tickets.c.status.in_((literal_column("'queued'"), literal_column("'assigned'"),
                             literal_column("'in_progress'")))

Index(
    "ix_tickets_queued_order",
    tickets.c.priority.desc(), tickets.c.queue_order, tickets.c.id,
    sqlite_where=QUEUED, postgresql_where=QUEUED,
)
# A queued ticket's position in its own queue counts on this one.
Index(
    "ix_tickets_queue_queued_order",
    tickets.c.queue, tickets.c.priority.desc(), tickets.c.queue_order, tickets.c.id,
    sqlite_where=QUEUED, postgresql_where=QUEUED,
)
# Dispatch reads the head of this one; listings count on the one above.
Index(
    "ix_tickets_dispatch_order",
    tickets.c.priority.desc(), tickets.c.queue_order, tickets.c.id,
    sqlite_where=DISPATCHABLE, postgresql_where=DISPATCHABLE,
)
# The head of one queue, when the global walk has to step around queues nobody can serve.
Index(
    "ix_tickets_queue_dispatch_order",
    tickets.c.queue, tickets.c.priority.desc(), tickets.c.queue_order, tickets.c.id,
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
Index("ix_tickets_aging", tickets.c.queue, tickets.c.priority_since,
      sqlite_where=AGEING, postgresql_where=AGEING)
Index("ix_tickets_open_contact", tickets.c.contact, sqlite_where=OPEN, postgresql_where=OPEN)
# A customer's earlier tickets, newest first.
Index("ix_tickets_contact", tickets.c.contact, tickets.c.id)
Index(
    "ix_tickets_held",
    tickets.c.agent_id, tickets.c.assigned_seq,
    sqlite_where=HELD, postgresql_where=HELD,
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
    Column("actor", String(100), nullable=False),
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

# Changes to agents, queues and settings, with the fields before and after; never pruned.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("action", String(30), nullable=False),
    Column("before", JSON(none_as_null=True), nullable=True),
    Column("after", JSON(none_as_null=True), nullable=True),
    sqlite_autoincrement=True,
)
Index("ix_audit_subject", audit_log.c.kind, audit_log.c.subject, audit_log.c.id)
Index("ix_audit_at", audit_log.c.at)

# Every presence change, so figures can divide by time online; kept like the history.
presence_log = Table(
    "presence_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("presence", String(10), nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_presence_log_at", presence_log.c.at)
Index("ix_presence_log_agent", presence_log.c.agent_id, presence_log.c.at)

counters = Table(
    "counters",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# How many tickets are queued per queue and priority, kept by triggers on `tickets` (migration
# 0016), so a ticket's place in its queue never counts the whole backlog.
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

# Outgoing webhooks: where events go, and each event's delivery to each of them (the outbox).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("last_event_id", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("leased_until", UtcDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    UniqueConstraint("webhook_id", "event_id", name="uq_deliveries_webhook_event"),
)
PENDING_DELIVERY = deliveries.c.status == literal_column("'pending'")
Index("ix_deliveries_due", deliveries.c.next_attempt_at,
      sqlite_where=PENDING_DELIVERY, postgresql_where=PENDING_DELIVERY)

ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(200), nullable=False, unique=True),
    Column("sender", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("language", String(16), nullable=True),
    Column("direction", String(3), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("content", JSON, nullable=False),
    Column("author", String(40), nullable=True),
    Column("state", String(10), nullable=True),
    Column("state_at", UtcDateTime, nullable=True),
    Column("error", String(500), nullable=True),
    Column("channel_message_id", String(200), nullable=True),
    Column("edited_at", UtcDateTime, nullable=True),
)
Index("ix_ticket_messages_ticket", ticket_messages.c.ticket_id, ticket_messages.c.id)
Index("ix_ticket_messages_channel_id", ticket_messages.c.channel,
      ticket_messages.c.channel_message_id)

# Who tickets are for: one row per customer, keyed by the first address giliran heard them on
# (tickets.contact); a changed number adds an alias and moves `address`.
customers = Table(
    "customers",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("address", String(200), nullable=False),
    Column("name", String(200), nullable=True),
    Column("username", String(100), nullable=True),
    Column("via", String(64), nullable=True),
    Column("last_incoming_at", UtcDateTime, nullable=True),
)
customer_aliases = Table(
    "customer_aliases",
    metadata,
    Column("alias", String(200), primary_key=True),
    Column("customer_key", String(200), ForeignKey("customers.key"), nullable=False),
)
# Channels' reports on outgoing messages (WhatsApp statuses), kept as they come: a report may
# arrive before the sender has recorded which message the channel's id belongs to.
message_receipts = Table(
    "message_receipts",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("channel_message_id", String(200), primary_key=True),
    Column("state", String(10), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("error", String(500), nullable=True),
)

# The chat channels' outbox: rendered messages to send (Telegram, WhatsApp), each with a unique
# key so the event or command that causes one can be handled twice without telling anyone twice.
notices = Table(
    "notices",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("channel", String(20), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("buttons", JSON, nullable=False),
    Column("key", String(120), nullable=False, unique=True),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("leased_until", UtcDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("message_id", BigInteger().with_variant(Integer, "sqlite"), nullable=True),
    Column("ticket_id", Integer, nullable=True),
    Column("via", String(64), nullable=True),
    Column("template", String(200), nullable=True),
    Column("sent_id", String(200), nullable=True),
)
Index("ix_notices_sent", notices.c.chat_id, notices.c.sent_id)
PENDING_NOTICE = notices.c.status == literal_column("'pending'")
Index("ix_notices_due", notices.c.next_attempt_at,
      sqlite_where=PENDING_NOTICE, postgresql_where=PENDING_NOTICE)

# An agent's own chat (Telegram), and the one-time codes (stored hashed) that link it.
chat_links = Table(
    "chat_links",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Column("chat_id", String(64), nullable=False, unique=True),
    Column("language", String(8), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
)
link_codes = Table(
    "link_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
# Counts per client address and window (failed authentications, webhook calls), shared by
# every process and replica: see service/limits.py.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("hits", Integer, nullable=False),
)
