"""A commit publishes once, after it is durable, what its process's subscribers (the event hub,
the senders, the metrics) need: the last event id it wrote, and whether a sender has work. The
same in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from giliran.adapters.memory import InMemoryStore
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.domain import delivery as d
from giliran.domain.delivery import Delivery, Webhook
from giliran.domain.events import Event, queue_event
from giliran.domain.model import Queue
from giliran.domain.notices import Notice
from giliran.service.ports import Committed, UnitOfWorkFactory

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def queue_changed(name: str) -> Event:
    return queue_event(Queue(name), T0)


def notice(key: str) -> Notice:
    return Notice(0, "telegram", "1", f"text {key}", key, next_attempt_at=T0, created_at=T0)


def heard(uow: UnitOfWorkFactory) -> list[tuple[Committed, int]]:
    """What the signal publishes, each with the last event id a fresh reader sees then."""
    assert isinstance(uow, InMemoryStore | SqlUnitOfWorkFactory)
    found: list[tuple[Committed, int]] = []

    def record(commit: Committed) -> None:
        with uow(write=False) as r:
            found.append((commit, r.events.bounds()[1]))
    uow.signal.subscribe(record)
    return found


def test_a_commit_publishes_its_last_event_id_once_when_readers_can_see_it(
    uow: UnitOfWorkFactory,
) -> None:
    found = heard(uow)
    with uow(write=True) as w:
        w.events.append(queue_changed("a"))
        w.events.append(queue_changed("b"))
        w.commit()
    with uow(write=True) as w:
        w.events.append(queue_changed("c"))
        w.commit()
    with uow(write=False) as r:
        first, second, third = (e.id for e in r.events.after(0, 10))
    assert [(c.events_upto, c.outgoing, c.here, seen) for c, seen in found] == [
        (second, False, True, second), (third, False, True, third)]
    assert first < second


def test_a_rollback_or_a_commit_that_wrote_nothing_anyone_hears_of_publishes_nothing(
    uow: UnitOfWorkFactory,
) -> None:
    found = heard(uow)
    with uow(write=True) as w:
        w.settings.put("some.setting", "1")
        w.commit()
    with uow(write=True) as w:  # left without a commit: rolled back
        w.notices.add(notice("a"))
        w.events.append(queue_changed("a"))
    assert found == []


def test_work_for_a_sender_publishes_even_without_events(uow: UnitOfWorkFactory) -> None:
    found = heard(uow)
    with uow(write=True) as w:
        assert w.notices.add(notice("a"))
        hook = w.webhooks.add(Webhook(0, "https://example.org/h", "s" * 20, frozenset()))
        w.commit()
    with uow(write=True) as w:
        w.deliveries.add_many([Delivery(0, hook.id, 1, next_attempt_at=T0)])
        w.commit()
    with uow(write=True) as w:  # a sender leases the notice, then it fails for good
        taken = w.notices.claim(T0, 10)[0]
        d.lease(taken, now=T0)
        w.notices.save(taken)
        w.commit()
    with uow(write=True) as w:
        d.failed(taken, "NetworkError", now=T0, max_attempts=1)
        w.notices.save(taken)
        w.commit()
    with uow(write=True) as w:  # an admin's retry
        d.retry(taken, now=T0, name="notice")
        w.notices.save(taken)
        w.commit()
    assert [(c.events_upto, c.outgoing) for c, _ in found] == [(None, True)] * 3
