"""SQL storage of the chat channels: the notices outbox and agents' linked chats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Row, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.outbox import ATTEMPT_FIELDS, AttemptRows
from giliran.domain.attachments import Attachment
from giliran.domain.delivery import DeliveryStatus, awaits_first_attempt
from giliran.domain.notices import ChatLink, Notice

_NOTICE_ROWS = AttemptRows(t.notices, t.PENDING_NOTICE)
_NOTICE_FIELDS = ("channel", "chat_id", "text", "key", "message_id", "ticket_id", "via",
                  "template", "sent_id")
_BY_SENT = (select(t.notices).where(t.notices.c.chat_id == bindparam("chat"),
                                    t.notices.c.sent_id == bindparam("sent"))
            .order_by(t.notices.c.id.desc()).limit(1))
_SET_SENT_ID = (update(t.notices).where(t.notices.c.id == bindparam("v_id"))
                .values(sent_id=bindparam("v_sent")))


def _insert_new_key(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (key) DO NOTHING, in the dialect's own construct."""
    if dialect == "sqlite":
        return sqlite.insert(t.notices).on_conflict_do_nothing(index_elements=[t.notices.c.key])
    return postgresql.insert(t.notices).on_conflict_do_nothing(index_elements=[t.notices.c.key])


class SqlNoticeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.queued = False  # whether this unit of work gave the courier work (see commit)

    def add(self, notice: Notice) -> bool:
        """One notice per key, held by the unique index on `key` itself rather than by the
        floor lock: a second writer's insert waits for the first to commit, then does
        nothing (ON CONFLICT DO NOTHING), and no row comes back."""
        values = {f: getattr(notice, f) for f in (*_NOTICE_FIELDS, *ATTEMPT_FIELDS)}
        values.update(status=notice.status.value, buttons=[list(b) for b in notice.buttons],
                      created_at=notice.created_at,
                      media=notice.media.stored() if notice.media is not None else None)
        stmt = _insert_new_key(self._conn.dialect.name).values(values)
        found = self._conn.execute(stmt.returning(t.notices.c.id)).scalar_one_or_none()
        if found is None:
            return False
        notice.id = found
        self.queued = True
        return True

    def exists(self, key: str) -> bool:
        return self._conn.execute(select(t.notices.c.id).where(t.notices.c.key == key)
                                  ).first() is not None

    def get(self, notice_id: int) -> Notice | None:
        row = self._conn.execute(select(t.notices).where(t.notices.c.id == notice_id)).first()
        return _notice(row) if row else None

    def by_key(self, key: str) -> Notice | None:
        row = self._conn.execute(select(t.notices).where(t.notices.c.key == key)).first()
        return _notice(row) if row else None

    def by_sent_id(self, chat_id: str, sent_id: str) -> Notice | None:
        row = self._conn.execute(_BY_SENT, {"chat": chat_id, "sent": sent_id}).first()
        return _notice(row) if row else None

    def due(self, now: datetime, limit: int) -> list[Notice]:
        return [_notice(r) for r in _NOTICE_ROWS.due(self._conn, now, limit)]

    def claim(self, now: datetime, limit: int) -> list[Notice]:
        return [_notice(r) for r in _NOTICE_ROWS.claim(self._conn, now, limit)]

    def save(self, notice: Notice) -> None:
        _NOTICE_ROWS.save(self._conn, notice, notice.id)
        self.queued = self.queued or awaits_first_attempt(notice)
        if notice.sent_id is not None:
            self._conn.execute(_SET_SENT_ID, {"v_id": notice.id, "v_sent": notice.sent_id})

    def search(self, status: DeliveryStatus | None, limit: int,
               offset: int) -> tuple[list[Notice], int]:
        where = [] if status is None else [t.notices.c.status == status.value]
        rows = self._conn.execute(select(t.notices).where(*where).order_by(t.notices.c.id)
                                  .limit(limit).offset(offset))
        total = self._conn.execute(
            select(func.count()).select_from(t.notices).where(*where)).scalar_one()
        return [_notice(r) for r in rows], int(total)

    def prune_delivered(self, before: datetime) -> int:
        return _NOTICE_ROWS.prune_delivered(self._conn, before)


class SqlChatLinkRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def link(self, link: ChatLink) -> None:
        self._conn.execute(delete(t.chat_links).where(or_(
            t.chat_links.c.agent_id == link.agent_id, t.chat_links.c.chat_id == link.chat_id)))
        self._conn.execute(insert(t.chat_links).values(
            agent_id=link.agent_id, chat_id=link.chat_id, language=link.language,
            linked_at=datetime.now(UTC)))

    def for_agent(self, agent_id: int) -> ChatLink | None:
        return self._one(t.chat_links.c.agent_id == agent_id)

    def for_chat(self, chat_id: str) -> ChatLink | None:
        return self._one(t.chat_links.c.chat_id == chat_id)

    def unlink(self, agent_id: int) -> bool:
        gone = self._conn.execute(delete(t.chat_links).where(t.chat_links.c.agent_id == agent_id))
        return bool(gone.rowcount)

    def any(self) -> bool:
        return self._conn.execute(select(t.chat_links.c.agent_id).limit(1)).first() is not None

    def add_code(self, code_hash: str, agent_id: int, expires_at: datetime) -> None:
        self._conn.execute(insert(t.link_codes).values(
            code_hash=code_hash, agent_id=agent_id, expires_at=expires_at))

    def take_code(self, code_hash: str, now: datetime) -> int | None:
        row = self._conn.execute(
            select(t.link_codes).where(t.link_codes.c.code_hash == code_hash)).first()
        # Every code that has run out goes too, so the table stays as small as what is live.
        self._conn.execute(delete(t.link_codes).where(or_(
            t.link_codes.c.code_hash == code_hash, t.link_codes.c.expires_at <= now)))
        return int(row.agent_id) if row is not None and row.expires_at > now else None

    def _one(self, where: Any) -> ChatLink | None:
        row = self._conn.execute(select(t.chat_links).where(where)).first()
        return ChatLink(row.agent_id, row.chat_id, row.language) if row else None


def _notice(r: Row[Any]) -> Notice:
    return Notice(id=r.id, channel=r.channel, chat_id=r.chat_id, text=r.text, key=r.key,
                  buttons=tuple((str(label), str(data)) for label, data in r.buttons),
                  status=DeliveryStatus(r.status), attempts=r.attempts,
                  next_attempt_at=r.next_attempt_at, leased_until=r.leased_until,
                  last_error=r.last_error, delivered_at=r.delivered_at,
                  created_at=r.created_at, message_id=r.message_id, ticket_id=r.ticket_id,
                  via=r.via, template=r.template, sent_id=r.sent_id,
                  media=Attachment.of_stored(r.media) if r.media else None)
