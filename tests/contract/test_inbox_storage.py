"""What the inbox reads and keeps is stored alike in memory, on SQLite and on PostgreSQL: who
spoke last in each conversation, each ticket's newest message, per-reader read marks (only
moving forward) and the unread counts they give, customers by key, and canned replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from giliran.domain.canned import CannedReply
from giliran.domain.conversation import SYSTEM_AUTHOR, Customer, Direction, Message
from giliran.domain.inbox import Thread
from giliran.domain.model import Queue, Ticket
from giliran.service.ports import UnitOfWorkFactory

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _said(tid: int, n: int, direction: Direction, author: str | None = None) -> Message:
    return Message(tid, "telegram", f"m:{tid}:{n}", "x", f"text {n}", T0 + timedelta(minutes=n),
                   direction=direction, author=author)


def _conversation(uow: UnitOfWorkFactory) -> tuple[int, int, list[int]]:
    """A ticket whose customer wrote twice since the agent's answer, and a silent ticket."""
    with uow(write=True) as w:
        tid = w.tickets.add(Ticket(0, "talk", created_at=T0)).id
        silent = w.tickets.add(Ticket(0, "silent", created_at=T0)).id
        said = [(Direction.IN, None), (Direction.OUT, SYSTEM_AUTHOR), (Direction.IN, None),
                (Direction.OUT, "agent:1"), (Direction.NOTE, "agent:1"), (Direction.IN, None),
                (Direction.NOTE, "user:2"), (Direction.IN, None)]
        ids = [w.messages.add(_said(tid, n, d, a)).id for n, (d, a) in enumerate(said)]
        w.commit()
    return tid, silent, ids


def test_who_spoke_last_and_the_newest_message_per_ticket(uow: UnitOfWorkFactory) -> None:
    tid, silent, ids = _conversation(uow)
    with uow(write=False) as r:
        threads = r.messages.threads([tid, silent])
        # giliran's own words and the notes answer nobody; the customer waits since minute 5
        assert threads == {tid: Thread(ids[7], ids[3], T0 + timedelta(minutes=5))}
        assert threads[tid].awaiting_reply
        newest = r.messages.newest([tid, silent])
        assert list(newest) == [tid] and newest[tid].id == ids[7]
        assert r.messages.threads([]) == {} and r.messages.newest([]) == {}
    with uow(write=True) as w:
        answer = w.messages.add(_said(tid, 9, Direction.OUT, "agent:1")).id
        w.messages.add(_said(tid, 10, Direction.NOTE, "agent:1"))
        w.commit()
    with uow(write=False) as r:
        assert r.messages.threads([tid])[tid] == Thread(ids[7], answer, None)
        assert not r.messages.threads([tid])[tid].awaiting_reply
        assert r.messages.newest([tid])[tid].direction is Direction.NOTE


def test_read_marks_are_per_reader_and_only_move_forward(uow: UnitOfWorkFactory) -> None:
    tid, silent, ids = _conversation(uow)
    with uow(write=True) as w:
        assert w.reads.unread("agent:1", [tid, silent]) == {tid: 4}
        assert w.reads.mark(tid, "agent:1", ids[3], T0) == ids[3]
        assert w.reads.unread("agent:1", [tid, silent]) == {tid: 2}
        w.commit()
    with uow(write=True) as w:
        assert w.reads.mark(tid, "agent:1", ids[0], T0) == ids[3]  # a late, older mark
        assert w.reads.mark(tid, "user:2", ids[7], T0) == ids[7]
        w.commit()
    with uow(write=True) as w:
        w.reads.mark(tid, "agent:1", ids[7], T0)  # rolled back: never committed
    with uow(write=False) as r:
        assert r.reads.unread("agent:1", [tid]) == {tid: 2}
        assert r.reads.unread("user:2", [tid]) == {}
        assert r.reads.unread("agent:9", [tid]) == {tid: 4}
        assert r.reads.unread("agent:1", []) == {}


def test_customers_by_key(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        for n in (1, 2):
            w.customers.add(Customer(f"telegram:{n}", "telegram", str(n), name=f"C{n}"))
        w.commit()
    with uow(write=False) as r:
        found = r.customers.many(["telegram:1", "telegram:2", "telegram:3", "telegram:1"])
        assert {k: c.name for k, c in found.items()} == {"telegram:1": "C1", "telegram:2": "C2"}
        assert r.customers.many([]) == {}


def test_canned_replies_are_kept_changed_removed_and_found(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        w.queues.add(Queue("sales"))
        made = [w.canned_replies.add(CannedReply(name, "Hi {customer_name}", T0, "user:1",
                                                 queue, language))
                for name, queue, language in (("greet", None, None), ("halo", None, "id"),
                                              ("price", "sales", "en"),
                                              ("refund", "default", None))]
        w.commit()
    greet, halo, price, refund = (r.id for r in made)
    assert len({greet, halo, price, refund}) == 4 and 0 not in {greet, halo, price, refund}
    with uow(write=True) as w:
        changed = w.canned_replies.get(price)
        assert changed is not None and (changed.queue, changed.language) == ("sales", "en")
        changed.text, changed.updated_at = "Rp 10.000", T0 + timedelta(hours=1)
        w.canned_replies.save(changed)
        w.canned_replies.remove(refund)
        w.commit()
    with uow(write=False) as r:
        assert r.canned_replies.get(refund) is None
        kept = r.canned_replies.get(price)
        assert kept is not None and (kept.text, kept.updated_at, kept.created_by) == (
            "Rp 10.000", T0 + timedelta(hours=1), "user:1")
        assert [x.id for x in r.canned_replies.applying(None)] == [greet, halo, price]
        assert [x.id for x in r.canned_replies.applying(["sales"])] == [greet, halo, price]
        assert [x.id for x in r.canned_replies.applying(["default"])] == [greet, halo]
        assert [x.id for x in r.canned_replies.applying([], "en")] == [greet]
        assert [x.id for x in r.canned_replies.applying(None, "id")] == [greet, halo]
