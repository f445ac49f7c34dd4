"""Reading many tickets' histories at once gives what reading each one gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from giliran.domain.actor import Actor
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import HistoryEntry, Reason, Ticket
from giliran.service.ports import UnitOfWorkFactory

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_histories_of_many_tickets_match_one_by_one(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        ids = [w.tickets.add(Ticket(0, f"t{i}", created_at=T0)).id for i in range(1100)]
        for step in range(2 * len(ids) - 1):  # more ids than one IN list holds; interleaved
            tid = ids[step % len(ids)]
            w.history.append(HistoryEntry(tid, T0 + timedelta(seconds=step), HistoryKind.CREATED,
                                          Reason.CREATED, Actor.of_key("admin")))
        w.commit()
    with uow(write=False) as r:
        asked = [*reversed(ids), 999_999]
        many = r.history.for_tickets(asked)
        assert many == {tid: r.history.for_ticket(tid) for tid in asked}
        assert [at(e) for e in many[ids[0]]] == [0, 1100]
        assert [at(e) for e in many[ids[-1]]] == [1099] and many[999_999] == []


def at(entry: HistoryEntry) -> int:
    """Which step wrote the entry (each wrote at its own second)."""
    return int((entry.at - T0).total_seconds())
