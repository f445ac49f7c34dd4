"""The history, the events, settings and rate limits in memory."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from giliran.adapters.memory.journal import with_id
from giliran.domain.events import Event, with_holders
from giliran.domain.model import HistoryEntry
from giliran.service.ports import HistoryFilter

if TYPE_CHECKING:
    from giliran.adapters.memory.state import Session


class InMemoryHistoryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._s = session.state
        self._j = session.journal

    def append(self, entry: HistoryEntry) -> None:
        entry = with_id(entry, self._s.next_id("history"))
        self._j.append(self._s.history, entry)
        if entry.ticket_id not in self._s.history_of:
            self._j.put(self._s.history_of, entry.ticket_id, [])
        self._j.append(self._s.history_of[entry.ticket_id], entry)
        self._session.written.append(entry)

    def for_ticket(self, ticket_id: int) -> list[HistoryEntry]:
        return list(self._s.history_of.get(ticket_id, ()))

    def for_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[HistoryEntry]]:
        return {tid: self.for_ticket(tid) for tid in ticket_ids}

    def search(self, query: HistoryFilter) -> list[HistoryEntry]:
        entries = (self._s.history_of.get(query.ticket_id, []) if query.ticket_id is not None
                   else self._s.history)
        found = [e for e in entries if self._matches(e, query)]
        if query.newest_first:
            found.reverse()
        return found[query.offset:query.offset + query.limit]

    def count(self, query: HistoryFilter) -> int:
        return sum(self._matches(e, query) for e in self._s.history)

    def _matches(self, e: HistoryEntry, q: HistoryFilter) -> bool:
        ticket = self._s.tickets.get(e.ticket_id)
        return (
            e.id > q.after_id
            and (q.ticket_id is None or e.ticket_id == q.ticket_id)
            and (q.agent_id is None or q.agent_id in (e.from_agent_id, e.to_agent_id))
            and (q.reason is None or e.reason.value == q.reason)
            and (q.event is None or e.event == q.event)
            and (q.queue is None or (ticket is not None and ticket.queue == q.queue))
            and (q.since is None or e.at >= q.since)
            and (q.until is None or e.at < q.until)
        )


class InMemoryEventRepository:
    """Appends are written with the unit of work's commit, after its history, with the events
    recorded by the use cases, as SQL does."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._s = session.state
        self._j = session.journal

    def append(self, event: Event) -> None:
        self._session.pending_events.append(event)

    def flush(self) -> None:
        events = self._s.events
        for event in with_holders(self._session.pending_events):
            if events and self._s.events_in_time_order and event.at < events[-1].at:
                self._j.set(self._s, "events_in_time_order", False)
            self._j.append(events, with_id(event, self._s.next_id("events")))
        self._session.pending_events.clear()

    def after(self, event_id: int, limit: int) -> list[Event]:
        events = self._s.events
        start = bisect.bisect_right(events, event_id, key=lambda e: e.id)
        return events[start:start + limit]

    def bounds(self) -> tuple[int, int]:
        events = self._s.events
        return (events[0].id, events[-1].id) if events else (0, 0)

    def prune(self, before: datetime) -> int:
        events = self._s.events
        if self._s.events_in_time_order:  # the old ones are a prefix
            kept = events[bisect.bisect_left(events, before, key=lambda e: e.at):]
        else:
            kept = [e for e in events if e.at >= before]
        removed = len(self._s.events) - len(kept)
        if removed:
            self._j.set(self._s, "events", kept)
        return removed


class InMemorySettingsRepository:
    def __init__(self, session: Session) -> None:
        self._s = session.state
        self._j = session.journal

    def get(self, name: str) -> str | None:
        return self._s.settings.get(name)

    def put(self, name: str, value: str) -> None:
        self._j.put(self._s.settings, name, value)


class InMemoryRateLimitRepository:
    def __init__(self, session: Session) -> None:
        self._s = session.state
        self._j = session.journal

    def hit(self, key: str, window_start: int) -> int:
        window, hits = self._s.rate_limits.get(key, (window_start, 0))
        hits = hits + 1 if window == window_start else 1
        self._j.put(self._s.rate_limits, key, (window_start, hits))
        return hits

    def hits(self, key: str, window_start: int) -> int:
        window, hits = self._s.rate_limits.get(key, (window_start, 0))
        return hits if window == window_start else 0

    def prune(self, before: int) -> int:
        gone = [k for k, (window, _) in self._s.rate_limits.items() if window < before]
        for key in gone:
            self._j.drop(self._s.rate_limits, key)
        return len(gone)
