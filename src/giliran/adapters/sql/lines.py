"""Queues that line their waiting tickets up by SLA due time (waiting_order `sla_due`,
`Ticket.line_key`): the soonest due first, the tickets without a running clock after them, then
by priority and age as every queue. Across queues (a list of several) the due tickets of such
queues come first. While no queue orders by due time, every read keeps the plain queue order
its indexes give."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select, tuple_

from giliran.adapters.sql import tables as t
from giliran.domain.model import Ticket, WaitingOrder

_tk = t.tickets.c
_SLA_QUEUES = select(t.queues.c.name).where(t.queues.c.waiting_order == WaitingOrder.SLA_DUE.value)
_LINE_DUE = case((_tk.queue.in_(_SLA_QUEUES.scalar_subquery()), _tk.sla_due_at))


def due_order(queue_order: tuple[Any, ...]) -> tuple[Any, ...]:
    """One queue's line by due time (NULLs placed explicitly: the databases differ)."""
    return (_tk.sla_due_at.is_(None), _tk.sla_due_at, *queue_order)


def sla_queues(conn: Connection) -> set[str]:
    return {str(n) for n in conn.execute(_SLA_QUEUES).scalars()}


def line(conn: Connection, queue: str | None, queue_order: tuple[Any, ...]) -> tuple[Any, ...]:
    """The order of queued tickets of `queue` (None: of every queue)."""
    lined = sla_queues(conn)
    if not lined or (queue is not None and queue not in lined):
        return queue_order
    if queue is not None:
        return due_order(queue_order)
    return (_LINE_DUE.is_(None), _LINE_DUE, *queue_order)


def due_position(conn: Connection, ticket: Ticket) -> int:
    """A queued ticket's place in a queue lined up by due time. The kept depths (by priority)
    do not help here: the tickets ahead are counted, those due sooner, or due at the same time
    (or neither due) and ahead by priority and age."""
    alike = tuple_(-_tk.effective_priority, _tk.queue_order, _tk.id) < tuple_(
        -int(ticket.effective_priority), ticket.queue_order, ticket.id)
    due = ticket.sla_due_at
    ahead = (or_(_tk.sla_due_at < due, and_(_tk.sla_due_at == due, alike)) if due is not None
             else or_(_tk.sla_due_at.is_not(None), alike))
    return 1 + int(conn.execute(select(func.count()).select_from(t.tickets).where(
        t.QUEUED, _tk.queue == ticket.queue, ahead)).scalar_one())
