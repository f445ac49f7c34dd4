"""Opening hours and business time: when a queue is open, and how much of a stretch of time
falls within its hours.

A schedule is data: weekly intervals in its own IANA timezone (several a day for split shifts),
dated exceptions (special hours, or closed), and holidays as dated, named closed days (the
service fills them from the `holidays` library; an admin may edit them). For one local date an
exception wins over a holiday, which wins over the week. Every instant in and out is an aware
UTC datetime; the timezone's rules (DST included) are the standard library's zoneinfo.

Timers that run "in business time" turn on one question: the instant by which N seconds of open
time have passed since a start (`add`), or, for a timer pass looking for what is due, the
latest start from which N seconds of open time have passed by now (`back`). Both walk the open
spans; `None` where a schedule never opens within HORIZON_DAYS (a schedule with no hours).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from giliran.domain.errors import InvalidInput
from giliran.domain.hours_text import DAY_MINUTES as DAY_MINUTES
from giliran.domain.hours_text import WEEKDAYS as WEEKDAYS
from giliran.domain.hours_text import Interval as Interval
from giliran.domain.hours_text import check_intervals
from giliran.domain.hours_text import format_minute as format_minute
from giliran.domain.hours_text import parse_intervals as parse_intervals
from giliran.domain.hours_text import parse_minute as parse_minute
from giliran.domain.hours_text import parse_weekly as parse_weekly

HORIZON_DAYS = 800  # how far ahead (or back) a walk looks for open time before giving up
Span = tuple[datetime, datetime]  # UTC, start < end


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str


@dataclass(frozen=True)
class SpecialDay:
    """A date with hours of its own; no hours: closed that day."""

    day: date
    hours: tuple[Interval, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Schedule:
    name: str
    timezone: str
    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7  # Monday first
    exceptions: tuple[SpecialDay, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    # The country whose holidays were imported ("ID"); kept to import further years.
    holiday_country: str | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _special: Mapping[date, tuple[Interval, ...]] = field(init=False, repr=False, compare=False)
    _closed: Mapping[date, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != len(WEEKDAYS):
            raise InvalidInput(f"a week has 7 days (Monday first), got {len(self.weekly)}")
        for where, hours in [*zip(WEEKDAYS, self.weekly, strict=True),
                             *((str(s.day), s.hours) for s in self.exceptions)]:
            check_intervals(hours, where)
        object.__setattr__(self, "_zone", zone(self.timezone))
        object.__setattr__(self, "_special", {s.day: s.hours for s in self.exceptions})
        object.__setattr__(self, "_closed", {h.day: h.name for h in self.holidays})

    def day_hours(self, day: date) -> tuple[Interval, ...]:
        """The open intervals of one local date: its exception, else closed on a holiday,
        else the week's."""
        if day in self._special:
            return self._special[day]
        if day in self._closed:
            return ()
        return self.weekly[day.weekday()]

    def holiday(self, day: date) -> str | None:
        return None if day in self._special else self._closed.get(day)

    def day_spans(self, day: date) -> list[Span]:
        """The open spans of one local date, in UTC."""
        found = []
        for start, end in self.day_hours(day):
            a, b = self._instant(day, start), self._instant(day, end)
            if b > a:
                found.append((a, b))
        return found

    def _instant(self, day: date, minute: int) -> datetime:
        """When the wall clock first reads `minute` on `day`: a repeated time (the hour a DST
        change turns back) is its first occurrence, a skipped one (the gap a change jumps over)
        is the change itself, as a clock on the wall shows them."""
        naive = datetime.combine(day, time()) + timedelta(minutes=minute)
        first = naive.replace(tzinfo=self._zone).astimezone(UTC)  # fold=0: before the change
        if first.astimezone(self._zone).replace(tzinfo=None) == naive:
            return first
        # Skipped: fold=0 read it with the offset before the change (an instant after it), fold=1
        # with the offset after (an instant before it); the change lies between the two.
        return _change_between(self._zone, naive.replace(tzinfo=self._zone, fold=1), first)

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self._zone).date()


def _change_between(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first second with `after`'s UTC offset, `before` having another (zones change
    offsets on whole seconds)."""
    lo, hi = int(before.timestamp()), int(after.timestamp())
    offset = after.astimezone(tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == offset:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "America", a folder
        raise InvalidInput(f"unknown timezone {name!r} (an IANA name, e.g. Asia/Jakarta)") \
            from exc


def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def weekly_text(schedule: Schedule) -> dict[str, list[list[str]]]:
    """The week as people write it (closed days left out)."""
    return {day: [[format_minute(a), format_minute(b)] for a, b in hours]
            for day, hours in zip(WEEKDAYS, schedule.weekly, strict=True) if hours}


# --- walking open time ----------------------------------------------------------------------

ALL_DAY: tuple[Interval, ...] = ((0, DAY_MINUTES),)
DAY = timedelta(days=1)


def _pieces_from(schedule: Schedule, start: datetime) -> Iterator[Span]:
    """Open spans ending after `start`, clipped to begin no earlier, in order; touching ones are
    not joined (the arithmetic needs no joining), except that a run of days open all day is one
    piece, read without converting each day (a desk open around the clock walks the horizon)."""
    day = schedule.local_date(start) - DAY
    last = day + (HORIZON_DAYS - 1) * DAY
    while day <= last:
        if schedule.day_hours(day) == ALL_DAY:
            first = day
            while day < last and schedule.day_hours(day + DAY) == ALL_DAY:
                day += DAY
            spans = [(schedule._instant(first, 0), schedule._instant(day + DAY, 0))]
        else:
            spans = schedule.day_spans(day)
        for a, b in spans:
            if b > start:
                yield max(a, start), b
        day += DAY


def _pieces_until(schedule: Schedule, end: datetime) -> Iterator[Span]:
    """Open spans beginning before `end`, clipped to end no later, newest first, as above."""
    day = schedule.local_date(end) + DAY
    first = day - (HORIZON_DAYS - 1) * DAY
    while day >= first:
        if schedule.day_hours(day) == ALL_DAY:
            latest = day
            while day > first and schedule.day_hours(day - DAY) == ALL_DAY:
                day -= DAY
            spans = [(schedule._instant(day, 0), schedule._instant(latest + DAY, 0))]
        else:
            spans = schedule.day_spans(day)
        for a, b in reversed(spans):
            if a < end:
                yield a, min(b, end)
        day -= DAY


def spans_from(schedule: Schedule, start: datetime) -> Iterator[Span]:
    """Open spans ending after `start`, clipped to begin no earlier, in order, touching ones
    joined (a day open to 24:00 and the next from 00:00 are one span)."""
    pending: Span | None = None
    for a, b in _pieces_from(schedule, start):
        if pending is not None and a <= pending[1]:
            pending = (pending[0], max(pending[1], b))
            continue
        if pending is not None:
            yield pending
        pending = (a, b)
    if pending is not None:
        yield pending


def spans_until(schedule: Schedule, end: datetime) -> Iterator[Span]:
    """Open spans beginning before `end`, clipped to end no later, newest first, joined."""
    pending: Span | None = None
    for a, b in _pieces_until(schedule, end):
        if pending is not None and b >= pending[0]:
            pending = (min(pending[0], a), pending[1])
            continue
        if pending is not None:
            yield pending
        pending = (a, b)
    if pending is not None:
        yield pending


def is_open(schedule: Schedule | None, at: datetime) -> bool:
    # The spans of `at`'s own date and its neighbours: no walk to the end of the open stretch,
    # which for a desk open around the clock would be the whole horizon.
    if schedule is None:
        return True
    day = schedule.local_date(at)
    return any(a <= at < b for offset in (-1, 0, 1)
               for a, b in schedule.day_spans(day + timedelta(days=offset)))


@dataclass(frozen=True)
class OpenState:
    open: bool
    until: datetime | None  # when it closes (open) or opens (closed); None: never


def state(schedule: Schedule | None, at: datetime) -> OpenState:
    """Open or closed at `at`, and until when."""
    if schedule is None:
        return OpenState(True, None)
    first = next(spans_from(schedule, at), None)
    if first is None:
        return OpenState(False, None)
    if first[0] <= at:
        # A stretch still open where the walk gives up never closes, as far as anyone can say.
        return OpenState(True, None if first[1] >= _horizon(schedule, at) else first[1])
    return OpenState(False, first[0])


def _horizon(schedule: Schedule, start: datetime) -> datetime:
    """The end of the last day `spans_from(schedule, start)` looks at."""
    last = schedule.local_date(start) + timedelta(days=HORIZON_DAYS - 1)
    return schedule._instant(last, 0)


def next_open(schedule: Schedule | None, at: datetime) -> datetime | None:
    """`at` when open then, else the next opening; None: never opens."""
    if schedule is None:
        return at
    first = next(_pieces_from(schedule, at), None)
    return None if first is None else first[0]


def business_seconds(schedule: Schedule | None, start: datetime, end: datetime) -> float:
    """Open time between two instants, in seconds (0 when end is not after start)."""
    if end <= start:
        return 0.0
    if schedule is None:
        return (end - start).total_seconds()
    total = 0.0
    for a, b in _pieces_from(schedule, start):
        if a >= end:
            break
        total += (min(b, end) - a).total_seconds()
    return total


def add(schedule: Schedule | None, start: datetime, seconds: float) -> datetime | None:
    """When `seconds` of open time have passed since `start` (0: `start` if open, else the
    next opening). None: the schedule never gives that much."""
    if schedule is None:
        return start + timedelta(seconds=seconds)
    left = timedelta(seconds=max(seconds, 0))
    for a, b in _pieces_from(schedule, start):
        if b - a >= left:
            return a + left
        left -= b - a
    return None


def back(schedule: Schedule | None, end: datetime, seconds: float) -> datetime | None:
    """The latest instant from which `seconds` of open time have passed by `end`: a timer of
    that length started at or before it is due by `end` (`add(s, seconds) <= end` exactly when
    `s <= back(end, seconds)`). None: not that much open time before."""
    if schedule is None:
        return end - timedelta(seconds=seconds)
    if seconds <= 0 and is_open(schedule, end):
        return end  # a timer of no length started by now is due now (see `add`)
    left = timedelta(seconds=max(seconds, 0))
    for a, b in _pieces_until(schedule, end):
        if b - a >= left:
            return b - left
        left -= b - a
    return None
