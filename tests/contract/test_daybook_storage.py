"""The day's figures as stored (memory, SQLite, PostgreSQL): what commits add is read back
summed per day, subject and figure, the same before and after the additions are folded into
the packed rows, and the same when some are folded and some not yet."""

from __future__ import annotations

from datetime import date

from giliran.domain.daybook import SCALAR, DayAdd, Figure, bucket_of
from giliran.service.ports import UnitOfWorkFactory

MONDAY, TUESDAY = date(2026, 12, 7), date(2026, 12, 8)


def adds(day: date, n: int) -> list[DayAdd]:
    return [DayAdd(day, "queue:sales", Figure.ARRIVED, SCALAR, 1.0),
            DayAdd(day, "agent:1", Figure.ONLINE, SCALAR, 30.5),
            DayAdd(day, "queue:sales", Figure.WAIT, bucket_of(12 + n), 1.0),
            DayAdd(day, "queue:sales", Figure.WAIT, bucket_of(400), 1.0)]


def read(uow: UnitOfWorkFactory, day: date) -> tuple[object, object]:
    with uow(write=False) as r:
        found = r.daybook.day(day)
    return (sorted((k, round(v, 6)) for k, v in found.sums.items()),
            sorted((k, h.counts) for k, h in found.histograms.items()))


def write(uow: UnitOfWorkFactory, *batches: list[DayAdd]) -> None:
    for batch in batches:
        with uow(write=True) as w:
            w.daybook.add(batch)
            w.commit()


def fold(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        w.daybook.compact()
        w.commit()


def test_additions_read_the_same_folded_or_not(uow: UnitOfWorkFactory) -> None:
    write(uow, adds(MONDAY, 0), adds(MONDAY, 1), adds(TUESDAY, 2))
    monday, tuesday = read(uow, MONDAY), read(uow, TUESDAY)
    sums, histograms = monday
    assert sums == [(("agent:1", Figure.ONLINE), 61.0), (("queue:sales", Figure.ARRIVED), 2.0)]
    ((key, counts),) = histograms
    assert key == ("queue:sales", Figure.WAIT) and sum(counts) == 4
    assert counts[bucket_of(12)] == counts[bucket_of(13)] == 1 and counts[bucket_of(400)] == 2

    fold(uow)
    assert (read(uow, MONDAY), read(uow, TUESDAY)) == (monday, tuesday), "folding changes nothing"
    write(uow, adds(MONDAY, 0))  # after the fold: packed rows plus new additions
    sums, histograms = read(uow, MONDAY)
    assert dict(sums)[("queue:sales", Figure.ARRIVED)] == 3.0
    assert sum(histograms[0][1]) == 6
    fold(uow)
    assert read(uow, MONDAY) == (sums, histograms)
    with uow(write=True) as w:
        assert w.daybook.compact() == 0, "nothing left to fold"


def test_a_rolled_back_unit_of_work_adds_nothing(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        w.daybook.add(adds(MONDAY, 0))
        w.rollback()
    assert read(uow, MONDAY) == ([], [])
