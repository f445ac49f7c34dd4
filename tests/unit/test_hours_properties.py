"""Business time checked against a second opinion (tests/support/wall_clock.py: the wall clock
read minute by minute) over random schedules: split shifts, days open to midnight, exceptions
(special hours, closed days) and holidays, in a zone without DST (Asia/Jakarta) and in zones
with it, each window placed across a DST change: Europe/Berlin and America/New_York (the gap
and the repeated hour), Australia/Lord_Howe (a half-hour change) and America/Santiago (changes
at midnight, so a day starts in the gap or twice). Then the laws that hold to the second:
`add` and `back` as inverses, `business_seconds` additive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from giliran.domain import hours
from giliran.domain.hours import Holiday, Schedule, SpecialDay
from tests.support.wall_clock import MINUTE, Oracle

WINDOW = 10 * 24 * 60  # minutes each window spans
# (zone, first minute of the window in UTC): about two days before a change, or none at all.
WINDOWS = (
    ("Asia/Jakarta", datetime(2026, 12, 22, tzinfo=UTC)),
    ("Asia/Jakarta", datetime(2026, 3, 16, 17, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 3, 27, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 23, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 6, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 10, 30, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 4, 2, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 10, 1, tzinfo=UTC)),
    ("America/Santiago", datetime(2026, 4, 3, tzinfo=UTC)),
    ("America/Santiago", datetime(2026, 9, 4, tzinfo=UTC)),
)

# Boundaries often where the changes fall (around 00:00, 02:00 and 03:00: the edges of a gap
# or of a repeated hour, and times inside them), on the half hour, or at any minute.
NEAR_CHANGES = (0, 15, 30, 60, 90, 105, 120, 135, 150, 165, 180, 1380, 1410, 1425, 1440)
boundary = st.one_of(st.sampled_from(NEAR_CHANGES), st.integers(0, 48).map(lambda k: k * 30),
                     st.integers(0, 24 * 60))


@st.composite
def intervals(draw: st.DrawFn, most: int = 3) -> tuple[tuple[int, int], ...]:
    points = sorted(draw(st.lists(boundary, unique=True, max_size=2 * most)))
    return tuple(zip(points[::2], points[1::2], strict=False))


a_day = st.one_of(st.just(()), st.just(((0, 24 * 60),)), intervals())  # closed, all day, hours


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    timezone, origin = draw(st.sampled_from(WINDOWS))
    days = [origin.date() + timedelta(days=k) for k in range(-1, WINDOW // 1440 + 1)]
    special = draw(st.dictionaries(st.sampled_from(days), a_day, max_size=3))
    closed = draw(st.lists(st.sampled_from(days), unique=True, max_size=3))
    schedule = Schedule(
        name="s", timezone=timezone,
        weekly=tuple(draw(a_day) for _ in range(7)),
        exceptions=tuple(SpecialDay(day, spans) for day, spans in special.items()),
        holidays=tuple(Holiday(day, "holiday") for day in closed))
    return schedule, origin


def minute_in(origin: datetime, lo: int = 0, hi: int = WINDOW - 1) -> st.SearchStrategy[datetime]:
    return st.integers(lo, hi).map(lambda i: origin + i * MINUTE)


def end_of(origin: datetime) -> datetime:
    return origin + WINDOW * MINUTE


def beyond(found: datetime | None, limit: datetime) -> bool:
    """The code's answer lies past the window the second opinion saw (or is "never")."""
    return found is None or found >= limit


QUICK = settings(max_examples=80, deadline=None)


@QUICK
@given(st.data())
def test_open_or_closed_and_until_when_as_the_wall_clock_says(data: st.DataObject) -> None:
    schedule, origin = data.draw(schedules())
    at = data.draw(minute_in(origin))
    oracle = Oracle(schedule, origin, WINDOW)
    now = hours.state(schedule, at)
    assert hours.is_open(schedule, at) == now.open == oracle.is_open(at)
    change = oracle.change_after(at)
    if change is None:
        assert beyond(now.until, end_of(origin))
    else:
        assert now.until == change
    opening = hours.next_open(schedule, at)
    assert opening == (at if now.open else now.until)


@QUICK
@given(st.data())
def test_business_seconds_count_the_open_minutes(data: st.DataObject) -> None:
    schedule, origin = data.draw(schedules())
    a, b = sorted((data.draw(minute_in(origin)), data.draw(minute_in(origin))))
    oracle = Oracle(schedule, origin, WINDOW)
    assert hours.business_seconds(schedule, a, b) == 60 * oracle.business_minutes(a, b)
    assert hours.business_seconds(schedule, b, a) == 0  # backwards: nothing


@QUICK
@given(st.data())
def test_due_time_is_where_the_wall_clock_has_counted_that_much_open_time(
        data: st.DataObject) -> None:
    schedule, origin = data.draw(schedules())
    start = data.draw(minute_in(origin, hi=WINDOW // 2))
    minutes = data.draw(st.one_of(st.integers(0, 3), st.integers(0, 4 * 24 * 60)))
    expected = Oracle(schedule, origin, WINDOW).add(start, minutes)
    due = hours.add(schedule, start, minutes * 60)
    if expected is None:
        assert beyond(due, end_of(origin))
    else:
        assert due == expected


@QUICK
@given(st.data())
def test_cutoff_is_where_the_wall_clock_counted_back_that_much_open_time(
        data: st.DataObject) -> None:
    schedule, origin = data.draw(schedules())
    end = data.draw(minute_in(origin, lo=WINDOW // 2))
    minutes = data.draw(st.one_of(st.integers(1, 3), st.integers(1, 4 * 24 * 60)))
    expected = Oracle(schedule, origin, WINDOW).back(end, minutes)
    cutoff = hours.back(schedule, end, minutes * 60)
    if expected is None:
        assert cutoff is None or cutoff < origin
    else:
        assert cutoff == expected


# --- laws, to the second, at any instant ----------------------------------------------------

def second_in(origin: datetime) -> st.SearchStrategy[datetime]:
    """Any second of the window; a whole minute half the time, to land on openings and
    closings."""
    return st.one_of(minute_in(origin),
                     st.integers(0, WINDOW * 60).map(lambda s: origin + timedelta(seconds=s)))


durations = st.one_of(st.integers(1, 120), st.integers(1, 5 * 24 * 3600))


@QUICK
@given(st.data())
def test_a_timer_is_due_by_then_exactly_when_it_started_by_the_cutoff(
        data: st.DataObject) -> None:
    """What the timer pass relies on: started at s, a timer of n business seconds is due by
    `end` (add(s, n) <= end) exactly when s <= back(end, n)."""
    schedule, origin = data.draw(schedules())
    start, end = data.draw(second_in(origin)), data.draw(second_in(origin))
    seconds = data.draw(st.one_of(st.just(0), durations))
    due, cutoff = hours.add(schedule, start, seconds), hours.back(schedule, end, seconds)
    due_by_end = due is not None and due <= end
    assert due_by_end == (cutoff is not None and start <= cutoff)


@QUICK
@given(st.data())
def test_add_and_back_give_exactly_that_much_open_time(data: st.DataObject) -> None:
    schedule, origin = data.draw(schedules())
    at, seconds = data.draw(second_in(origin)), data.draw(durations)
    due = hours.add(schedule, at, seconds)
    if due is not None:
        assert hours.business_seconds(schedule, at, due) == seconds
        assert hours.is_open(schedule, due - timedelta(seconds=1))
        later = data.draw(st.integers(1, 3600))
        assert hours.add(schedule, due, later) == hours.add(schedule, at, seconds + later)
    cutoff = hours.back(schedule, at, seconds)
    if cutoff is not None:
        assert hours.business_seconds(schedule, cutoff, at) == seconds
        assert hours.is_open(schedule, cutoff)


@QUICK
@given(st.data())
def test_business_seconds_add_up_over_consecutive_stretches(data: st.DataObject) -> None:
    schedule, origin = data.draw(schedules())
    a, b, c = sorted(data.draw(second_in(origin)) for _ in range(3))
    whole = hours.business_seconds(schedule, a, c)
    assert hours.business_seconds(schedule, a, b) + hours.business_seconds(schedule, b, c) \
        == whole
    assert 0 <= whole <= (c - a).total_seconds()


@QUICK
@given(st.data())
def test_without_a_schedule_business_time_is_calendar_time(data: st.DataObject) -> None:
    at = data.draw(second_in(datetime(2026, 3, 27, tzinfo=UTC)))
    seconds = data.draw(durations)
    assert hours.is_open(None, at) and hours.next_open(None, at) == at
    assert hours.state(None, at) == hours.OpenState(True, None)
    assert hours.add(None, at, seconds) == at + timedelta(seconds=seconds)
    assert hours.back(None, at, seconds) == at - timedelta(seconds=seconds)
    assert hours.business_seconds(None, at, at + timedelta(seconds=seconds)) == seconds


def test_the_windows_do_cross_a_dst_change_where_they_say() -> None:
    """The zones with DST are tested across a change (not across an ordinary week)."""
    from zoneinfo import ZoneInfo
    for timezone, origin in WINDOWS:
        tz = ZoneInfo(timezone)
        offsets = {(origin + timedelta(hours=h)).astimezone(tz).utcoffset()
                   for h in range(0, WINDOW // 60)}
        assert len(offsets) == (1 if timezone == "Asia/Jakarta" else 2), timezone
    assert date(2026, 3, 29) - WINDOWS[2][1].date() == timedelta(days=2)
