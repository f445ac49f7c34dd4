"""The schema of the records around the floor: the audit and presence logs, the outbox
(webhooks, deliveries), conversations (messages, customers, receipts), chat notices and
links, rate limits. Re-exported by `tables`, which queries import as `t`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)

from giliran.adapters.sql.actors import actor_columns
from giliran.adapters.sql.columns import UtcDateTime, metadata

# Changes to agents, queues and settings, with the fields before and after; never pruned.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    *actor_columns(),  # its key, and who that was
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

# The day's figures, kept as work happens (domain/daybook.py; migration 0020). Each commit adds
# to `day_deltas` (a row per day, subject, figure and histogram bucket, -1 for a plain sum); a
# fold now and then moves them into the packed rows below (adapters/sql/daybook.py).
day_deltas = Table(
    "day_deltas",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("subject", String(120), primary_key=True),
    Column("figure", String(20), primary_key=True),
    Column("bucket", Integer, primary_key=True),
    Column("value", Float(precision=53), nullable=False),
)
# Packed: per day and
# subject ("queue:<name>", "agent:<id>") its sums, one column a figure; and per day, subject and
# figure a histogram, its counts per bucket as a JSON list. A day is read in one row per subject and
# one per histogram, however many tickets it saw.
day_figures = Table(
    "day_figures",
    metadata,
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("subject", String(120), primary_key=True),
    *(Column(name, Float(precision=53), nullable=False, server_default="0")
      for name in ("arrived", "assigned", "completed", "missed", "online", "busy")),
)
day_histograms = Table(
    "day_histograms",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("subject", String(120), primary_key=True),
    Column("figure", String(20), primary_key=True),
    Column("counts", Text, nullable=False),  # JSON: [count of bucket 0, of bucket 1, ...]
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
    Column("direction", String(8), nullable=False),  # in, out, note (migration 0026)
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

# How far each reader (an actor key: "user:3", "agent:5") has read a ticket's conversation:
# the newest message they saw. Unread = the customer's messages after it (migration 0026).
ticket_reads = Table(
    "ticket_reads",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("reader", String(40), primary_key=True),
    Column("message_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("read_at", UtcDateTime, nullable=False),
)
# Opening hours by name (migration 0031; domain/hours.py): the week as 7 lists of [start, end]
# minutes after local midnight (Monday first), dated exceptions [{"date", "hours", "note"}] and
# holidays [{"date", "name"}], in the schedule's IANA timezone.
schedules = Table(
    "schedules",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("weekly", JSON, nullable=False),
    Column("exceptions", JSON, nullable=False),
    Column("holidays", JSON, nullable=False),
    Column("holiday_country", String(10), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Saved answers for the composer's "/": for one queue or every queue (null), in one language
# or any (null), with {customer_name}, {ticket_number} and {agent_name} filled in when used.
canned_replies = Table(
    "canned_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("queue", String(100), ForeignKey("queues.name"), nullable=True),
    Column("language", String(8), nullable=True),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_canned_replies_name", canned_replies.c.name)

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
    # They blocked the bot (Telegram's 403): replies are refused until they write again.
    Column("blocked_at", UtcDateTime, nullable=True),
    # One person across channels (domain/person.py): the group's first customer's key.
    Column("person_key", String(200), nullable=True),
)
Index("ix_customers_person", customers.c.person_key)
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
    # The file an outgoing message carries (migration 0026): where it is kept, its MIME type,
    # file name and size; sent through the channel's media API.
    Column("media", JSON, nullable=True),
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
