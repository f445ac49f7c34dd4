"""Talking to customers: the desk's replies, the whole conversation, who the customer is, and
the media they sent.

Only the agent holding a ticket, or an admin, may read its conversation and answer; a reply is
a message of the conversation and a notice in the outbox, written in one transaction, so a
reply the API accepted is sent (with retries) even if the process dies right after. The
holder's first reply accepts the ticket when its queue says so (`reply_accepts`), which stops
the escalation timer: for a lead desk, "responded" means the customer got an answer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from giliran.domain import attachments, lifecycle
from giliran.domain.attachments import Attachment
from giliran.domain.conversation import (
    LONGEST_TEXT,
    WHATSAPP,
    Customer,
    Direction,
    Kind,
    Message,
)
from giliran.domain.errors import (
    CustomerBlocked,
    InvalidInput,
    InvalidTransition,
    NoChannel,
    NotConfigured,
    NotFound,
    NotYourTicket,
    OutsideCustomerWindow,
)
from giliran.domain.model import Reason, Ticket, TicketStatus
from giliran.domain.people import Can, Role
from giliran.service.context import Context, Principal
from giliran.service.lookups import agent_or_404, ticket_or_404
from giliran.service.notices.notify import send_to_customer
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_agent_change, record_move
from giliran.service.sla import clocks as sla_clocks
from giliran.service.tickets.tickets import check_holder, refill_after_accept

EARLIER_SHOWN = 20


@dataclass(frozen=True)
class Reply:
    text: str | None = None  # free text, or
    template: bool = False  # the configured WhatsApp template (outside the 24-hour window)
    idempotency_key: str | None = None  # the same key again returns the first reply
    attachment: Attachment | None = None  # a file (already kept), `text` its caption


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    earlier: list[Ticket]  # their other tickets across linked addresses, newest first
    window_open: bool
    template_available: bool  # a re-engagement template can be sent to them from here
    person: list[Customer]  # every address linked as one person, the first first


def reply(ctx: Context, who: Principal, ticket_id: int, wanted: Reply) -> tuple[Message, bool]:
    """Send `wanted` to the ticket's customer; (the message, whether it is new)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        may_answer(uow, who, ticket)
        key = f"out:{ticket.id}:{wanted.idempotency_key or secrets.token_hex(12)}"
        earlier = uow.messages.by_external_id(key) if wanted.idempotency_key else None
        if earlier is not None:
            return earlier, False
        customer = answerable(ctx, uow, ticket, wanted)
        now = ctx.clock.now()
        message = _outgoing(ctx, uow, who, ticket, customer, wanted, key, now)
        if who.role is Role.AGENT:  # the Floor's "last reply" (its sent event redraws it)
            agent = agent_or_404(uow, who.agent_id)
            agent.last_reply_at = now
            uow.agents.save(agent)
        _accept_by_reply(ctx, uow, who, ticket, now)
        sla_clocks.agent_replied(uow, ticket, now)
        uow.commit()
    return message, True


def upload_channel(ctx: Context, who: Principal, ticket_id: int) -> str:
    """The channel a file sent on this ticket goes out on (its types and limits), once the
    caller may answer there: checked before the upload is read, so a refused caller's file is
    never stored."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        may_answer(uow, who, ticket)
        return answerable(ctx, uow, ticket, Reply()).channel


def may_answer(uow: UnitOfWork, who: Principal, ticket: Ticket) -> None:
    who.require_queue(ticket.queue)
    if who.role is Role.AGENT and ticket.agent_id != who.agent_id:
        if any(e.to_agent_id == who.agent_id for e in uow.history.for_ticket(ticket.id)):
            raise lifecycle.revoked(ticket)
        raise NotYourTicket(f"ticket {ticket.number} is not in your queue")
    if ticket.status.is_final:
        raise InvalidTransition(
            f"ticket {ticket.number} is {ticket.status.value}; the customer's next message "
            "opens a new one")


def answerable(ctx: Context, uow: UnitOfWork, ticket: Ticket, wanted: Reply) -> Customer:
    customer = uow.customers.get(ticket.contact) if ticket.contact is not None else None
    if customer is None:
        raise NoChannel(f"ticket {ticket.number} did not come from a channel: there is no "
                        "customer to send to")
    if customer.channel not in ctx.sending:
        raise NotConfigured(f"this server cannot send on {customer.channel} (see the "
                            "'Talking to customers' settings)")
    if customer.blocked_at is not None:
        raise CustomerBlocked(
            f"the customer blocked the bot at {customer.blocked_at:%Y-%m-%d %H:%M} UTC: "
            "nothing reaches them until they write again")
    if wanted.template:  # a template goes alone: no caption, no file
        if customer.channel != WHATSAPP:
            raise InvalidInput("templates exist only on WhatsApp")
        if ctx.whatsapp_template is None:
            raise NotConfigured("no re-engagement template is configured "
                                "(GILIRAN_WHATSAPP_TEMPLATE)")
    if wanted.attachment is not None:
        _carried_by(customer.channel, wanted)
    if not wanted.template and not customer.window_open(ctx.clock.now()):
        raise OutsideCustomerWindow(
            "the customer last wrote more than 24 hours ago: WhatsApp takes only an approved "
            "template until they write again")
    return customer


def _carried_by(channel: str, wanted: Reply) -> None:
    """The file's type and size as its channel takes them (the route checked them while the
    file arrived; this holds for any caller)."""
    file = wanted.attachment
    assert file is not None
    if attachments.kind_for(channel, file.mime_type) is not file.kind:
        raise InvalidInput(f"{channel} carries {file.mime_type} differently")
    attachments.check_size(file.size, attachments.channel_cap(channel, file.kind))
    if len(wanted.text or "") > attachments.LONGEST_CAPTION:
        raise InvalidInput(f"a caption may be at most {attachments.LONGEST_CAPTION} "
                           "characters")


def _outgoing(ctx: Context, uow: UnitOfWork, who: Principal, ticket: Ticket,
              customer: Customer, wanted: Reply, key: str, now: datetime) -> Message:
    sender = (agent_or_404(uow, who.agent_id).name if who.role is Role.AGENT
              else who.name or "admin")
    template = ctx.whatsapp_template if wanted.template else None
    text = f"[{template}]" if template else (wanted.text or "")[:LONGEST_TEXT]
    file = wanted.attachment
    kind = Kind.TEMPLATE if template else file.kind if file else Kind.TEXT
    content = ({"template": template} if template else file.content() if file else {})
    message = Message(ticket.id, customer.channel, key, sender, text, now,
                      direction=Direction.OUT, author=who.actor, kind=kind, content=content)
    return send_to_customer(uow, now, ticket, customer, message, template, file)


def _accept_by_reply(ctx: Context, uow: UnitOfWork, who: Principal, ticket: Ticket,
                     now: datetime) -> None:
    """The holder's first reply to an assigned ticket accepts it, when its queue says so (and
    with `slot_freed_on: accept`, the agent's next lead may come at once)."""
    if who.role is not Role.AGENT or ticket.status is not TicketStatus.ASSIGNED:
        return
    queue = uow.queues.get(ticket.queue)
    if queue is None or not queue.reply_accepts:
        return
    agent = agent_or_404(uow, who.agent_id)
    missed = agent.state_in(ticket.queue).missed_in_row  # accepting forgets them
    record_move(uow, ticket, lifecycle.accept(ticket, agent, now=now, actor=who.by,
                                                     reason=Reason.REPLIED))
    if missed:
        record_agent_change(uow, agent, now)
    uow.tickets.save(ticket)
    uow.agents.save(agent)
    refill_after_accept(ctx, uow, queue)


def conversation(ctx: Context, who: Principal, ticket_id: int, limit: int,
                 offset: int) -> tuple[list[Message], int]:
    """The whole conversation, both directions, oldest first (admins, and the holder)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        check_holder(who, ticket)
        return (uow.messages.for_ticket(ticket_id, limit, offset),
                uow.messages.count_for_ticket(ticket_id))


def customer_of(ctx: Context, who: Principal, ticket_id: int) -> CustomerView:
    """Who the ticket is for, and their other tickets, on every address linked with theirs
    (admins, and the holder)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        check_holder(who, ticket)
        customer = uow.customers.get(ticket.contact) if ticket.contact is not None else None
        if customer is None:
            raise NotFound(f"ticket {ticket.number} did not come from a channel")
        linked = uow.customers.person(customer.key)
        found, _ = uow.tickets.for_contacts([c.key for c in linked], EARLIER_SHOWN + 1)
        earlier = [t for t in found if t.id != ticket.id][:EARLIER_SHOWN]
    return CustomerView(customer, earlier, customer.window_open(ctx.clock.now()),
                        template_available(ctx, customer), linked)


def template_available(ctx: Context, customer: Customer) -> bool:
    """Whether `{"template": true}` can reach this customer: a WhatsApp customer, on a server
    that sends on WhatsApp and has an approved template configured. The page offers the
    template only then (it used to offer it always, then answer 503)."""
    return (customer.channel == WHATSAPP and WHATSAPP in ctx.sending
            and ctx.whatsapp_template is not None)


def media_of(ctx: Context, who: Principal, ticket_id: int, message_id: int) -> Message:
    """A message whose media the caller may fetch (admins, and the holder)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        check_holder(who, ticket)
        message = uow.messages.get(message_id)
    if message is None or message.ticket_id != ticket.id or message.media_id is None:
        raise NotFound(f"message {message_id} of ticket {ticket.number} has no media")
    return message
