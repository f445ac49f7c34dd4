"""Failed replies are never silent: a reply the channel refused (WhatsApp's 131047 outside
the 24-hour window), or that the outbox gave up on, marks its ticket until it is resolved: a
later reply reaches the customer, or the failed one is retried and goes through.

The rule itself is domain.conversation.unresolved_failures (the repositories run it where the
messages are); here are what the inbox, the supervisors' list and the retry ask of it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from giliran.domain import delivery as d
from giliran.domain.conversation import Customer, Direction, Kind, Message, State
from giliran.domain.errors import InvalidTransition, NotFound
from giliran.domain.event_types import EventType
from giliran.domain.events import message_event
from giliran.domain.model import Ticket
from giliran.domain.notices import Notice
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.conversations.conversation import Reply, answerable, may_answer
from giliran.service.lookups import ticket_or_404
from giliran.service.ports import UnitOfWork


def unresolved_failures(uow: UnitOfWork, ticket_ids: Collection[int]) -> set[int]:
    """Which of these tickets have a failed reply nobody resolved yet (the inbox's marker)."""
    if not ticket_ids:
        return set()
    return {m.ticket_id for m in uow.messages.unresolved_failures(ticket_ids=ticket_ids)}


def failed_notices(ctx: Context, who: Principal, limit: int,
                   offset: int) -> tuple[list[Notice], int]:
    """For supervisors: the notices of open tickets' unresolved failed replies (of the queues
    they supervise), newest first, and how many there are."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        failed = uow.messages.unresolved_failures(queues=who.queues, open_only=True)
        found = [n for m in failed[offset:offset + limit]
                 if (n := uow.notices.by_key(f"message:{m.id}")) is not None]
    return found, len(failed)


def retry_reply(ctx: Context, who: Principal, ticket_id: int, message_id: int) -> Message:
    """A failed reply goes out again, as it was: queued now, under the rules a new reply
    meets (the holder or a supervisor; the customer's window on WhatsApp, where only the
    template is taken outside it)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        may_answer(uow, who, ticket)
        message = uow.messages.get(message_id)
        if message is None or message.ticket_id != ticket.id:
            raise NotFound(f"no message {message_id} in ticket {ticket.number}")
        if message.direction is not Direction.OUT or message.state is not State.FAILED:
            raise InvalidTransition(f"message {message_id} is not a failed reply: only those "
                                    "are retried")
        customer = answerable(ctx, uow, ticket, Reply(template=message.kind is Kind.TEMPLATE))
        now = ctx.clock.now()
        _send_again(uow, ticket, customer, message, now)
        message.state, message.state_at, message.error = State.QUEUED, now, None
        message.channel_message_id = None
        uow.messages.save(message)
        uow.record(message_event(EventType.MESSAGE_STATUS, ticket, message, now))
        uow.commit()
    return message


def _send_again(uow: UnitOfWork, ticket: Ticket, customer: Customer, message: Message,
                now: datetime) -> None:
    """Its notice gets a fresh round of attempts (one pruned since the channel took it is
    written anew, under the same key)."""
    notice = uow.notices.by_key(f"message:{message.id}")
    if notice is None:
        uow.notices.add(Notice(0, customer.channel, customer.address, message.body,
                               f"message:{message.id}", next_attempt_at=now, created_at=now,
                               message_id=message.id, ticket_id=ticket.id, via=customer.via,
                               template=message.content.get("template")))
        return
    d.send_again(notice, now=now, name=f"message {message.id}")
    notice.sent_id = None
    uow.notices.save(notice)
