"""Where each queued ticket of a supervisor's list stands in its own queue: what GET
/tickets/{id} says, for a page of them in one more read.

Each place counts along the ticket's priority in its queue (from the nearer end when it is
among the last 64). A page in queue order, with no filter that can leave out some of a queue's
queued tickets, holds each queue's queued tickets as one unbroken run of that queue's line, so
there the first of each run is counted and the rest follow from it.
"""

from __future__ import annotations

from dataclasses import replace

from giliran.domain.listing import TicketSort
from giliran.domain.model import Ticket, TicketStatus
from giliran.service.lookups import waiting_order
from giliran.service.ports import ListedTicket, TicketFilter, UnitOfWork


def unbroken(query: TicketFilter) -> bool:
    """Whether a page of `query` holds each queue's queued tickets as one run of its line.
    Queue, status and open-only keep or drop whole stretches of a queue's line; the other
    filters may drop single tickets from it (the priority filter too: it is by the priority
    asked, the line by the one served at). A descending sort still breaks ties by ascending
    id, so it is no exact reversal of the line."""
    return (query.sort is TicketSort.QUEUE and not query.descending
            and not (query.text and query.text.strip()) and query.priority is None
            and query.agent_id is None and query.flagged is None and query.flag is None
            and query.auto_dispatch is None and query.channel is None
            and query.waiting_before is None)


def placed(uow: UnitOfWork, rows: list[ListedTicket], query: TicketFilter) -> list[ListedTicket]:
    queued = [r.ticket for r in rows if r.ticket.status is TicketStatus.QUEUED]
    if not queued:
        return rows
    places = _by_runs(uow, queued) if unbroken(query) else uow.tickets.queue_positions(queued)
    return [replace(r, queue_position=places.get(r.ticket.id)) for r in rows]


def _by_runs(uow: UnitOfWork, queued: list[Ticket]) -> dict[int, int]:
    runs = [sorted((t for t in queued if t.queue == name), key=lambda t: t.line_key(
        waiting_order(uow, t.queue))) for name in {t.queue for t in queued}]
    firsts = uow.tickets.queue_positions([run[0] for run in runs])
    return {t.id: firsts[run[0].id] + i for run in runs if run[0].id in firsts
            for i, t in enumerate(run)}
