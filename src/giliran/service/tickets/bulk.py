"""Bulk actions: one supervisor's move applied to many tickets, named or matching a filter.

All or nothing per ticket, never for the whole: each ticket goes through the use case a
single move would (its rules, its history line by the person, its events) in its own
transaction, and a refusal is that ticket's result. A filter is read once; by a ticket's
turn the engine or another supervisor may have moved it, so the filter is asked again inside
that ticket's transaction (under the write lock) and a ticket that no longer matches is left
as it is. The whole action is one line of the audit log, with the tickets it moved and not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.errors import GiliranError, NoLongerMatches, NotYourQueue, TooManyTickets
from giliran.domain.listing import TicketSort
from giliran.domain.model import Priority, Ticket, TicketStatus
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.lookups import TicketCheck
from giliran.service.ports import TicketFilter, UnitOfWork
from giliran.service.tickets import manual, tickets, triage

MOST_BY_FILTER = 1000  # tickets one filter may act on; more is refused, to be narrowed


class BulkAction(StrEnum):
    REASSIGN = "reassign"
    REQUEUE = "requeue"
    PRIORITY = "priority"
    MOVE = "move"
    CANCEL = "cancel"
    CLEAR_FLAG = "clear_flag"


@dataclass(frozen=True)
class Bulk:
    """The action and its arguments (only those it takes are set)."""

    action: BulkAction
    agent_id: int | None = None
    force: bool = False
    priority: Priority | None = None
    queue: str | None = None

    def arguments(self) -> dict[str, Any]:
        """As the audit log keeps them."""
        found: dict[str, Any] = {"agent_id": self.agent_id, "queue": self.queue,
                                 "priority": self.priority.label if self.priority else None}
        if self.action is BulkAction.REASSIGN:
            found["force"] = self.force
        return {k: v for k, v in found.items() if v is not None}


@dataclass(frozen=True)
class Outcome:
    """One ticket's result: `error` None when the action was done."""

    ticket_id: int
    number: str | None
    error: GiliranError | None = None


def matching(ctx: Context, who: Principal, query: TicketFilter,
             waiting_longer_than: int | None = None) -> list[int]:
    """The ids a filter matches now, in the list's order (at most MOST_BY_FILTER, else 422
    `too_many_tickets`), only of this supervisor's queues."""
    query = tickets.narrowed(ctx, who, query, waiting_longer_than)
    sort = TicketSort.QUEUE if query.status is TicketStatus.QUEUED else TicketSort.NUMBER
    query = replace(query, sort=sort, descending=False, limit=MOST_BY_FILTER + 1, offset=0)
    with ctx.uow(write=False) as uow:
        found = uow.tickets.listing(query)
    if found.total > MOST_BY_FILTER:
        raise TooManyTickets(f"the filter matches {found.total} tickets, more than the "
                             f"{MOST_BY_FILTER} one action may change: narrow the filter")
    return [row.ticket.id for row in found.rows]


def still_matching(ctx: Context, who: Principal, query: TicketFilter,
                   waiting_longer_than: int | None = None) -> TicketCheck:
    """The check each ticket of a filter meets again inside its own transaction."""
    query = tickets.narrowed(ctx, who, query, waiting_longer_than)

    def check(uow: UnitOfWork, ticket: Ticket) -> None:
        one = replace(query, ids=frozenset({ticket.id}), limit=1, offset=0)
        if uow.tickets.listing(one).total == 0:
            raise NoLongerMatches(f"ticket {ticket.number} changed since the filter was read "
                                  "and no longer matches it: left as it is")
    return check


def one(ctx: Context, who: Principal, ticket_id: int, bulk: Bulk,
        check: TicketCheck | None = None) -> Outcome:
    """The action on one ticket, in its own transaction (a server runs each as a write of
    its own, so a long bulk action never holds other writers up for more than one ticket)."""
    who.require(Can.SUPERVISE)
    try:
        return Outcome(ticket_id, _MOVES[bulk.action](ctx, who, ticket_id, bulk, check).number)
    except GiliranError as refused:
        # Another queue's ticket is not this supervisor's to know more of.
        hidden = isinstance(refused, NotYourQueue)
        return Outcome(ticket_id, None if hidden else _number(ctx, ticket_id), refused)


Move = Callable[[Context, Principal, int, Bulk, TicketCheck | None], Ticket]
_MOVES: dict[BulkAction, Move] = {
    BulkAction.REASSIGN: lambda ctx, who, i, b, check: manual.reassign(
        ctx, who, i, b.agent_id or 0, force=b.force, check=check),
    BulkAction.REQUEUE: lambda ctx, who, i, b, check: triage.requeue(ctx, who, i, check),
    BulkAction.PRIORITY: lambda ctx, who, i, b, check: manual.set_priority(
        ctx, who, i, b.priority or Priority.NORMAL, check),
    BulkAction.MOVE: lambda ctx, who, i, b, check: triage.move(ctx, who, i, b.queue or "",
                                                               check),
    BulkAction.CANCEL: lambda ctx, who, i, b, check: tickets.cancel_ticket(ctx, who, i, check),
    BulkAction.CLEAR_FLAG: lambda ctx, who, i, b, check: triage.clear_flag(ctx, who, i, check),
}


def _number(ctx: Context, ticket_id: int) -> str | None:
    """A refused ticket's number, for the person reading the results (none if it is none)."""
    with ctx.uow(write=False) as uow:
        ticket = uow.tickets.get(ticket_id)
    return ticket.number if ticket is not None else None


def audit(ctx: Context, who: Principal, bulk: Bulk, outcomes: Sequence[Outcome], *,
          by_filter: bool) -> None:
    """The whole action as one line of the audit log, written once every ticket had its
    turn: its arguments, and which tickets it moved and which not (with why)."""
    if not outcomes:
        return  # nothing was asked of any ticket
    after: dict[str, Any] = {
        "action": bulk.action.value, "arguments": bulk.arguments(),
        "by": "filter" if by_filter else "ids",
        "succeeded": [o.ticket_id for o in outcomes if o.error is None],
        "failed": {str(o.ticket_id): o.error.code for o in outcomes if o.error is not None},
    }
    with ctx.uow(write=True) as uow:
        uow.audit.append(AuditEntry(ctx.clock.now(), who.by, AuditKind.TICKETS, "bulk",
                                    f"bulk {bulk.action.value}", None, after))
        uow.commit()
