"""Where a use case says what it did: a ticket's move is one history line and one event,
written together at the point of the change (so the event shows the ticket as that move left
it, and reading the use case tells what it emits)."""

from __future__ import annotations

from giliran.domain.events import ticket_event
from giliran.domain.model import HistoryEntry, Ticket
from giliran.service.ports import UnitOfWork


def record_move(uow: UnitOfWork, ticket: Ticket, entry: HistoryEntry) -> None:
    uow.history.append(entry)
    uow.record(ticket_event(entry, ticket))
