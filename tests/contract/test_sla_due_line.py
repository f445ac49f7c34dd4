"""A queue with waiting_order sla_due lines its waiting tickets up by the soonest SLA due time
(tickets without a running clock after them, then by effective priority and age), and the
in-memory twin, SQLite and PostgreSQL agree on it everywhere it shows: the head dispatch takes,
the pick-up list (search), each ticket's place, and the supervisor's list in queue order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from giliran.domain.listing import TicketSort
from giliran.domain.model import Priority, Queue, Ticket, TicketStatus, WaitingOrder
from giliran.service.ports import TicketFilter, UnitOfWorkFactory

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
QUEUED = TicketStatus.QUEUED


def _seed(uow: UnitOfWorkFactory) -> None:
    rng = random.Random(26)
    with uow(write=True) as w:
        w.queues.add(Queue("by_due", waiting_order=WaitingOrder.SLA_DUE))
        w.queues.add(Queue("plain"))
        for i in range(160):
            due = rng.choice([None, None, T0 + timedelta(minutes=rng.randrange(0, 40))])
            w.tickets.add(Ticket(
                0, f"t{i}", created_at=T0 + timedelta(seconds=i),
                queue=rng.choice(["by_due", "by_due", "plain"]),
                priority=rng.choice(list(Priority)), queue_order=rng.choice([0, 0, -1]),
                auto_dispatch=rng.random() > 0.1, sla_due_at=due,
                status=rng.choice([QUEUED, QUEUED, QUEUED, TicketStatus.CANCELLED])))
        w.commit()


def _expected(tickets: list[Ticket], queue: str | None) -> list[int]:
    order = {"by_due": WaitingOrder.SLA_DUE, "plain": WaitingOrder.PRIORITY}
    line = [t for t in tickets if t.status is QUEUED and queue in (None, t.queue)]
    return [t.id for t in sorted(line, key=lambda t: t.line_key(order[t.queue]))]


def test_memory_and_sql_line_up_a_due_time_queue_alike(uow: UnitOfWorkFactory) -> None:
    _seed(uow)
    with uow(write=False) as r:
        everything = list(r.tickets.search(TicketFilter(limit=1000)))
        line = _expected(everything, "by_due")
        dispatchable = [t.id for t in r.tickets.many(set(line)) if t.auto_dispatch]
        dispatchable.sort(key=line.index)
        head = r.tickets.queued_head_of("by_due", 10, offset=3, order=WaitingOrder.SLA_DUE)
        assert [t.id for t in head] == dispatchable[3:13]
        searched = r.tickets.search(TicketFilter(status=QUEUED, queue="by_due", limit=1000))
        assert [t.id for t in searched] == line
        across = r.tickets.search(TicketFilter(status=QUEUED, limit=1000))
        assert [t.id for t in across] == _expected(everything, None)
        plain = r.tickets.search(TicketFilter(status=QUEUED, queue="plain", limit=1000))
        assert [t.id for t in plain] == _expected(everything, "plain")
        queued = [t for t in everything if t.status is QUEUED]
        places = {t.id: r.tickets.queue_position(t) for t in queued}
        at_once = r.tickets.queue_positions(everything)
        listed = r.tickets.listing(TicketFilter(status=QUEUED, queue="by_due", limit=1000,
                                                sort=TicketSort.QUEUE))
        listed_across = r.tickets.listing(TicketFilter(status=QUEUED, limit=1000,
                                                       sort=TicketSort.QUEUE))
    ranks = {i: n for q in ("by_due", "plain") for n, i in enumerate(_expected(everything, q),
                                                                     start=1)}
    assert places == ranks
    assert at_once == ranks
    assert [row.ticket.id for row in listed.rows] == line
    assert [row.ticket.id for row in listed_across.rows] == _expected(everything, None)
    due = [t.sla_due_at for t in (next(x for x in everything if x.id == i) for i in line)]
    assert due[0] is not None and due[-1] is None, "the due ones first, the others after"
