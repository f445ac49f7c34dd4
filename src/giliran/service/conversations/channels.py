"""Messages from customers on a channel (WhatsApp, Telegram), and the channels' reports.

A new customer's message opens a ticket in the queue the channel maps to; later messages join
their open ticket; a message delivered twice by the channel is recognised by its id and
changes nothing. Every kind of message is kept with its content. A reaction or a channel
notice (a changed number) never opens a ticket by itself: it joins the customer's open
ticket, or their latest one. A changed WhatsApp number links the new number to the same
customer, so their next message joins the ticket they have open. An edit replaces the text
shown and keeps the earlier ones. On a channel giliran can answer on, the customer is told the
new ticket's number (a notice in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from giliran.domain.conversation import (
    Customer,
    Kind,
    Message,
    Receipt,
    contact_key,
    summary,
)
from giliran.domain.event_types import EventType
from giliran.domain.events import message_event
from giliran.domain.model import DEFAULT_QUEUE, Ticket, TicketStatus
from giliran.domain.notices import language, say
from giliran.domain.people import channel_actor
from giliran.service.assignment import holds
from giliran.service.context import Context
from giliran.service.notices.notify import tell_customer
from giliran.service.ports import UnitOfWork
from giliran.service.sla import clocks as sla_clocks
from giliran.service.tickets.tickets import NewTicket, admit

TITLE_LENGTH = 80
LONGEST_BODY = 10_000
_NEVER_OPENS = frozenset({Kind.REACTION, Kind.SYSTEM})


class Outcome(StrEnum):
    OPENED = "opened"  # a new ticket
    ADDED = "added"  # joined the customer's open (or, for a reaction, latest) ticket
    DUPLICATE = "duplicate"  # seen before: nothing changed


@dataclass(frozen=True)
class Incoming:
    """A customer's message as a channel adapter reads it."""

    channel: str  # "whatsapp", "telegram"
    queue: str
    contact: str  # the customer's address on the channel
    sender: str  # how the customer is shown (a profile name, else the address)
    message_id: str
    text: str  # the text, or a caption
    at: datetime
    kind: Kind = Kind.TEXT
    content: dict[str, Any] = field(default_factory=dict)
    acknowledge: bool = False  # tell the customer the number of a ticket it opens
    language: str | None = None  # the customer's, for that answer
    username: str | None = None
    via: str | None = None  # the business number (or mailbox) written to
    # Channels whose customers keep several conversations apart (mail threads): the ticket
    # the channel threaded this message to (joined only while it is the same customer's and
    # open), or `new_thread` for one that starts a conversation of its own. Neither: the
    # customer's open ticket, as on a chat.
    thread: int | None = None
    new_thread: bool = False
    title: str | None = None  # what a new ticket is called (a mail's subject)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.message_id}"


def receive(ctx: Context, msg: Incoming) -> tuple[Outcome, Ticket | None]:
    with ctx.uow(write=True) as uow:  # under the floor lock: two messages of one new
        if uow.messages.seen(msg.key):  # customer cannot open two tickets
            return Outcome.DUPLICATE, None
        now = ctx.clock.now()
        customer = _customer(uow, msg, now)
        ticket = _thread(uow, msg, customer)
        if ticket is None and msg.kind in _NEVER_OPENS:
            ticket = next(iter(uow.tickets.for_contact(customer.key, 1)), None)
        outcome = Outcome.ADDED
        if ticket is not None and ticket.status is TicketStatus.ON_HOLD \
                and msg.kind not in _NEVER_OPENS:
            # What the hold waited for: back to its holder, or to the queue.
            holds.customer_wrote(ctx, uow, ticket, now=now, actor=channel_actor(msg.channel))
        if ticket is None:
            ticket = _open(ctx, uow, msg, customer)
            outcome = Outcome.OPENED
        message = uow.messages.add(Message(
            ticket.id, msg.channel, msg.key, msg.sender, msg.text[:LONGEST_BODY], msg.at,
            language=language(msg.language) if msg.language is not None else None,
            kind=msg.kind, content=msg.content))
        uow.record(message_event(EventType.MESSAGE_RECEIVED, ticket, message, now))
        if outcome is Outcome.ADDED and msg.kind not in _NEVER_OPENS:
            sla_clocks.customer_wrote(uow, ticket, now)
        if outcome is Outcome.OPENED and msg.acknowledge:
            tell_customer(uow, now, ticket, customer, say(
                language(msg.language), "customer_opened", number=ticket.number),
                f"{msg.key}:opened")
        uow.commit()
    return outcome, ticket


def _thread(uow: UnitOfWork, msg: Incoming, customer: Customer) -> Ticket | None:
    """The open ticket a message joins: the one its channel threaded it to, while that one
    is the same customer's and open (a thread's token forwarded to someone else, or a reply
    to a closed ticket, opens a new one); none for a new thread; else the customer's."""
    if msg.thread is not None:
        found = uow.tickets.get(msg.thread)
        if found is not None and found.contact == customer.key \
                and not found.status.is_final:
            return found
        return None
    if msg.new_thread:
        return None
    return uow.tickets.open_for_contact(customer.key)


def _open(ctx: Context, uow: UnitOfWork, msg: Incoming, customer: Customer) -> Ticket:
    line = ([msg.title.strip()] if msg.title and msg.title.strip()
            else summary(msg.kind, msg.text.strip(), msg.content).splitlines())
    title = line[0][:TITLE_LENGTH] if line and line[0].strip() else ""
    return admit(ctx, uow, NewTicket(
        title=title or f"{msg.channel} message from {msg.sender}"[:TITLE_LENGTH],
        queue=_taking(uow, msg.queue), category=msg.channel,
        description=msg.text[:LONGEST_BODY] or None, external_id=msg.key, contact=customer.key,
        contact_shared=msg.thread is not None or msg.new_thread,
    ), actor=channel_actor(msg.channel))


def _customer(uow: UnitOfWork, msg: Incoming, now: datetime) -> Customer:
    """Who wrote: known by this address (or one they moved from), or new. What the channel
    says of them now (name, username, the number written to) is kept; a changed number moves
    where replies go and makes the new number theirs too."""
    address = contact_key(msg.channel, msg.contact)
    customer = uow.customers.resolve(address)
    if customer is None:
        customer = Customer(address, msg.channel, msg.contact)
        uow.customers.add(customer)
    if msg.sender and msg.sender != msg.contact:
        customer.name = msg.sender[:200]
    customer.username = msg.username or customer.username
    customer.via = msg.via or customer.via
    customer.blocked_at = None  # writing to the bot unblocks it
    at = min(msg.at, now)  # the channel's clock, never ahead of ours
    if msg.kind is not Kind.SYSTEM and (customer.last_incoming_at is None
                                        or at > customer.last_incoming_at):
        customer.last_incoming_at = at
    moved_to = msg.content.get("new_address") if msg.kind is Kind.SYSTEM else None
    if moved_to:
        customer.address = str(moved_to)
        uow.customers.add_alias(contact_key(msg.channel, str(moved_to)), customer.key)
    uow.customers.save(customer)
    return customer


def _taking(uow: UnitOfWork, name: str) -> str:
    """The channel's queue, or `default` while that one is missing or deactivated: a
    customer's message is never turned away for the desk's configuration."""
    queue = uow.queues.get(name)
    return name if queue is not None and queue.active else DEFAULT_QUEUE


@dataclass(frozen=True)
class Edit:
    """The customer edited a message they sent earlier."""

    original: Incoming  # the message as it reads now, under its first id


def edit(ctx: Context, change: Edit) -> tuple[Outcome, Ticket | None]:
    """The latest text shows and the earlier ones are kept; an edit of a message giliran never
    saw is kept as a message of its own."""
    msg = change.original
    with ctx.uow(write=True) as uow:
        found = uow.messages.by_external_id(msg.key)
        if found is not None:
            ticket = uow.tickets.get(found.ticket_id)
            assert ticket is not None
            if found.body == msg.text[:LONGEST_BODY] and found.edited_at is not None:
                return Outcome.DUPLICATE, ticket
            found.edit(msg.text[:LONGEST_BODY], msg.content, msg.at)
            uow.messages.save(found)
            uow.record(message_event(EventType.MESSAGE_EDITED, ticket, found, ctx.clock.now()))
            uow.commit()
            return Outcome.ADDED, ticket
    return receive(ctx, msg)


def report(ctx: Context, receipt: Receipt) -> bool:
    """A channel's report on a message the desk sent (sent, delivered, read, failed); True
    when the message's state moved. A report that comes before the sender has recorded the
    message's id is kept, and applied when it does."""
    with ctx.uow(write=True) as uow:
        if not uow.messages.add_receipt(receipt):
            return False
        message = uow.messages.by_channel_id(receipt.channel, receipt.channel_message_id)
        moved = message is not None and message.report(receipt.state, receipt.at,
                                                       receipt.error)
        if message is not None and moved:
            uow.messages.save(message)
            ticket = uow.tickets.get(message.ticket_id)
            if ticket is not None:
                uow.record(message_event(EventType.MESSAGE_STATUS, ticket, message,
                                         ctx.clock.now()))
        uow.commit()
    return moved
