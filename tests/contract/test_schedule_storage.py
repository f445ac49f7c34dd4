"""Opening hours are kept alike in memory, on SQLite and on PostgreSQL: a schedule comes back
equal to what was stored (split shifts, an exception, holidays, the holiday country), a change
replaces it, a rollback leaves nothing, and a queue that keeps a deleted schedule reads as
always open."""

from __future__ import annotations

from datetime import UTC, date, datetime

from giliran.domain import hours
from giliran.domain.hours import Holiday, Schedule, SpecialDay
from giliran.domain.model import Queue
from giliran.service.lookups import schedule_of
from giliran.service.ports import UnitOfWorkFactory

JAKARTA = Schedule(
    "jakarta", "Asia/Jakarta",
    hours.parse_weekly({"mon": [["08:00", "12:00"], ["13:00", "17:00"]],
                        "sat": [["09:00", "24:00"]]}),
    exceptions=(SpecialDay(date(2026, 12, 31), ((8 * 60, 12 * 60),), "half day"),
                SpecialDay(date(2027, 1, 2))),
    holidays=(Holiday(date(2026, 12, 25), "Christmas Day"),),
    holiday_country="ID",
)


def test_a_schedule_is_kept_changed_and_deleted(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        w.schedules.add(JAKARTA)
        w.schedules.add(Schedule("berlin", "Europe/Berlin"))
        w.queues.add(Queue("sales", schedule="jakarta"))
        w.commit()
    with uow(write=True) as w:
        assert w.schedules.get("jakarta") == JAKARTA
        assert [s.name for s in w.schedules.all()] == ["berlin", "jakarta"]
        sales = w.queues.get("sales")
        assert sales is not None and schedule_of(w, sales) == JAKARTA
        w.schedules.save(Schedule("berlin", "Europe/Berlin", JAKARTA.weekly))
        w.commit()
    with uow(write=True) as w:
        w.schedules.add(Schedule("gone", "UTC"))  # rolled back: never committed
    with uow(write=True) as w:
        assert w.schedules.get("gone") is None
        berlin = w.schedules.get("berlin")
        assert berlin is not None and berlin.weekly == JAKARTA.weekly
        w.schedules.delete("jakarta")
        w.commit()
    with uow(write=False) as r:
        sales = r.queues.get("sales")
        assert r.schedules.get("jakarta") is None
        assert sales is not None and schedule_of(r, sales) is None  # always open
        monday_night = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
        assert hours.is_open(schedule_of(r, sales), monday_night)
