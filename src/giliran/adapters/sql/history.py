"""SQL storage of the record of moves (assignment history) and of the events watchers read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, delete, func, insert, or_, select

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.actors import ACTOR_COLUMNS, actor_of_row, actor_values
from giliran.adapters.sql.direct import Direct
from giliran.adapters.sql.rows import RowMap
from giliran.domain.events import Event, with_holders
from giliran.domain.model import HistoryEntry
from giliran.service.ports import HistoryFilter

# The figures a read works out (how long a stay in the queue was) are not stored.
HISTORY = RowMap(HistoryEntry, t.history, not_stored=(
    "waited_seconds", "since_arrival_seconds", "response_seconds", "first_response_seconds",
    "handle_seconds", "load"), spread={"actor": (ACTOR_COLUMNS, actor_values, actor_of_row)})
EVENT = RowMap(Event, t.events)
_HISTORY_INSERT = Direct(insert(t.history), column_keys=HISTORY.added_columns)
_HISTORY_FOR_TICKET = (
    select(t.history).where(t.history.c.ticket_id == bindparam("ticket_id"))
    .order_by(t.history.c.id)
)
_HISTORY_FOR_TICKETS = (
    select(t.history).where(t.history.c.ticket_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.history.c.id)
)
_IN_CHUNK = 500  # ids per IN list: well under SQLite's and PostgreSQL's parameter limits


class SqlHistoryRepository:
    """Appends are buffered and written in one statement when the unit of work commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[dict[str, Any]] = []
        self.written: list[HistoryEntry] = []  # what this unit of work appended

    def append(self, entry: HistoryEntry) -> None:
        self.written.append(entry)
        self._pending.append(HISTORY.insert_values(entry))

    def flush(self) -> None:
        if self._pending:
            _HISTORY_INSERT.many(self._conn, self._pending)
            self._pending = []

    def for_ticket(self, ticket_id: int) -> list[HistoryEntry]:
        self.flush()
        rows = self._conn.execute(_HISTORY_FOR_TICKET, {"ticket_id": ticket_id})
        return [HISTORY.load(r) for r in rows]

    def for_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[HistoryEntry]]:
        self.flush()
        found: dict[int, list[HistoryEntry]] = {tid: [] for tid in ticket_ids}
        ids = sorted(found)
        for start in range(0, len(ids), _IN_CHUNK):
            rows = self._conn.execute(_HISTORY_FOR_TICKETS,
                                      {"ids": ids[start:start + _IN_CHUNK]})
            for r in rows:
                found[r.ticket_id].append(HISTORY.load(r))
        return found

    def search(self, query: HistoryFilter) -> list[HistoryEntry]:
        self.flush()
        order = t.history.c.id.desc() if query.newest_first else t.history.c.id
        stmt = (select(t.history).where(*_history_filters(query)).order_by(order)
                .limit(query.limit).offset(query.offset))
        return [HISTORY.load(r) for r in self._conn.execute(stmt)]

    def count(self, query: HistoryFilter) -> int:
        self.flush()
        stmt = select(func.count()).select_from(t.history).where(*_history_filters(query))
        return int(self._conn.execute(stmt).scalar_one())


def _history_filters(q: HistoryFilter) -> list[ColumnElement[bool]]:
    h = t.history.c
    found: list[ColumnElement[bool]] = []
    if q.after_id:
        found.append(h.id > q.after_id)
    if q.ticket_id is not None:
        found.append(h.ticket_id == q.ticket_id)
    if q.agent_id is not None:
        found.append(or_(h.from_agent_id == q.agent_id, h.to_agent_id == q.agent_id))
    if q.reason is not None:
        found.append(h.reason == q.reason)
    if q.event is not None:
        found.append(h.event == q.event)
    if q.queue is not None:
        found.append(h.ticket_id.in_(select(t.tickets.c.id).where(t.tickets.c.queue == q.queue)))
    if q.since is not None:
        found.append(h.at >= q.since)
    if q.until is not None:
        found.append(h.at < q.until)
    return found


_EVENT_INSERT = Direct(insert(t.events), column_keys=EVENT.added)
_EVENTS_AFTER = (select(t.events).where(t.events.c.id > bindparam("after"))
                 .order_by(t.events.c.id).limit(bindparam("limit")))
_LAST_EVENT_ID = "SELECT max(id) FROM events"
_EVENT_BOUNDS = select(func.min(t.events.c.id), func.max(t.events.c.id))
# Events are written in time order, so the ones to drop are a prefix of the id order: find where
# it ends by walking the primary key from the start, instead of keeping an index on `at` that
# every write would pay for.
_FIRST_KEPT = select(func.min(t.events.c.id)).where(t.events.c.at >= bindparam("before"))
_EVENTS_PRUNE = delete(t.events).where(
    t.events.c.id < func.coalesce(_FIRST_KEPT.scalar_subquery(),
                                  select(func.max(t.events.c.id) + 1).scalar_subquery()))


class SqlEventRepository:
    """Appends are written with the unit of work's commit, after its history."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[Event] = []

    def append(self, event: Event) -> None:
        self._pending.append(event)

    def flush(self, notify: str | None = None) -> int | None:
        """Write what was appended and return the last event id (None when there was nothing
        to write); and then run `notify` (the unit of work's NOTIFY), all in one round trip.
        The writer lock is held, so the largest id is this unit of work's last."""
        if not self._pending:
            return None
        then = (notify, _LAST_EVENT_ID) if notify is not None else (_LAST_EVENT_ID,)
        found = _EVENT_INSERT.many(self._conn, [EVENT.insert_values(e)
                                                for e in with_holders(self._pending)], then)
        self._pending = []
        return int(found[0][0])

    def forget(self) -> None:
        """A rollback: what was appended is not written."""
        self._pending = []

    def after(self, event_id: int, limit: int) -> list[Event]:
        rows = self._conn.execute(_EVENTS_AFTER, {"after": event_id, "limit": limit})
        return [EVENT.load(r) for r in rows]

    def bounds(self) -> tuple[int, int]:
        """(first, last) ids kept; (0, 0) when there are none."""
        first, last = self._conn.execute(_EVENT_BOUNDS).one()
        return int(first or 0), int(last or 0)

    def prune(self, before: datetime) -> int:
        return int(self._conn.execute(_EVENTS_PRUNE, {"before": before}).rowcount or 0)
