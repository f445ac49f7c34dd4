"""The inbox's order is the rule an agent reads top down: pending accepts by deadline, then
conversations awaiting an answer (most urgent, longest waiting first), then the rest, held
tickets last; and which conversations each view shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from giliran.domain.inbox import Entry, Thread, View, in_view, ordered
from giliran.domain.model import Priority, Ticket, TicketStatus

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
STATUSES = [TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.COMPLETED]


def _entry(tid: int, status: TicketStatus, priority: Priority = Priority.NORMAL, *,
           spoke: str = "nobody", minute: int = 0) -> Entry:
    ticket = Ticket(tid, f"t{tid}", status=status, priority=priority,
                    effective_priority=priority, created_at=T0, closed_at=T0)
    thread = {"nobody": Thread(),
              "customer": Thread(10, 5, T0 + timedelta(minutes=minute)),
              "desk": Thread(5, 10, None)}[spoke]
    deadline = T0 + timedelta(minutes=minute) if status is TicketStatus.ASSIGNED else None
    return Entry(ticket, thread, accept_deadline=deadline)


def test_a_shift_reads_top_down() -> None:
    entries = [
        _entry(1, TicketStatus.IN_PROGRESS, spoke="desk"),
        _entry(2, TicketStatus.IN_PROGRESS, Priority.NORMAL, spoke="customer", minute=1),
        _entry(3, TicketStatus.ASSIGNED, minute=9),
        _entry(4, TicketStatus.IN_PROGRESS, Priority.URGENT, spoke="customer", minute=8),
        _entry(5, TicketStatus.ASSIGNED, spoke="customer", minute=2),
        _entry(6, TicketStatus.IN_PROGRESS, Priority.NORMAL, spoke="customer", minute=0),
    ]
    assert [e.ticket.id for e in ordered(entries)] == [5, 3, 4, 6, 2, 1]


def test_views() -> None:
    waiting = _entry(1, TicketStatus.IN_PROGRESS, spoke="desk")
    awaiting = _entry(2, TicketStatus.IN_PROGRESS, spoke="customer")
    silent = _entry(3, TicketStatus.IN_PROGRESS)
    done = _entry(4, TicketStatus.COMPLETED, spoke="customer")
    assert [e.ticket.id for e in (waiting, awaiting, silent, done)
            if in_view(e, View.MINE)] == [1, 2, 3]
    assert [e.ticket.id for e in (waiting, awaiting, silent, done)
            if in_view(e, View.WAITING)] == [1]
    assert not done.awaiting_reply, "a closed conversation awaits nobody"
    assert not any(in_view(e, View.ON_HOLD) for e in (waiting, awaiting, silent, done))


entries = st.lists(
    st.builds(lambda status, priority, spoke, minute: (status, priority, spoke, minute),
              st.sampled_from(STATUSES[:2]), st.sampled_from(list(Priority)),
              st.sampled_from(["nobody", "customer", "desk"]), st.integers(0, 30)),
    max_size=15)


@given(entries)
def test_pending_accepts_then_awaiting_then_the_rest(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    found = ordered([_entry(i, *row[:2], spoke=row[2], minute=row[3])
                     for i, row in enumerate(rows, start=1)])
    group = [0 if e.ticket.status is TicketStatus.ASSIGNED else 1 if e.awaiting_reply else 2
             for e in found]
    assert group == sorted(group)
    pending = [e.accept_deadline for e in found if e.ticket.status is TicketStatus.ASSIGNED]
    assert pending == sorted(pending)  # type: ignore[type-var]
    awaiting = [(-int(e.ticket.effective_priority), e.thread.waiting_since) for e in found
                if e.awaiting_reply and e.ticket.status is not TicketStatus.ASSIGNED]
    assert awaiting == sorted(awaiting)  # type: ignore[type-var]
