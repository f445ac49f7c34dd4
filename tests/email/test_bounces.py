"""What the agent sees on a reply by mail: sent once our SMTP server took it, failed with the
server's words when it refused it for good (still queued while it only asks to retry later),
and failed with the remote server's words when a bounce comes back later naming it; through
the courier's own `record` and the `report` every channel uses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.channels.email.bounces import CHANNEL, receipt_of_bounce
from giliran.channels.email.compose import message_id_of, reply_message
from giliran.domain.conversation import Customer, Direction, Message, Receipt, State
from giliran.domain.model import Ticket
from giliran.service.context import Context
from giliran.service.conversations.channels import report
from giliran.service.notices.notify import record, send_to_customer
from tests.email.smtp_capture import HOST, smtp_server
from tests.email.test_mail_out import a_reply, send

T0 = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
LATER = T0 + timedelta(minutes=4)


@dataclass(frozen=True)
class Bounce:
    """The fields of part A's `Mail.bounce` (RFC 3464's per-recipient fields)."""

    original_message_id: str | None
    recipient: str | None = "budi@example.com"
    action: str | None = "failed"
    status: str | None = "5.1.1"
    diagnostic: str | None = "smtp; 550 5.1.1 <budi@example.com>: Recipient address rejected"


def a_desk() -> tuple[Context, InMemoryStore]:
    clock = FakeClock(T0)
    store = InMemoryStore(clock)
    return Context(store, clock, "a" * 20, rng=random.Random(1)), store


def queued_reply(store: InMemoryStore, n: int) -> tuple[int, int]:
    """An agent's reply to Budi, queued in the outbox: (its message's id, its notice's id)."""
    budi = Customer("email:budi@example.com", CHANNEL, "budi@example.com", name="Budi")
    with store(write=True) as uow:
        ticket = uow.tickets.add(Ticket(0, "Tagihan ganda", created_at=T0))
        message = send_to_customer(uow, T0, ticket, budi, Message(
            ticket.id, CHANNEL, f"out:{n}", "Dewi", "Halo Budi", T0,
            direction=Direction.OUT, author="agent:1"))
        uow.commit()
    with store(write=False) as uow:
        (notice,) = [x for x in uow.notices.due(T0, 10) if x.message_id == message.id]
    return message.id, notice.id


def test_the_smtp_servers_answer_is_what_the_agent_sees_on_the_reply() -> None:
    ctx, store = a_desk()
    took, refused, busy = (queued_reply(store, n) for n in range(3))
    with smtp_server() as server:
        url = f"smtp://{HOST}:{server.port}"
        record(ctx, took[1], send(url, reply_message(a_reply())), max_attempts=5)
        server.refuse["budi@example.com"] = "550 5.1.1 <budi@example.com>: no such user"
        record(ctx, refused[1], send(url, reply_message(a_reply())), max_attempts=5)
        server.refuse["budi@example.com"] = "451 4.7.1 greylisted, try again later"
        record(ctx, busy[1], send(url, reply_message(a_reply())), max_attempts=5)
    with store(write=False) as uow:
        shown = [uow.messages.get(m) for m, _ in (took, refused, busy)]
    assert [(m.state, m.error, m.channel_message_id) for m in shown if m is not None] == [
        (State.SENT, None, message_id_of(a_reply())),
        (State.FAILED, "550 5.1.1 <budi@example.com>: no such user", None),
        (State.QUEUED, None, None)]


def test_a_reply_the_server_took_then_bounced_shows_as_failed_with_the_remote_words() -> None:
    ctx, store = a_desk()
    message_id, notice_id = queued_reply(store, 1)
    mail = reply_message(a_reply())
    with smtp_server() as server:
        record(ctx, notice_id, send(f"smtp://{HOST}:{server.port}", mail), max_attempts=5)
    receipt = receipt_of_bounce(Bounce(mail["Message-ID"]), LATER)  # the DSN quotes it
    mid = message_id_of(a_reply())
    assert receipt == Receipt(CHANNEL, mid, State.FAILED, LATER,
                              "budi@example.com: 550 5.1.1 <budi@example.com>: "
                              "Recipient address rejected")
    assert report(ctx, receipt)
    with store(write=False) as uow:
        failed = uow.messages.get(message_id)
    assert failed is not None and (failed.state, failed.error) == (State.FAILED, receipt.error)


def test_bounces_that_fail_nothing() -> None:
    ours = message_id_of(a_reply())
    assert receipt_of_bounce(Bounce(ours, action="delayed", status="4.4.7"), LATER) is None
    assert receipt_of_bounce(Bounce("CAF=x@mail.gmail.com"), LATER) is None  # not our reply
    assert receipt_of_bounce(Bounce(None), LATER) is None  # names nothing
    assert receipt_of_bounce(Bounce(ours, action="delivered", status="2.0.0"), LATER) == \
        Receipt(CHANNEL, ours, State.DELIVERED, LATER)


def test_a_bounce_without_a_diagnostic_says_its_status() -> None:
    ours = message_id_of(a_reply())
    receipt = receipt_of_bounce(Bounce(ours, action=None, status="5.2.2", diagnostic=None,
                                       recipient=None), LATER)
    assert receipt is not None and (receipt.state, receipt.error) == (State.FAILED, "5.2.2")
