"""A bounce names the reply that did not arrive, and that reply shows as failed with the
remote server's words (what the agent sees), through the same report every channel uses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.channels.email.bounces import CHANNEL, receipt_of_bounce
from giliran.channels.email.compose import message_id_of, reply_message
from giliran.domain.conversation import Direction, Message, Receipt, State
from giliran.domain.model import Ticket
from giliran.service.context import Context
from giliran.service.conversations.channels import report
from tests.email.test_mail_out import a_reply

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


def test_a_bounced_reply_shows_as_failed_with_the_remote_servers_words() -> None:
    clock = FakeClock(T0)
    store = InMemoryStore(clock)
    ctx = Context(store, clock, "a" * 20, rng=random.Random(1))
    mid = message_id_of(a_reply())
    with store(write=True) as uow:
        tid = uow.tickets.add(Ticket(0, "Tagihan ganda", created_at=T0)).id
        out = uow.messages.add(Message(tid, CHANNEL, "out:1", "Dewi", "Halo Budi", T0,
                                       direction=Direction.OUT, author="agent:1",
                                       state=State.SENT))
        out.channel_message_id = mid
        uow.messages.save(out)
        uow.commit()
    receipt = receipt_of_bounce(Bounce(f"<{mid}>"), LATER)
    assert receipt == Receipt(CHANNEL, mid, State.FAILED, LATER,
                              "budi@example.com: 550 5.1.1 <budi@example.com>: "
                              "Recipient address rejected")
    assert report(ctx, receipt)
    with store(write=False) as uow:
        failed = uow.messages.get(out.id)
    assert failed is not None and failed.state is State.FAILED
    assert failed.error == receipt.error


def test_the_bounce_names_the_message_id_the_reply_went_out_with() -> None:
    mail = reply_message(a_reply())
    assert receipt_of_bounce(Bounce(mail["Message-ID"]), LATER) is not None


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
