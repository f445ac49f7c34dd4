"""A second opinion on business time for the tests of `domain/hours.py`, computed the slow way.

It reads a schedule's declared data (the week, exceptions, holidays) itself, never through
`hours.py`, and walks a window of UTC minutes with the wall clock each one shows in the
schedule's zone (one `astimezone` per minute, which is unambiguous, so no fold or gap rule is
borrowed from the code under test). An interval [s, e) of a local date is open from the first
minute the wall clock reads s or later on that date until the first minute it reads e or later:
a wall clock turned back shows a time twice and the shop opens at the first; a clock jumping
forward over a time opens the shop at the jump. Every answer is counted minute by minute;
`None` means "not within the window", never "never".
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from giliran.domain.hours import Schedule

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Face:
    """The wall clock of one zone, minute by minute, over a window of UTC time."""

    origin: datetime
    walls: tuple[datetime, ...]  # naive local time shown at each minute
    reached: tuple[datetime, ...]  # the latest wall time shown so far (sorted)


@lru_cache(maxsize=64)
def face(timezone: str, origin: datetime, minutes: int) -> Face:
    tz = ZoneInfo(timezone)
    walls = tuple((origin + i * MINUTE).astimezone(tz).replace(tzinfo=None)
                  for i in range(minutes))
    return Face(origin, walls, tuple(accumulate(walls, max)))


def hours_of(schedule: Schedule, day: date) -> tuple[tuple[int, int], ...]:
    """The rule as the issue states it: an exception wins over a holiday, which wins over
    the week."""
    for special in schedule.exceptions:
        if special.day == day:
            return special.hours
    if any(h.day == day for h in schedule.holidays):
        return ()
    return schedule.weekly[day.weekday()]


class Oracle:
    """Which minutes of a window are open, and the answers counted from them."""

    def __init__(self, schedule: Schedule, origin: datetime, minutes: int) -> None:
        self.face = face(schedule.timezone, origin, minutes)
        self.open = [False] * minutes
        first, last = self.face.walls[0].date(), max(self.face.walls).date()
        day = first - timedelta(days=1)
        while day <= last:
            for start, end in hours_of(schedule, day):
                for i in range(self._reach(day, start), self._reach(day, end)):
                    self.open[i] = True
            day += timedelta(days=1)

    def _reach(self, day: date, minute: int) -> int:
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        return bisect_left(self.face.reached, wall)

    def index(self, at: datetime) -> int:
        i, rest = divmod(at - self.face.origin, MINUTE)
        assert not rest and 0 <= i < len(self.open), "instants on whole minutes inside the window"
        return i

    def at(self, i: int) -> datetime:
        return self.face.origin + i * MINUTE

    def is_open(self, at: datetime) -> bool:
        return self.open[self.index(at)]

    def business_minutes(self, a: datetime, b: datetime) -> int:
        return sum(self.open[self.index(a):self.index(b)]) if b > a else 0

    def add(self, start: datetime, minutes: int) -> datetime | None:
        i, left = self.index(start), minutes
        for j in range(i, len(self.open)):
            if self.open[j]:
                if left == 0:
                    return self.at(j)
                left -= 1
                if left == 0:
                    return self.at(j + 1)
        return None

    def back(self, end: datetime, minutes: int) -> datetime | None:
        left = minutes
        for j in range(self.index(end) - 1, -1, -1):
            if self.open[j]:
                left -= 1
                if left == 0:
                    return self.at(j)
        return None

    def change_after(self, at: datetime) -> datetime | None:
        """The first minute after `at` whose open state differs from `at`'s."""
        i = self.index(at)
        for j in range(i + 1, len(self.open)):
            if self.open[j] != self.open[i]:
                return self.at(j)
        return None


def utc(timezone: str, *args: int) -> datetime:
    """A local wall time (its first occurrence) as UTC."""
    return datetime(*args, tzinfo=ZoneInfo(timezone)).astimezone(UTC)  # type: ignore[misc]
