"""The agent's inbox: their conversations in the order that needs them now, how far each
reader has read, and internal notes.

The list is read for a few dozen tickets at a time, so every fact comes in one read for all
of them (the tickets, who spoke last, the unread counts, the newest messages, the customers'
names, the failed replies), never one read per ticket.

A note is a message of the thread that no notice carries: nothing sends it, and it touches
neither the ticket (its accept, its escalation timer) nor the customer (their 24-hour window).
Read marks are per reader (the actor key), so one agent reading does not clear another's
count; marking takes no floor lock (one statement that only moves forward).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from giliran.domain import daybook
from giliran.domain.conversation import LONGEST_TEXT, Direction, Message, split_contact
from giliran.domain.errors import Forbidden, InvalidInput, NotFound
from giliran.domain.escalation import accept_deadline
from giliran.domain.event_types import EventType, HistoryKind
from giliran.domain.events import message_event
from giliran.domain.inbox import NO_THREAD, OPEN, Entry, View, in_view, ordered
from giliran.domain.listing import NO_CHANNEL
from giliran.domain.model import Ticket, TicketStatus
from giliran.domain.people import Can, Role
from giliran.service.context import Context, Principal
from giliran.service.conversations.failures import unresolved_failures
from giliran.service.lookups import agent_or_404, schedule_of, ticket_or_404
from giliran.service.ports import HistoryFilter, TicketFilter, UnitOfWork
from giliran.service.tickets.tickets import check_holder

MOST = 500  # tickets per status an agent could hold; far above any capacity
_OPEN_STATUSES = tuple(s for s in TicketStatus if s.value in OPEN)


@dataclass(frozen=True)
class ReadMark:
    ticket_id: int
    message_id: int  # the newest message read (0: nothing to read yet)
    unread: int


@dataclass(frozen=True)
class Inbox:
    entries: list[Entry]
    awaiting_reply: int  # among the agent's open conversations, whatever the filters
    failed_replies: int


def desk_name(uow: UnitOfWork, who: Principal) -> str:
    """How the desk's words are signed: the agent's name, or the user's."""
    if who.role is Role.AGENT:
        return agent_or_404(uow, who.agent_id).name
    return who.name or "admin"


def add_note(ctx: Context, who: Principal, ticket_id: int, text: str) -> Message:
    """A note on the ticket's thread for colleagues (any reader of the conversation)."""
    who.require(Can.SUPERVISE, Can.WORK)
    text = text.strip()
    if not text or len(text) > LONGEST_TEXT:
        raise InvalidInput(f"a note has 1 to {LONGEST_TEXT} characters")
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        check_holder(who, ticket)
        now = ctx.clock.now()
        channel = split_contact(ticket.contact)[0] if ticket.contact else NO_CHANNEL
        note = uow.messages.add(Message(
            ticket.id, channel, f"note:{ticket.id}:{secrets.token_hex(12)}",
            desk_name(uow, who), text, now, direction=Direction.NOTE, author=who.actor))
        uow.record(message_event(EventType.MESSAGE_CREATED, ticket, note, now))
        uow.commit()
    return note


def mark_read(ctx: Context, who: Principal, ticket_id: int,
              message_id: int | None = None) -> ReadMark:
    """The caller has read the ticket's conversation up to `message_id` (default: all)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=True, defer_lock=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        check_holder(who, ticket)
        if message_id is None:
            newest = uow.messages.newest([ticket.id]).get(ticket.id)
            upto = newest.id if newest is not None else 0
        else:
            found = uow.messages.get(message_id)
            if found is None or found.ticket_id != ticket.id:
                raise NotFound(f"ticket {ticket.number} has no message {message_id}")
            upto = found.id
        kept = uow.reads.mark(ticket.id, who.actor, upto, ctx.clock.now()) if upto else 0
        unread = uow.reads.unread(who.actor, [ticket.id]).get(ticket.id, 0)
        uow.commit()
    return ReadMark(ticket.id, kept, unread)


def inbox(ctx: Context, who: Principal, view: View = View.MINE, *, queue: str | None = None,
          channel: str | None = None, agent_id: int | None = None) -> Inbox:
    """An agent's conversations (theirs; a supervisor names the agent)."""
    who.require(Can.SUPERVISE, Can.WORK)
    agent_id = _whose(who, agent_id)
    with ctx.uow(write=False) as uow:
        agent = agent_or_404(uow, agent_id)
        now = ctx.clock.now()
        reader = f"agent:{agent.id}"
        mine = _entries(uow, reader, _visible(who, _open(uow, agent.id)))
        shown = (mine if view is not View.DONE_TODAY else
                 _entries(uow, reader, _visible(who, _done_today(uow, agent.id, now))))
    listed = [e for e in shown if in_view(e, view) and _matches(e.ticket, queue, channel)]
    return Inbox(ordered(listed), sum(e.awaiting_reply for e in mine),
                 sum(e.failed_reply for e in mine))


def _whose(who: Principal, agent_id: int | None) -> int:
    if who.role is Role.AGENT:
        if agent_id is not None and agent_id != who.agent_id:
            raise Forbidden("an agent reads only their own inbox")
        assert who.agent_id is not None
        return who.agent_id
    if agent_id is None:
        raise InvalidInput("name the agent whose inbox to read (agent_id)")
    return agent_id


def _visible(who: Principal, tickets: Sequence[Ticket]) -> list[Ticket]:
    return [t for t in tickets if who.sees_queue(t.queue)]


def _open(uow: UnitOfWork, agent_id: int) -> list[Ticket]:
    found: list[Ticket] = []
    for status in _OPEN_STATUSES:
        found += uow.tickets.search(TicketFilter(status=status, agent_id=agent_id, limit=MOST))
    return found


def _done_today(uow: UnitOfWork, agent_id: int, now: datetime) -> list[Ticket]:
    """Completed by the agent since midnight (UTC), found by the day's history."""
    midnight = daybook.midnight(daybook.day_of(now), now)
    done = uow.history.search(HistoryFilter(agent_id=agent_id, event=HistoryKind.COMPLETED,
                                            since=midnight, limit=MOST))
    ids = {h.ticket_id for h in done if h.from_agent_id == agent_id}
    return [t for t in uow.tickets.many(ids) if t.status is TicketStatus.COMPLETED]


def _entries(uow: UnitOfWork, reader: str, tickets: list[Ticket]) -> list[Entry]:
    ids = [t.id for t in tickets]
    threads = uow.messages.threads(ids)
    unread = uow.reads.unread(reader, ids)
    newest = uow.messages.newest(ids)
    customers = uow.customers.many({t.contact for t in tickets if t.contact})
    failed = unresolved_failures(uow, ids)
    queues = {name: uow.queues.get(name) for name in {t.queue for t in tickets}}
    hours = {name: schedule_of(uow, q) for name, q in queues.items() if q is not None}
    entries = []
    for t in tickets:
        q = queues.get(t.queue)
        customer = customers.get(t.contact) if t.contact else None
        entries.append(Entry(
            t, threads.get(t.id, NO_THREAD), unread.get(t.id, 0), newest.get(t.id),
            accept_deadline(t, q, hours[t.queue]) if q is not None else None,
            customer.name if customer is not None else None, t.id in failed))
    return entries


def _matches(ticket: Ticket, queue: str | None, channel: str | None) -> bool:
    if queue is not None and ticket.queue != queue:
        return False
    found = split_contact(ticket.contact)[0] if ticket.contact else NO_CHANNEL
    return channel is None or found == channel
