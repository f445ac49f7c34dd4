"""The records kept for good beside the history: the audit log of changes and the presence log.
Both are appended in the transaction of the change they record, and never pruned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, select

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.actors import actor_of_row, actor_values
from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.model import Presence, PresenceChange
from giliran.service.ports import AuditFilter

_AUDIT_INSERT = insert(t.audit_log)
_PRESENCE_INSERT = insert(t.presence_log)
_PRESENCE_DURING = (select(t.presence_log).where(t.presence_log.c.at >= bindparam("since"))
                    .order_by(t.presence_log.c.at, t.presence_log.c.id))
_LATEST = (select(t.presence_log.c.agent_id, func.max(t.presence_log.c.id).label("last"))
           .where(t.presence_log.c.at < bindparam("when"))
           .group_by(t.presence_log.c.agent_id).subquery())
_PRESENCE_AT = select(t.presence_log.c.agent_id, t.presence_log.c.presence).join(
    _LATEST, t.presence_log.c.id == _LATEST.c.last)


class SqlAuditRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, entry: AuditEntry) -> None:
        self._conn.execute(_AUDIT_INSERT, {
            "at": entry.at, **actor_values(entry.actor), "kind": entry.kind.value,
            "subject": entry.subject, "action": entry.action, "before": entry.before,
            "after": entry.after})

    def search(self, query: AuditFilter) -> list[AuditEntry]:
        stmt = (select(t.audit_log).where(*_filters(query)).order_by(t.audit_log.c.id.desc())
                .limit(query.limit).offset(query.offset))
        return [AuditEntry(id=r.id, at=r.at, actor=actor_of_row(r), kind=AuditKind(r.kind),
                           subject=r.subject, action=r.action, before=r.before, after=r.after)
                for r in self._conn.execute(stmt)]

    def count(self, query: AuditFilter) -> int:
        stmt = select(func.count()).select_from(t.audit_log).where(*_filters(query))
        return int(self._conn.execute(stmt).scalar_one())


def _filters(q: AuditFilter) -> list[ColumnElement[bool]]:
    c = t.audit_log.c
    found: list[ColumnElement[bool]] = []
    if q.kind is not None:
        found.append(c.kind == q.kind.value)
    if q.subject is not None:
        found.append(c.subject == q.subject)
    if q.actor is not None:
        found.append(c.actor == q.actor)
    if q.user_id is not None:
        found.append(c.actor_user_id == q.user_id)
    if q.since is not None:
        found.append(c.at >= q.since)
    if q.until is not None:
        found.append(c.at < q.until)
    if q.before_id is not None:
        found.append(c.id < q.before_id)
    return found


class SqlPresenceLogRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, change: PresenceChange) -> None:
        self._conn.execute(_PRESENCE_INSERT, {"agent_id": change.agent_id, "at": change.at,
                                              "presence": change.presence.value})

    def during(self, since: datetime, until: datetime | None = None) -> list[PresenceChange]:
        stmt: Any = _PRESENCE_DURING
        if until is not None:
            stmt = stmt.where(t.presence_log.c.at < until)
        return [PresenceChange(r.agent_id, r.at, Presence(r.presence))
                for r in self._conn.execute(stmt, {"since": since})]

    def at(self, when: datetime) -> dict[int, Presence]:
        rows = self._conn.execute(_PRESENCE_AT, {"when": when})
        return {int(r.agent_id): Presence(r.presence) for r in rows}
