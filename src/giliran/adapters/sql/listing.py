"""The supervisor's ticket list in one statement: the page, the names it shows (customer,
agent), each assigned ticket's accept deadline (its queue's timer) and the total that match
(a window count), so a floor of thousands of tickets is one round trip per page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, case, func, literal_column, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from giliran.adapters.sql import tables as t
from giliran.domain.escalation import accept_deadline
from giliran.domain.listing import (
    NO_CHANNEL,
    TicketSort,
    like_pattern,
    number_in,
    phone_digits,
)
from giliran.domain.model import Queue, Ticket
from giliran.service.ports import ListedTicket, TicketFilter, TicketListing

tk = t.tickets.c
_alias = t.customer_aliases.alias("alias")
_customer = t.customers.alias("customer")
_agent = t.agents.alias("holder")
_queue = t.queues.alias("q")
_SINCE = func.coalesce(case(
    (t.QUEUED, tk.queued_at),
    (t.HELD_ROWS, tk.assigned_at),
    else_=tk.closed_at,
), tk.created_at)
# A queue that serves by SLA due time lines its tickets up by it (Ticket.line_key): the
# tickets of such queues with a running clock first, soonest due first, then as the others.
_DUE = case((_queue.c.waiting_order == literal_column("'sla_due'"), tk.sla_due_at))
# Each sort's keys, ascending (True) or not; a descending sort flips them all, and the id
# breaks ties, always ascending.
_ORDER: dict[TicketSort, tuple[tuple[ColumnElement[Any], bool], ...]] = {
    TicketSort.QUEUE: ((_DUE.is_(None), True), (_DUE, True), (tk.effective_priority, False),
                       (tk.queue_order, True)),
    TicketSort.NUMBER: ((tk.id, True),),
    TicketSort.PRIORITY: ((tk.priority, True), (tk.effective_priority, True)),
    TicketSort.WAITING: ((_SINCE, True),),
    TicketSort.TITLE: ((func.lower(tk.title), True),),
    TicketSort.QUEUE_NAME: ((tk.queue, True),),
    TicketSort.STATUS: ((tk.status, True),),
    TicketSort.AGENT: ((_agent.c.name.is_(None), True), (func.lower(_agent.c.name), True)),
}
_FROM = (t.tickets
         .join(_queue, _queue.c.name == tk.queue)
         .outerjoin(_alias, _alias.c.alias == tk.contact)
         .outerjoin(_customer, _customer.c.key == func.coalesce(_alias.c.customer_key, tk.contact))
         .outerjoin(_agent, _agent.c.id == tk.agent_id))
_COLUMNS = (t.tickets, _customer.c.name.label("customer_name"),
            _agent.c.name.label("agent_name"), _queue.c.accept_timeout_seconds.label("timer"))


def listing(conn: Connection, load: Callable[[Row[Any]], Ticket],
            query: TicketFilter) -> TicketListing:
    where = filters(query)
    order = [key.asc() if ascending != query.descending else key.desc()
             for key, ascending in _ORDER[query.sort]]
    rows = conn.execute(
        select(*_COLUMNS, func.count().over().label("total_rows")).select_from(_FROM)
        .where(*where).order_by(*order, tk.id).limit(query.limit).offset(query.offset)
    ).all()
    if rows:
        total = int(rows[0].total_rows)
    elif query.offset == 0:
        total = 0
    else:  # past the end: only then a second statement, for the total
        total = int(conn.execute(select(func.count()).select_from(_FROM).where(*where))
                    .scalar_one())
    return TicketListing([_listed(load(r), r) for r in rows], total)


def _listed(ticket: Ticket, row: Row[Any]) -> ListedTicket:
    queue = Queue(ticket.queue, accept_timeout_seconds=row.timer)
    return ListedTicket(ticket, row.customer_name, row.agent_name,
                        accept_deadline(ticket, queue))


def filters(q: TicketFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if q.status is not None:
        found.append(tk.status == q.status.value)
    if q.open_only:
        found.append(t.OPEN)
    if q.agent_id is not None:
        found.append(tk.agent_id == q.agent_id)
    if q.queue is not None:
        found.append(tk.queue == q.queue)
    if q.queues is not None:
        found.append(tk.queue.in_(sorted(q.queues)))
    if q.flagged is not None:
        found.append(t.FLAGGED if q.flagged else tk.flag.is_(None))
    if q.flag is not None:
        found.append(tk.flag == q.flag.value)
    if q.auto_dispatch is not None:
        found.append(tk.auto_dispatch if q.auto_dispatch else not_(tk.auto_dispatch))
    if q.priority is not None:
        found.append(tk.priority == int(q.priority))
    if q.channel is not None:
        found.append(tk.contact.is_(None) if q.channel == NO_CHANNEL else
                     tk.contact.like(like_pattern(q.channel)[1:-1] + ":%", escape="\\"))
    if q.waiting_before is not None:
        found.append(t.QUEUED)
        found.append(tk.queued_at <= q.waiting_before)
    if q.text and q.text.strip():
        found.append(_text(q.text))
    if q.ids is not None:
        found.append(tk.id.in_(sorted(q.ids)))
    return found


def _text(text: str) -> ColumnElement[bool]:
    pattern = like_pattern(text)
    found: list[ColumnElement[bool]] = [
        func.lower(column).like(pattern, escape="\\")
        for column in (tk.title, _customer.c.name, tk.external_id, tk.contact)]
    number = number_in(text)
    if number is not None:
        found.append(tk.id == literal_column(str(number)))
    digits = phone_digits(text)
    if digits is not None:  # digits only: nothing for LIKE to take as a wildcard
        found.append(tk.contact.like(f"%{digits}%"))
    return or_(*found)
