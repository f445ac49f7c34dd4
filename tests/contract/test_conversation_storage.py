"""Conversations are stored alike in memory, on SQLite and on PostgreSQL: messages in both
directions with their content, their state and edits, the channels' reports, customers with
the addresses they moved to, and the notices that carry replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from giliran.domain import delivery as d
from giliran.domain.conversation import Customer, Direction, Kind, Message, Receipt, State
from giliran.domain.errors import ContactHasOpenTicket
from giliran.domain.model import Ticket, TicketStatus
from giliran.domain.notices import Notice
from giliran.service.ports import UnitOfWorkFactory

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LOCATION = {"latitude": -6.2, "longitude": 106.816666, "name": "Monas",
            "address": "Gambir, Jakarta", "reply_to": "wamid.X"}


def test_messages_keep_direction_kind_content_state_and_edits(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        tid = w.tickets.add(Ticket(0, "t", created_at=T0)).id
        first = w.messages.add(Message(tid, "whatsapp", "whatsapp:wamid.1", "Budi", "", T0,
                                       kind=Kind.LOCATION, content=LOCATION))
        out = w.messages.add(Message(tid, "whatsapp", "out:1:a", "Sari", "Halo Budi",
                                     T0 + timedelta(seconds=5), direction=Direction.OUT,
                                     author="agent:3", state=State.QUEUED))
        assert (first.id, out.id) != (0, 0) and first.id < out.id
        w.commit()
    with uow(write=True) as w:
        out2 = w.messages.get(out.id)
        assert out2 is not None and out2.state is State.QUEUED
        out2.channel_message_id = "wamid.OUT"
        out2.report(State.DELIVERED, T0 + timedelta(seconds=9))
        w.messages.save(out2)
        kept = w.messages.by_external_id("whatsapp:wamid.1")
        assert kept is not None
        kept.edit("Di sini", {}, T0 + timedelta(seconds=20))
        w.messages.save(kept)
        w.commit()
    with uow(write=False) as r:
        both = r.messages.for_ticket(tid)
        assert [(m.direction, m.kind) for m in both] == [
            (Direction.IN, Kind.LOCATION), (Direction.OUT, Kind.TEXT)]
        assert both[0].body == "Di sini" and both[0].edited_at == T0 + timedelta(seconds=20)
        assert both[0].content["edits"] == [{"body": "", "at": T0.isoformat()}]
        found = r.messages.by_channel_id("whatsapp", "wamid.OUT")
        assert found is not None and (found.id, found.state, found.author) == (
            out.id, State.DELIVERED, "agent:3")
        assert r.messages.by_channel_id("telegram", "wamid.OUT") is None
        assert r.messages.count_for_ticket(tid) == 2
        assert [m.id for m in r.messages.for_ticket(tid, 1, 1)] == [out.id]
        last = r.messages.last_incoming(tid)
        assert last is not None and last.id == first.id


def test_a_message_kept_before_keeps_its_location_exactly(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        tid = w.tickets.add(Ticket(0, "t", created_at=T0)).id
        w.messages.add(Message(tid, "whatsapp", "whatsapp:wamid.2", "Budi", "", T0,
                               kind=Kind.LOCATION, content=LOCATION))
        w.commit()
    with uow(write=False) as r:
        (m,) = r.messages.for_ticket(tid)
        assert m.content == LOCATION and m.media_id is None


def test_a_report_is_kept_once_and_found_by_the_channels_id(uow: UnitOfWorkFactory) -> None:
    read = Receipt("whatsapp", "wamid.9", State.READ, T0 + timedelta(seconds=3))
    with uow(write=True) as w:
        assert w.messages.add_receipt(Receipt("whatsapp", "wamid.9", State.SENT, T0))
        assert w.messages.add_receipt(read)
        assert not w.messages.add_receipt(read)  # redelivered by the channel
        w.commit()
    with uow(write=True) as w:
        assert not w.messages.add_receipt(read)
        assert [r.state for r in w.messages.receipts("whatsapp", "wamid.9")] == [
            State.SENT, State.READ]
        assert w.messages.receipts("whatsapp", "other") == []


def test_a_customer_who_changed_number_is_found_by_either(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        w.customers.add(Customer("whatsapp:628111", "whatsapp", "628111", name="Budi",
                                 via="1065", last_incoming_at=T0))
        w.commit()
    with uow(write=True) as w:
        budi = w.customers.resolve("whatsapp:628111")
        assert budi is not None and (budi.name, budi.via) == ("Budi", "1065")
        budi.address = "628222"
        w.customers.save(budi)
        w.customers.add_alias("whatsapp:628222", budi.key)
        w.customers.add_alias("whatsapp:628222", budi.key)  # said twice: still one
        w.commit()
    with uow(write=False) as r:
        moved = r.customers.resolve("whatsapp:628222")
        assert moved is not None and (moved.key, moved.address) == ("whatsapp:628111", "628222")
        assert moved.shown_address == "+628222"
        assert r.customers.resolve("whatsapp:628333") is None
        assert r.customers.get("whatsapp:628222") is None


def test_when_a_customer_blocked_the_bot_is_kept_and_cleared(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        w.customers.add(Customer("telegram:9001", "telegram", "9001", blocked_at=T0))
        w.commit()
    with uow(write=True) as w:
        found = w.customers.get("telegram:9001")
        assert found is not None and found.blocked_at == T0
        found.blocked_at = None
        w.customers.save(found)
        w.commit()
    with uow(write=False) as r:
        cleared = r.customers.get("telegram:9001")
        assert cleared is not None and cleared.blocked_at is None


def test_a_customers_tickets_come_newest_first(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        ids = [w.tickets.add(Ticket(0, f"t{i}", created_at=T0, contact="telegram:5",
                                    status=TicketStatus.COMPLETED)).id for i in range(3)]
        w.tickets.add(Ticket(0, "other", created_at=T0, contact="telegram:6"))
        w.commit()
    with uow(write=False) as r:
        assert [t.id for t in r.tickets.for_contact("telegram:5", 2)] == ids[::-1][:2]


def test_a_customer_has_one_open_ticket_at_a_time(uow: UnitOfWorkFactory) -> None:
    """A second open ticket for one contact is refused and writes nothing; once the first is
    closed the customer can have a new one, and tickets without a contact are never limited."""
    with uow(write=True) as w:
        first = w.tickets.add(Ticket(0, "first", created_at=T0, contact="telegram:5"))
        w.tickets.add(Ticket(0, "no contact", created_at=T0))
        w.tickets.add(Ticket(0, "no contact", created_at=T0))
        w.commit()
    with uow(write=True) as w, pytest.raises(ContactHasOpenTicket):
        w.tickets.add(Ticket(0, "second", created_at=T0, contact="telegram:5"))
    with uow(write=True) as w:
        assert [t.title for t in w.tickets.for_contact("telegram:5", 5)] == ["first"]
        closed = w.tickets.get(first.id)
        assert closed is not None
        closed.status = TicketStatus.COMPLETED
        w.tickets.save(closed)
        w.tickets.add(Ticket(0, "next", created_at=T0, contact="telegram:5"))
        w.commit()
    with uow(write=False) as r:
        found = r.tickets.open_for_contact("telegram:5")
        assert found is not None and found.title == "next"


def test_a_notice_is_found_by_what_the_chat_received(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        n = Notice(0, "telegram", "700", "🎫 …", "event:1:agent:1", next_attempt_at=T0,
                   created_at=T0, ticket_id=42)
        assert w.notices.add(n) and w.notices.exists("event:1:agent:1")
        assert not w.notices.exists("event:2:agent:1")
        w.commit()
    with uow(write=True) as w:
        (due,) = w.notices.due(T0, 10)
        d.succeeded(due, now=T0)
        due.sent_id = "555"
        w.notices.save(due)
        w.commit()
    with uow(write=False) as r:
        found = r.notices.by_sent_id("700", "555")
        assert found is not None and (found.ticket_id, found.key) == (42, "event:1:agent:1")
        assert r.notices.by_sent_id("701", "555") is None


def test_ids_are_never_given_out_twice_after_a_prune(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        for key in ("a", "b", "c"):
            w.notices.add(Notice(0, "telegram", "1", key, key, next_attempt_at=T0,
                                 created_at=T0))
        w.commit()
    with uow(write=True) as w:
        first = w.notices.due(T0, 1)[0]
        d.succeeded(first, now=T0)
        w.notices.save(first)
        assert w.notices.prune_delivered(T0 + timedelta(seconds=1)) == 1
        w.commit()
    with uow(write=True) as w:
        fresh = Notice(0, "telegram", "1", "d", "d", next_attempt_at=T0, created_at=T0)
        w.notices.add(fresh)
        w.commit()
    with uow(write=False) as r:
        keys = {n.id: n.key for n in r.notices.search(None, 10, 0)[0]}
        assert len(keys) == 3 and keys[fresh.id] == "d"
