"""Telling people on their chat (Telegram, WhatsApp), through an outbox: agents about their
work, customers what the desk answers them (queued by the use case itself, with the message in
the ticket's conversation).

A pass reads the events after its cursor and writes, in one transaction with the moved cursor,
a notice for each agent who must hear of one (what each event tells whom: `agent_notices`).
Notices are then leased, sent outside any transaction and recorded like webhook deliveries:
retried with backoff while the channel is down, dead after the last attempt for an admin to
see and retry. Recording a notice that carries a conversation message moves the message's
state (sent, or failed with the channel's reason); one that met a customer who blocked the
bot marks the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from giliran.domain import delivery as d
from giliran.domain.attachments import Attachment
from giliran.domain.conversation import (
    SYSTEM_AUTHOR,
    Customer,
    Direction,
    Message,
    State,
)
from giliran.domain.delivery import DeliveryStatus
from giliran.domain.event_types import EventType
from giliran.domain.events import message_event
from giliran.domain.model import Ticket
from giliran.domain.notices import Notice, say
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.events.outbox import Backlog
from giliran.service.lookups import notice_or_404
from giliran.service.notices import supervisor_chats
from giliran.service.notices.agent_notices import queue_notice as queue_notice
from giliran.service.notices.agent_notices import tell
from giliran.service.ports import UnitOfWork

CURSOR = "notices.last_event_id"
PAGE = 500
# A notice about something older than this helps nobody (the server was down, or the channel
# was only just configured): such events move the cursor and tell no one.
STALE = timedelta(hours=1)


@dataclass(frozen=True)
class Sent:
    """How one attempt went: `error` None is delivered. A permanent error (the person blocked
    the bot, the chat is gone) is not retried; `wait` is the channel's own Retry-After."""

    error: str | None = None
    permanent: bool = False
    wait: timedelta | None = None
    channel_id: str | None = None  # the channel's id for what it took
    blocked: bool = False  # the person blocked the bot (permanent, and worth remembering)


def send_to_customer(uow: UnitOfWork, now: datetime, ticket: Ticket, customer: Customer,
                     message: Message, template: str | None = None,
                     media: Attachment | None = None) -> Message:
    """An outgoing message of the ticket's conversation and the notice that carries it, in
    the caller's transaction: accepted here, it is sent (with retries) whatever happens next.
    A file it carries is already kept (OutgoingFiles) before this transaction."""
    message.state, message.state_at = State.QUEUED, now
    uow.messages.add(message)
    uow.notices.add(Notice(0, customer.channel, customer.address, message.body,
                           f"message:{message.id}", next_attempt_at=now, created_at=now,
                           message_id=message.id, ticket_id=ticket.id, via=customer.via,
                           template=template, media=media))
    uow.record(message_event(EventType.MESSAGE_SENT, ticket, message, now))
    return message


def tell_customer(uow: UnitOfWork, now: datetime, ticket: Ticket, customer: Customer,
                  text: str, key: str) -> bool:
    """giliran's own words to a customer (their ticket's number, that it is resolved), in the
    conversation like a reply; `key` makes sure they are told once."""
    if uow.messages.seen(key):
        return False
    send_to_customer(uow, now, ticket, customer, Message(
        ticket.id, customer.channel, key, "giliran", text, now, direction=Direction.OUT,
        author=SYSTEM_AUTHOR))
    return True


def tell_customer_resolved(uow: UnitOfWork, now: datetime, ticket: Ticket,
                           channels: frozenset[str]) -> bool:
    """A customer who wrote in on one of `channels` (those that tell, Telegram) hears that
    their ticket is resolved, in the language of their last message, in the transaction that
    completes it; their next message opens a new ticket. On other channels (WhatsApp),
    customers hear only what agents write to them."""
    customer = uow.customers.get(ticket.contact) if ticket.contact is not None else None
    if customer is None or customer.channel not in channels:
        return False
    last = uow.messages.last_incoming(ticket.id)
    text = say(last.language if last is not None and last.language else "en",
               "customer_closed", number=ticket.number)
    return tell_customer(uow, now, ticket, customer, text, f"ticket:{ticket.id}:resolved")


def start_cursor(uow: UnitOfWork, *, restart: bool = False) -> None:
    """Notices start with the next event: at the first pass, and again whenever a chat is
    linked while no other is (passes skip events while nobody listens, and nobody could be
    told of those)."""
    if restart or uow.settings.get(CURSOR) is None:
        uow.settings.put(CURSOR, str(uow.events.bounds()[1]))


def fan_out(ctx: Context) -> int:
    """New events become notices for the linked agents they concern."""
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        if uow.settings.get(CURSOR) is None:
            start_cursor(uow)
            uow.commit()
            return 0
        events = uow.events.after(int(uow.settings.get(CURSOR) or 0), PAGE)
        if not events:
            return 0
        made = sum(tell(uow, e, now) for e in events if now - e.at <= STALE)
        uow.settings.put(CURSOR, str(events[-1].id))
        uow.commit()
    return made


def claim(ctx: Context, limit: int) -> list[Notice]:
    """Lease the due notices; a crash while sending lets the lease run out and the notice go
    again. Two processes never take the same one: each claims rows the other is not claiming
    (NoticeRepository.claim), without waiting for dispatch's floor lock."""
    with ctx.uow(write=True, defer_lock=True) as uow:
        now = ctx.clock.now()
        due = uow.notices.claim(now, limit)
        for notice in due:
            d.lease(notice, now=now)
            uow.notices.save(notice)
        uow.commit()
    return due


def record(ctx: Context, notice_id: int, sent: Sent, max_attempts: int) -> None:
    with ctx.uow(write=True) as uow:
        found = uow.notices.get(notice_id)
        if found is None or found.status is not DeliveryStatus.PENDING:
            return
        now = ctx.clock.now()
        d.settle(found, sent.error, now=now, max_attempts=max_attempts,
                 wait=sent.wait, permanent=sent.permanent)
        found.sent_id = sent.channel_id if sent.error is None else found.sent_id
        uow.notices.save(found)
        if found.message_id is not None:
            if sent.blocked:
                _blocked_by(uow, found, now)
            _carried(uow, found, now)
        uow.commit()


def _blocked_by(uow: UnitOfWork, notice: Notice, now: datetime) -> None:
    """The customer a reply was for blocked the bot: kept with them (since when), so the
    conversation shows it and new replies are refused until they write again."""
    message = uow.messages.get(notice.message_id or 0)
    ticket = uow.tickets.get(message.ticket_id) if message is not None else None
    customer = (uow.customers.get(ticket.contact)
                if ticket is not None and ticket.contact is not None else None)
    if customer is not None and customer.blocked_at is None:
        customer.blocked_at = now
        uow.customers.save(customer)


def _carried(uow: UnitOfWork, notice: Notice, now: datetime) -> None:
    """The conversation message a notice carries: sent once the channel took it (with any
    report the channel made before this was recorded), failed once the outbox gave up."""
    message = uow.messages.get(notice.message_id or 0)
    if message is None:
        return
    moved = False
    if notice.status is DeliveryStatus.DELIVERED:
        message.channel_message_id = notice.sent_id
        moved = message.report(State.SENT, now)
        for early in (uow.messages.receipts(message.channel, notice.sent_id)
                      if notice.sent_id else []):
            moved = message.report(early.state, early.at, early.error) or moved
    elif notice.status is DeliveryStatus.DEAD:
        moved = message.report(State.FAILED, now, notice.last_error)
    if not moved:
        return
    uow.messages.save(message)
    ticket = uow.tickets.get(message.ticket_id)
    if ticket is not None:
        uow.record(message_event(EventType.MESSAGE_STATUS, ticket, message, now))


def backlog(ctx: Context) -> Backlog:
    """Listening while any chat is linked (only linked agents, and supervisors for SLA
    alerts, are told of events)."""
    with ctx.uow(write=False) as uow:
        listening = uow.chat_links.any() or supervisor_chats.any_linked(uow)
        cursor = uow.settings.get(CURSOR)
        if cursor is None or (listening and int(cursor) < uow.events.bounds()[1]):
            return Backlog(listening, True)
        return Backlog(listening, bool(uow.notices.due(ctx.clock.now(), 1)))


def list_notices(ctx: Context, who: Principal, status: DeliveryStatus | None, limit: int,
                 offset: int) -> tuple[list[Notice], int]:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return uow.notices.search(status, limit, offset)


def retry_notice(ctx: Context, who: Principal, notice_id: int) -> Notice:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        found = notice_or_404(uow, notice_id)
        now = ctx.clock.now()
        d.retry(found, now=now, name=f"notice {notice_id}")
        uow.notices.save(found)
        message = uow.messages.get(found.message_id) if found.message_id else None
        if message is not None:  # the conversation shows it on its way again
            message.state, message.state_at, message.error = State.QUEUED, now, None
            uow.messages.save(message)
            ticket = uow.tickets.get(message.ticket_id)
            if ticket is not None:
                uow.record(message_event(EventType.MESSAGE_STATUS, ticket, message, now))
        uow.commit()
    return found


def prune(ctx: Context, keep: timedelta) -> int:
    with ctx.uow(write=True) as uow:
        removed = uow.notices.prune_delivered(ctx.clock.now() - keep)
        uow.commit()
    return removed
