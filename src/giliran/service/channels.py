"""Messages from customers on a channel (WhatsApp, Telegram): a new contact's message opens a
ticket in the queue the channel maps to; later messages join it while it is open; a message
delivered twice by the channel is recognised by its id and changes nothing. On a channel giliran
can answer on, the customer is told the new ticket's number (a notice in the same transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from giliran.domain.model import DEFAULT_QUEUE, Message, Ticket
from giliran.domain.notices import language, say
from giliran.service.context import Context, Principal, Role
from giliran.service.lookups import ticket_or_404
from giliran.service.notify import queue_notice
from giliran.service.ports import UnitOfWork
from giliran.service.tickets import NewTicket, admit, check_holder

TITLE_LENGTH = 80


class Outcome(StrEnum):
    OPENED = "opened"  # a new ticket
    ADDED = "added"  # joined the contact's open ticket
    DUPLICATE = "duplicate"  # seen before: nothing changed


@dataclass(frozen=True)
class Incoming:
    channel: str  # "whatsapp"
    queue: str
    contact: str  # the customer's address on the channel
    sender: str  # how the customer is shown (a profile name, else the address)
    message_id: str
    text: str
    at: datetime
    acknowledge: bool = False  # tell the customer the number of a ticket it opens
    language: str | None = None  # the customer's, for that answer


def receive(ctx: Context, msg: Incoming) -> tuple[Outcome, Ticket | None]:
    with ctx.uow(write=True) as uow:  # under the floor lock: two messages of one new
        key = f"{msg.channel}:{msg.message_id}"  # contact cannot open two tickets
        if uow.messages.seen(key):
            return Outcome.DUPLICATE, None
        contact = f"{msg.channel}:{msg.contact}"
        ticket = uow.tickets.open_for_contact(contact)
        outcome = Outcome.ADDED
        if ticket is None:
            title = msg.text.strip().splitlines()[0][:TITLE_LENGTH] if msg.text.strip() else ""
            ticket = admit(ctx, uow, NewTicket(
                title=title or f"{msg.channel} message from {msg.sender}"[:TITLE_LENGTH],
                queue=_taking(uow, msg.queue), category=msg.channel, description=msg.text[:10_000],
                external_id=key, contact=contact,
            ), actor=f"{msg.channel}")
            outcome = Outcome.OPENED
            if msg.acknowledge:
                text = say(language(msg.language), "customer_opened", number=ticket.number)
                queue_notice(uow, ctx.clock.now(), msg.contact, text, f"{key}:opened")
        uow.messages.add(Message(ticket.id, msg.channel, key, msg.sender, msg.text[:10_000],
                                 msg.at, language=_speaks(msg)))
        uow.commit()
    return outcome, ticket


def _speaks(msg: Incoming) -> str | None:
    """The language giliran answers this customer in, where the channel tells it."""
    return language(msg.language) if msg.language is not None else None


def _taking(uow: UnitOfWork, name: str) -> str:
    """The channel's queue, or `default` while that one is missing or deactivated: a
    customer's message is never turned away for the desk's configuration."""
    queue = uow.queues.get(name)
    return name if queue is not None and queue.active else DEFAULT_QUEUE


def messages(ctx: Context, who: Principal, ticket_id: int) -> list[Message]:
    """What the customer wrote (admins, and the agent holding the ticket)."""
    who.require(Role.ADMIN, Role.AGENT)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        check_holder(who, ticket)
        return uow.messages.for_ticket(ticket_id)
