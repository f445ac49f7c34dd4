"""The notices outbox and chat links behave the same in memory, on SQLite and on PostgreSQL,
so the in-memory twin stays an honest stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from giliran.domain import delivery as d
from giliran.domain.attachments import Attachment
from giliran.domain.conversation import Kind, Message
from giliran.domain.delivery import DeliveryStatus
from giliran.domain.model import Agent, Ticket
from giliran.domain.notices import ChatLink, Notice
from giliran.service.ports import UnitOfWorkFactory

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def notice(key: str, chat: str = "1", at: datetime = T0) -> Notice:
    return Notice(0, "telegram", chat, f"text {key}", key, (("✅", "accept:1"),),
                  next_attempt_at=at, created_at=at)


def test_notices_are_kept_once_per_key_and_come_due_in_order(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        assert w.notices.add(notice("b", at=T0 + timedelta(seconds=5)))
        assert w.notices.add(notice("a"))
        assert not w.notices.add(notice("a", chat="2"))
        w.commit()
    with uow(write=True) as w:
        due = w.notices.due(T0 + timedelta(seconds=10), 10)
        assert [(n.key, n.chat_id, n.buttons) for n in due] == [
            ("a", "1", (("✅", "accept:1"),)), ("b", "1", (("✅", "accept:1"),))]
        due[0].leased_until = T0 + timedelta(seconds=60)
        w.notices.save(due[0])
        d.failed(due[1], "NetworkError", now=T0, max_attempts=1)
        w.notices.save(due[1])
        w.commit()
    with uow(write=True) as w:
        assert w.notices.due(T0 + timedelta(seconds=10), 10) == []  # leased, and dead
        assert [n.key for n in w.notices.due(T0 + timedelta(seconds=61), 10)] == ["a"]
        first = w.notices.due(T0 + timedelta(seconds=61), 10)[0]
        d.succeeded(first, now=T0)
        w.notices.save(first)
        w.commit()
    with uow(write=True) as w:
        dead, total = w.notices.search(DeliveryStatus.DEAD, 10, 0)
        assert (total, [n.key for n in dead], dead[0].last_error) == (1, ["b"], "NetworkError")
        assert w.notices.search(None, 1, 1)[1] == 2
        assert w.notices.prune_delivered(T0 + timedelta(seconds=1)) == 1
        w.commit()
    with uow(write=False) as r:
        assert [n.key for n in r.notices.search(None, 10, 0)[0]] == ["b"]


def test_a_chat_speaks_for_one_agent_and_a_code_links_once(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        a = w.agents.add(Agent(0, "A"), "hash-a")
        b = w.agents.add(Agent(0, "B"), "hash-b")
        assert not w.chat_links.any()
        w.chat_links.link(ChatLink(a.id, "100", "id"))
        assert w.chat_links.any()
        w.chat_links.link(ChatLink(b.id, "100", "en"))  # the chat moves to B
        w.chat_links.add_code("code-1", a.id, T0 + timedelta(minutes=15))
        w.chat_links.add_code("code-2", a.id, T0 + timedelta(minutes=1))
        w.commit()
    with uow(write=True) as w:
        assert w.chat_links.for_agent(a.id) is None
        assert w.chat_links.for_chat("100") == ChatLink(b.id, "100", "en")
        assert w.chat_links.take_code("code-1", T0 + timedelta(minutes=5)) == a.id
        assert w.chat_links.take_code("code-1", T0 + timedelta(minutes=5)) is None
        assert w.chat_links.take_code("code-2", T0 + timedelta(minutes=5)) is None  # expired
        assert w.chat_links.take_code("nope", T0) is None
        assert w.chat_links.unlink(b.id) and not w.chat_links.unlink(b.id)
        w.commit()
    with uow(write=False) as r:
        assert r.chat_links.for_chat("100") is None and not r.chat_links.any()


def test_a_message_keeps_the_language_its_customer_is_answered_in(
    uow: UnitOfWorkFactory,
) -> None:
    with uow(write=True) as w:
        tid = w.tickets.add(Ticket(0, "t", created_at=T0)).id
        w.messages.add(Message(tid, "telegram", "telegram:1:1", "Budi", "halo", T0,
                               language="id"))
        w.messages.add(Message(tid, "whatsapp", "whatsapp:wamid.1", "+62", "hi", T0))
        w.commit()
    with uow(write=False) as r:
        assert [(m.external_id, m.language) for m in r.messages.for_ticket(tid)] == [
            ("telegram:1:1", "id"), ("whatsapp:wamid.1", None)]


def test_a_notice_keeps_the_file_it_carries(uow: UnitOfWorkFactory) -> None:
    file = Attachment("0f" * 16, "application/pdf", "brosur.pdf", 2048, Kind.DOCUMENT)
    with uow(write=True) as w:
        assert w.notices.add(Notice(0, "whatsapp", "628", "caption", "message:9",
                                    next_attempt_at=T0, created_at=T0, media=file))
        assert w.notices.add(notice("plain"))
        w.commit()
    with uow(write=False) as r:
        carried, plain = r.notices.due(T0, 10)
        assert (carried.media, carried.text, plain.media) == (file, "caption", None)
