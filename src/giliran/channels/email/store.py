"""Email's own tables (made by migrations/ here, an Alembic branch of the channel's own) and the
mailboxes' repository. They live on the channel's own MetaData: the core's schema never names
them, and they join a use case's transaction through its unit of work's connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    RowMapping,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from giliran.adapters.sql.columns import UtcDateTime
from giliran.channels.email.mailbox import Mailbox, Security

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

mailboxes = Table(
    "email_mailboxes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("address", String(254), nullable=False, unique=True),  # lower-case
    Column("queue", String(100), ForeignKey("queues.name"), nullable=False),
    Column("name", String(100), nullable=False),  # shown as the sender's display name
    Column("active", Boolean, nullable=False),
    Column("imap_host", String(253), nullable=True),
    Column("imap_port", Integer, nullable=True),
    Column("imap_security", String(10), nullable=False),  # tls, starttls, none
    Column("imap_user", String(254), nullable=True),
    Column("imap_password", Text, nullable=True),  # never in an answer, a log or the audit
    Column("imap_folder", String(200), nullable=False),
    Column("imap_move_to", String(200), nullable=True),
    Column("imap_idle", Boolean, nullable=False),
    Column("poll_seconds", Integer, nullable=False),
    Column("smtp_url", Text, nullable=True),  # may hold a password: as imap_password
    Column("block_list", JSON, nullable=False),  # addresses and "@domain"s
    Column("thread_key", String(64), nullable=False),  # the reply tokens' HMAC key
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Where reading a mailbox's folder over IMAP has got to (see imap.py's Progress).
progress = Table(
    "email_progress",
    metadata,
    Column("mailbox_id", Integer, ForeignKey("email_mailboxes.id"), primary_key=True),
    Column("folder", String(200), primary_key=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
)

# Every message as it came, downloadable, and the dedupe key of all three ways in.
originals = Table(
    "email_originals",
    metadata,
    Column("key", String(1024), primary_key=True),  # "email:<message-id>"
    Column("mailbox_id", Integer, ForeignKey("email_mailboxes.id"), nullable=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=True),
    Column("raw", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("broken", Text, nullable=True),  # why it could not be parsed; None: it could
    Column("kind", String(20), nullable=False),  # normal, auto_reply, bounce, list, loop
    Index("ix_email_originals_ticket", "ticket_id"),
)

_ORDER = (mailboxes.c.address, mailboxes.c.id)


class SqlMailboxes:
    """The mailboxes, on a unit of work's connection (adapters.sql.uow.connection_of)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def listed(self, active_only: bool = False) -> list[Mailbox]:
        query = select(mailboxes).order_by(*_ORDER)
        if active_only:
            query = query.where(mailboxes.c.active.is_(True))
        return [_mailbox(row) for row in self._conn.execute(query).mappings()]

    def get(self, mailbox_id: int) -> Mailbox | None:
        row = self._conn.execute(
            select(mailboxes).where(mailboxes.c.id == mailbox_id)).mappings().first()
        return None if row is None else _mailbox(row)

    def by_address(self, address: str) -> Mailbox | None:
        row = self._conn.execute(
            select(mailboxes).where(mailboxes.c.address == address.lower())).mappings().first()
        return None if row is None else _mailbox(row)

    def add(self, mailbox: Mailbox) -> Mailbox:
        values = _row(mailbox)
        del values["id"]
        new_id = self._conn.execute(insert(mailboxes).values(values)
                                    .returning(mailboxes.c.id)).scalar_one()
        return mailbox.with_id(int(new_id))

    def save(self, mailbox: Mailbox) -> None:
        self._conn.execute(update(mailboxes).where(mailboxes.c.id == mailbox.id)
                           .values(_row(mailbox)))


def _row(m: Mailbox) -> dict[str, Any]:
    return {"id": m.id, "address": m.address, "queue": m.queue, "name": m.name,
            "active": m.active, "imap_host": m.imap_host, "imap_port": m.imap_port,
            "imap_security": m.imap_security.value, "imap_user": m.imap_user,
            "imap_password": m.imap_password, "imap_folder": m.imap_folder,
            "imap_move_to": m.imap_move_to, "imap_idle": m.imap_idle,
            "poll_seconds": m.poll_seconds, "smtp_url": m.smtp_url,
            "block_list": list(m.block_list), "thread_key": m.thread_key,
            "created_at": m.created_at, "updated_at": m.updated_at}


def _mailbox(row: RowMapping) -> Mailbox:
    fields = dict(row)
    fields["imap_security"] = Security(fields["imap_security"])
    fields["block_list"] = tuple(fields["block_list"])
    return Mailbox(**fields)
