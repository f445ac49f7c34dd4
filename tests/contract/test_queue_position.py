"""A queued ticket's place in its own queue, whichever way it is counted, is its rank there."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from giliran.domain.model import Priority, Queue, Ticket, TicketStatus
from giliran.service.ports import UnitOfWorkFactory

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_every_queued_ticket_is_told_its_rank_in_its_own_queue(uow: UnitOfWorkFactory) -> None:
    """Enough tickets of one priority that places are counted from either end (more than 64
    behind, nearer the head, nearer the tail), after tickets changed status, priority and
    queue, some put at the front."""
    rng = random.Random(16)
    with uow(write=True) as w:
        w.queues.add(Queue("other"))
        made = [w.tickets.add(Ticket(0, f"t{i}", created_at=T0 + timedelta(seconds=i),
                                     queue=rng.choice(["default", "default", "other"]),
                                     priority=rng.choice([Priority.NORMAL, Priority.NORMAL,
                                                          Priority.HIGH, Priority.LOW]),
                                     queue_order=rng.choice([0, 0, 0, -1, -2])))
                for i in range(400)]
        w.commit()
    with uow(write=True) as w:
        for ticket in rng.sample(made, 120):
            ticket = w.tickets.get(ticket.id) or ticket
            change = rng.randrange(4)
            if change == 0:
                ticket.status = TicketStatus.CANCELLED
            elif change == 1:
                ticket.effective_priority = Priority.URGENT  # aged, or moved to the front
            elif change == 2:
                ticket.queue = "other" if ticket.queue == "default" else "default"
            else:
                ticket.status = TicketStatus.COMPLETED
            w.tickets.save(ticket)
        w.commit()
    with uow(write=False) as r:
        queued = [t for t in r.tickets.many({t.id for t in made})
                  if t.status is TicketStatus.QUEUED]
        told = {t.id: r.tickets.queue_position(t) for t in queued}
        told_at_once = r.tickets.queue_positions(r.tickets.many({t.id for t in made}))
    expected = {t.id: 1 + sum(o.queue == t.queue and o.queue_key < t.queue_key for o in queued)
                for t in queued}
    assert told == expected
    assert told_at_once == expected, "a page's places at once, the others left out"
    assert len(queued) > 250
