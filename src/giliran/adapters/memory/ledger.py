"""In-memory twins of the audit log and the presence log (`adapters/sql/ledger.py`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from giliran.domain.audit import AuditEntry
from giliran.domain.model import Presence, PresenceChange
from giliran.service.ports import AuditFilter

if TYPE_CHECKING:
    from giliran.adapters.memory.state import Session


class InMemoryAuditRepository:
    def __init__(self, session: Session) -> None:
        self._s = session.state
        self._j = session.journal

    def append(self, entry: AuditEntry) -> None:  # never pruned
        self._j.append(self._s.audit, replace(entry, id=self._s.next_id("audit")))

    def search(self, query: AuditFilter) -> list[AuditEntry]:
        found = [e for e in reversed(self._s.audit) if _matches(e, query)]
        return found[query.offset:query.offset + query.limit]

    def count(self, query: AuditFilter) -> int:
        return sum(_matches(e, query) for e in self._s.audit)


def _matches(e: AuditEntry, q: AuditFilter) -> bool:
    return ((q.kind is None or e.kind is q.kind)
            and (q.subject is None or e.subject == q.subject)
            and (q.actor is None or e.actor.key == q.actor)
            and (q.user_id is None or e.actor.user_id == q.user_id)
            and (q.since is None or e.at >= q.since)
            and (q.until is None or e.at < q.until)
            and (q.before_id is None or e.id < q.before_id))


class InMemoryPresenceLogRepository:
    def __init__(self, session: Session) -> None:
        self._s = session.state
        self._j = session.journal

    def append(self, change: PresenceChange) -> None:
        self._j.append(self._s.presence, change)

    def during(self, since: datetime, until: datetime | None = None) -> list[PresenceChange]:
        found = [c for c in self._s.presence
                 if c.at >= since and (until is None or c.at < until)]
        return sorted(found, key=lambda c: c.at)  # stable: equal times keep their order

    def at(self, when: datetime) -> dict[int, Presence]:
        found: dict[int, Presence] = {}
        for change in self._s.presence:  # in the order written, like the SQL ids
            if change.at < when:
                found[change.agent_id] = change.presence
        return found
