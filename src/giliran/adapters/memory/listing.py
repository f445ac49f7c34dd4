"""The supervisor's ticket list over the in-memory state: the twin of adapters/sql/listing.py,
sorted and filtered by the same rules (domain/listing.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from giliran.domain.escalation import accept_deadline
from giliran.domain.listing import TicketSort, channel_of, number_in, phone_digits, since
from giliran.domain.model import Ticket, TicketStatus, WaitingOrder
from giliran.service.ports import ListedTicket, TicketFilter, TicketListing

if TYPE_CHECKING:
    from giliran.adapters.memory.state import MemoryState


def listing(state: MemoryState, query: TicketFilter) -> TicketListing:
    found = [t for t in state.tickets.values() if _matches(state, t, query)]
    found.sort(key=lambda t: t.id)  # the tie-break, kept by the stable sort below
    found.sort(key=lambda t: _key(state, t, query.sort), reverse=query.descending)
    page = found[query.offset:query.offset + query.limit]
    return TicketListing([_row(state, t) for t in page], len(found))


def matches_filter(ticket: Ticket, query: TicketFilter) -> bool:
    """The filters that need nothing but the ticket."""
    return (
        (query.status is None or ticket.status is query.status)
        and (not query.open_only or ticket.status in OPEN)
        and (query.agent_id is None or ticket.agent_id == query.agent_id)
        and (query.queue is None or ticket.queue == query.queue)
        and (query.queues is None or ticket.queue in query.queues)
        and (query.flagged is None or (ticket.flag is not None) == query.flagged)
        and (query.flag is None or ticket.flag is query.flag)
        and (query.auto_dispatch is None or ticket.auto_dispatch == query.auto_dispatch)
        and (query.priority is None or ticket.priority is query.priority)
        and (query.channel is None or channel_of(ticket.contact) == query.channel)
        and (query.waiting_before is None or (
            ticket.status is TicketStatus.QUEUED and ticket.queued_at is not None
            and ticket.queued_at <= query.waiting_before))
        and (query.ids is None or ticket.id in query.ids)
    )


OPEN = (TicketStatus.QUEUED, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
        TicketStatus.ON_HOLD)


def _matches(state: MemoryState, ticket: Ticket, query: TicketFilter) -> bool:
    if not matches_filter(ticket, query):
        return False
    if not query.text or not query.text.strip():
        return True
    text = query.text.strip().lower()
    if number_in(text) == ticket.id:
        return True
    names = (ticket.title, _customer(state, ticket), ticket.external_id, ticket.contact)
    if any(name is not None and text in name.lower() for name in names):
        return True
    digits = phone_digits(text)
    return digits is not None and ticket.contact is not None and digits in ticket.contact


def _customer(state: MemoryState, ticket: Ticket) -> str | None:
    if ticket.contact is None:
        return None
    conv = state.conversation
    key = conv.aliases.get(ticket.contact, ticket.contact)
    customer = conv.customers.get(key)
    return customer.name if customer is not None else None


def _key(state: MemoryState, t: Ticket, sort: TicketSort) -> Any:
    if sort is TicketSort.QUEUE:
        queue = state.queues.get(t.queue)
        order = queue.waiting_order if queue is not None else WaitingOrder.PRIORITY
        return t.line_key(order)[:-1]  # the id breaks ties, ascending either way
    if sort is TicketSort.PRIORITY:
        return (int(t.priority), int(t.effective_priority))
    if sort is TicketSort.WAITING:
        return since(t)
    if sort is TicketSort.TITLE:
        return t.title.lower()
    if sort is TicketSort.QUEUE_NAME:
        return t.queue
    if sort is TicketSort.STATUS:
        return t.status.value
    if sort is TicketSort.AGENT:
        agent = state.agents.get(t.agent_id or 0)
        return (agent is None, agent.name.lower() if agent else "")
    return t.id


def _row(state: MemoryState, t: Ticket) -> ListedTicket:
    agent = state.agents.get(t.agent_id or 0)
    queue = state.queues.get(t.queue)
    return ListedTicket(t, _customer(state, t), agent.name if agent else None,
                        accept_deadline(t, queue) if queue is not None else None)
