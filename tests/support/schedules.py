"""Opening hours written straight into a server's database, for tests of a running server on
the real clock: schedules are whole minutes, so a test moves the schedule rather than the time
(and the schedules API is not what those tests are about)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.domain.hours import Interval, Schedule, SpecialDay
from tests.support.server import ADMIN_TOKEN

WHOLE_DAY: tuple[Interval, ...] = ((0, 1440),)
OFFICE: tuple[Interval, ...] = ((8 * 60, 17 * 60),)


def store_schedule(database_url: str, schedule: Schedule) -> None:
    """Add or replace the schedule of that name (a running server sees it in its next pass)."""
    container = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN,
                                   scheduler=False, outbox=False))
    try:
        with container.ctx.uow(write=True) as uow:
            if uow.schedules.get(schedule.name) is None:
                uow.schedules.add(schedule)
            else:
                uow.schedules.save(schedule)
            uow.commit()
    finally:
        container.close()


def closed_now(name: str, timezone: str) -> Schedule:
    """Office hours every day, but yesterday, today and tomorrow closed (local dates there, so
    a test running across midnight still finds it closed): it opens the day after tomorrow."""
    today = datetime.now(ZoneInfo(timezone)).date()
    return Schedule(name, timezone, (OFFICE,) * 7,
                    tuple(SpecialDay(today + timedelta(days=d)) for d in (-1, 0, 1)))


def opening_now(name: str, timezone: str) -> Schedule:
    """As `closed_now`, except that today opens at this minute (and stays open to midnight):
    the moment of an opening, as the clock reaching the hour leaves it."""
    now = datetime.now(ZoneInfo(timezone))
    minute = now.hour * 60 + now.minute
    return Schedule(name, timezone, (OFFICE,) * 7,
                    (SpecialDay(now.date() - timedelta(days=1)),
                     SpecialDay(now.date(), ((minute, 1440),))))


def open_now(name: str, timezone: str) -> Schedule:
    """Open all day today and tomorrow, closed the day after: it closes at that midnight."""
    today = datetime.now(ZoneInfo(timezone)).date()
    return Schedule(name, timezone, (WHOLE_DAY,) * 7, (SpecialDay(today + timedelta(days=2)),))
