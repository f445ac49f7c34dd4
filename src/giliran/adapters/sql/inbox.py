"""SQL storage of what the agents' inbox adds to conversations: how far each reader has read
(ticket_reads), and the desk's canned replies."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from giliran.adapters.sql import tables as t
from giliran.domain.canned import CannedReply
from giliran.domain.conversation import Direction

_M = t.ticket_messages.c
_RD = t.ticket_reads.c
_T = t.tickets.c
# Per ticket, the customer's messages after the reader's mark: a range of
# ix_ticket_messages_ticket from the mark on, so the cost is what is unread, not the whole
# conversation.
_MARK = (select(_RD.message_id).where(_RD.ticket_id == _T.id, _RD.reader == bindparam("reader"))
         .correlate(t.tickets).scalar_subquery())
_UNREAD = select(_T.id.label("ticket_id"), select(func.count()).where(
    _M.ticket_id == _T.id, _M.direction == Direction.IN.value,
    _M.id > func.coalesce(_MARK, 0)).correlate(t.tickets).scalar_subquery().label("unread"),
).where(_T.id.in_(bindparam("tids", expanding=True)))


class SqlReadStateRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def mark(self, ticket_id: int, reader: str, message_id: int, at: datetime) -> int:
        """One statement that only moves the mark forward, so two tabs marking at once need
        no lock between them."""
        upsert = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        stmt = upsert(t.ticket_reads).values(ticket_id=ticket_id, reader=reader,
                                             message_id=message_id, read_at=at)
        forward = stmt.excluded.message_id > t.ticket_reads.c.message_id
        kept = stmt.on_conflict_do_update(
            index_elements=[_RD.ticket_id, _RD.reader],
            set_={"message_id": case((forward, stmt.excluded.message_id),
                                     else_=t.ticket_reads.c.message_id),
                  "read_at": stmt.excluded.read_at},
        ).returning(_RD.message_id)
        return int(self._conn.execute(kept).scalar_one())

    def unread(self, reader: str, ticket_ids: Collection[int]) -> dict[int, int]:
        if not ticket_ids:
            return {}
        rows = self._conn.execute(_UNREAD, {"reader": reader, "tids": list(ticket_ids)})
        return {r.ticket_id: int(r.unread) for r in rows if r.unread}


_C = t.canned_replies.c
_FIELDS = ("name", "text", "queue", "language", "created_by", "updated_at")


class SqlCannedReplyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, reply: CannedReply) -> CannedReply:
        reply.id = int(self._conn.execute(insert(t.canned_replies).values(
            {f: getattr(reply, f) for f in _FIELDS}).returning(_C.id)).scalar_one())
        return reply

    def get(self, reply_id: int) -> CannedReply | None:
        row = self._conn.execute(select(t.canned_replies).where(_C.id == reply_id)).first()
        return _reply(row) if row is not None else None

    def save(self, reply: CannedReply) -> None:
        self._conn.execute(update(t.canned_replies).where(_C.id == reply.id).values(
            {f: getattr(reply, f) for f in _FIELDS}))

    def remove(self, reply_id: int) -> None:
        self._conn.execute(delete(t.canned_replies).where(_C.id == reply_id))

    def applying(self, queues: Collection[str] | None,
                 language: str | None = None) -> list[CannedReply]:
        stmt = select(t.canned_replies).order_by(_C.id)
        if queues is not None:
            stmt = stmt.where(or_(_C.queue.is_(None), _C.queue.in_(list(queues))))
        if language is not None:
            stmt = stmt.where(or_(_C.language.is_(None), _C.language == language))
        return [_reply(r) for r in self._conn.execute(stmt)]


def _reply(r: Row[Any]) -> CannedReply:
    return CannedReply(id=r.id, name=r.name, text=r.text, queue=r.queue, language=r.language,
                       created_by=r.created_by, updated_at=r.updated_at)
