"""A channel whose customers keep several conversations apart (mail): a message joins the
ticket its channel threaded it to, but only while that ticket is the same customer's and
open; a new thread opens a ticket of its own beside the customer's open one. A chat channel's
messages (no thread named) keep joining the customer's open ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from giliran.bootstrap import Container
from giliran.domain.model import TicketStatus
from giliran.service.conversations.channels import Incoming, Outcome, receive

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_ids = count(1)


def mail(contact: str, **kw: Any) -> Incoming:
    return Incoming(channel="pigeon", queue="default", contact=contact, sender=contact,
                    message_id=f"m{next(_ids)}", text="hello", at=AT, **kw)


def test_a_new_thread_opens_beside_the_open_ticket_and_replies_find_theirs(
        container: Container) -> None:
    ctx = container.ctx
    outcome, first = receive(ctx, mail("ana", title="Printer broken"))
    assert outcome is Outcome.OPENED and first is not None and first.title == "Printer broken"
    outcome, second = receive(ctx, mail("ana", new_thread=True, title="Invoice"))
    assert outcome is Outcome.OPENED and second is not None and second.id != first.id
    outcome, joined = receive(ctx, mail("ana", thread=first.id))
    assert outcome is Outcome.ADDED and joined is not None and joined.id == first.id


def test_a_thread_of_another_customer_or_a_closed_one_opens_a_new_ticket(
        container: Container) -> None:
    ctx = container.ctx
    _, ana = receive(ctx, mail("ana"))
    assert ana is not None
    outcome, budi = receive(ctx, mail("budi", thread=ana.id))
    assert outcome is Outcome.OPENED and budi is not None and budi.id != ana.id
    with ctx.uow(write=True) as uow:
        ticket = uow.tickets.get(ana.id)
        assert ticket is not None
        ticket.status = TicketStatus.CANCELLED
        uow.tickets.save(ticket)
        uow.commit()
    outcome, again = receive(ctx, mail("ana", thread=ana.id))
    assert outcome is Outcome.OPENED and again is not None and again.id not in (ana.id, budi.id)


def test_without_a_thread_a_chat_message_joins_the_open_ticket(container: Container) -> None:
    ctx = container.ctx
    _, first = receive(ctx, mail("cici"))
    outcome, second = receive(ctx, mail("cici"))
    assert first is not None and second is not None
    assert outcome is Outcome.ADDED and second.id == first.id
