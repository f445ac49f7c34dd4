"""Business time as a desk lives it, case by case, each expectation worked out by hand in the
desk's own wall-clock time: due times across nights, weekends, holidays and split shifts,
special hours and closed days, the DST gap and the repeated hour, a schedule that never opens,
and a schedule edited while a ticket's clock is running. The random cases are in
test_hours_properties.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from giliran.domain import hours
from giliran.domain.errors import InvalidInput
from giliran.domain.hours import Holiday, OpenState, Schedule, SpecialDay
from tests.support.wall_clock import utc

JKT = "Asia/Jakarta"
HOUR = 3600
OFFICE = hours.parse_weekly({d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
SPLIT = hours.parse_weekly({d: [["08:00", "12:00"], ["13:00", "17:00"]]
                            for d in ("mon", "tue", "wed", "thu", "fri")})


def jkt(*args: int) -> datetime:
    return utc(JKT, *args)


def desk(weekly: tuple[tuple[tuple[int, int], ...], ...] = OFFICE, timezone: str = JKT,
         **more: object) -> Schedule:
    return Schedule("desk", timezone, weekly, **more)  # type: ignore[arg-type]


# --- reading hours -------------------------------------------------------------------------

def test_hours_are_read_as_people_write_them_and_written_back_the_same() -> None:
    text = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["00:00", "24:00"]]}
    weekly = hours.parse_weekly(text)
    assert weekly[0] == ((480, 720), (780, 1020)) and weekly[5] == ((0, 1440),)
    assert weekly[1] == () and weekly[6] == ()
    assert hours.weekly_text(desk(weekly)) == text


@pytest.mark.parametrize("bad", [
    {"mon": [["08:00", "25:00"]]}, {"mon": [["8:00", "12:00"]]}, {"mon": [["12:00", "08:00"]]},
    {"mon": [["08:00", "08:00"]]}, {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]},
    {"mon": [["08:00"]]}, {"monday": [["08:00", "12:00"]]}, {"mon": [["24:00", "24:00"]]},
])
def test_hours_that_make_no_sense_are_refused(bad: dict[str, list[list[str]]]) -> None:
    with pytest.raises(InvalidInput):
        hours.parse_weekly(bad)


@pytest.mark.parametrize("name", ["Asia/Atlantis", "America", "../etc", ""])
def test_an_unknown_timezone_is_refused(name: str) -> None:
    """Not a zone: a made-up one, a folder of zones, a path, nothing."""
    with pytest.raises(InvalidInput, match="IANA"):
        desk(timezone=name)


# --- due times in Jakarta (no DST) ---------------------------------------------------------

def test_a_lead_at_22_is_due_the_next_morning_not_overnight() -> None:
    # Tuesday 2026-12-01 22:00: closed; 2 hours of business time run from Wednesday 08:00.
    assert hours.add(desk(), jkt(2026, 12, 1, 22, 0), 2 * HOUR) == jkt(2026, 12, 2, 10, 0)
    assert hours.state(desk(), jkt(2026, 12, 1, 22, 0)) == \
        OpenState(False, jkt(2026, 12, 2, 8, 0))


def test_friday_afternoon_runs_over_the_weekend_to_monday() -> None:
    # Friday 2026-12-04 16:00 + 2 h: one hour Friday, the other Monday 08:00-09:00.
    assert hours.add(desk(), jkt(2026, 12, 4, 16, 0), 2 * HOUR) == jkt(2026, 12, 7, 9, 0)
    assert hours.business_seconds(desk(), jkt(2026, 12, 4, 16, 0), jkt(2026, 12, 7, 9, 0)) \
        == 2 * HOUR
    # A whole business week is 45 hours, and lasts from Monday 08:00 to Friday 17:00.
    assert hours.add(desk(), jkt(2026, 12, 7, 8, 0), 45 * HOUR) == jkt(2026, 12, 11, 17, 0)


def test_the_lunch_break_of_a_split_shift_does_not_count() -> None:
    split = desk(SPLIT)
    assert hours.add(split, jkt(2026, 12, 1, 11, 30), HOUR) == jkt(2026, 12, 1, 13, 30)
    assert hours.state(split, jkt(2026, 12, 1, 12, 15)) == \
        OpenState(False, jkt(2026, 12, 1, 13, 0))
    assert hours.state(split, jkt(2026, 12, 1, 9, 0)) == OpenState(True, jkt(2026, 12, 1, 12, 0))
    assert hours.business_seconds(split, jkt(2026, 12, 1, 0, 0), jkt(2026, 12, 2, 0, 0)) \
        == 8 * HOUR


def test_a_holiday_is_closed_and_timers_skip_it() -> None:
    # Friday 2026-12-25 (Christmas) closed: Thursday 16:00 + 2 h lands on Monday 09:00.
    christmas = desk(holidays=(Holiday(date(2026, 12, 25), "Hari Raya Natal"),))
    assert hours.add(christmas, jkt(2026, 12, 24, 16, 0), 2 * HOUR) == jkt(2026, 12, 28, 9, 0)
    assert not hours.is_open(christmas, jkt(2026, 12, 25, 10, 0))
    assert hours.state(christmas, jkt(2026, 12, 24, 10, 0)) == \
        OpenState(True, jkt(2026, 12, 24, 17, 0))
    assert christmas.holiday(date(2026, 12, 25)) == "Hari Raya Natal"


def test_special_hours_win_over_the_week_and_over_a_holiday() -> None:
    special = desk(
        exceptions=(SpecialDay(date(2026, 12, 31), ((480, 720),), "New Year's Eve"),
                    SpecialDay(date(2026, 12, 30), ()),
                    SpecialDay(date(2027, 1, 1), ((600, 660),), "open an hour on the holiday")),
        holidays=(Holiday(date(2027, 1, 1), "Tahun Baru"),))
    assert not hours.is_open(special, jkt(2026, 12, 30, 10, 0))  # closed by exception
    assert hours.state(special, jkt(2026, 12, 31, 9, 0)) == \
        OpenState(True, jkt(2026, 12, 31, 12, 0))
    # Tuesday 29th 16:00 + 6 h: 1 h on the 29th, none on the 30th, 4 h on the 31st, 1 h on 1st.
    assert hours.add(special, jkt(2026, 12, 29, 16, 0), 6 * HOUR) == jkt(2027, 1, 1, 11, 0)
    assert special.holiday(date(2027, 1, 1)) is None  # the exception overrides it


def test_a_day_open_to_midnight_and_the_next_from_midnight_is_one_stretch() -> None:
    nights = desk(hours.parse_weekly({"fri": [["18:00", "24:00"]], "sat": [["00:00", "06:00"]]}))
    assert hours.state(nights, jkt(2026, 12, 4, 20, 0)) == \
        OpenState(True, jkt(2026, 12, 5, 6, 0))
    assert hours.add(nights, jkt(2026, 12, 4, 23, 0), 2 * HOUR) == jkt(2026, 12, 5, 1, 0)


def test_a_timer_started_at_closing_and_one_at_opening() -> None:
    assert hours.add(desk(), jkt(2026, 12, 1, 17, 0), 0) == jkt(2026, 12, 2, 8, 0)
    assert hours.add(desk(), jkt(2026, 12, 1, 8, 0), 0) == jkt(2026, 12, 1, 8, 0)
    assert hours.add(desk(), jkt(2026, 12, 1, 8, 0), HOUR) == jkt(2026, 12, 1, 9, 0)
    # What the timer pass compares with at Wednesday 08:30: a 1 h timer is due if it started
    # by Tuesday 16:30.
    assert hours.back(desk(), jkt(2026, 12, 2, 8, 30), HOUR) == jkt(2026, 12, 1, 16, 30)
    assert hours.back(desk(), jkt(2026, 12, 2, 8, 0), HOUR) == jkt(2026, 12, 1, 16, 0)


# --- DST ------------------------------------------------------------------------------------

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def sunday(timezone: str, text: list[list[str]]) -> Schedule:
    return desk(hours.parse_weekly({"sun": text}), timezone)


@pytest.mark.parametrize(("timezone", "day", "opens", "closes", "seconds"), [
    # Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST. 01:00-04:00 holds 2 hours.
    (BERLIN, (2026, 3, 29), (0, 0), (2, 0), 2 * HOUR),
    # New York 2026-03-08: 02:00 EST jumps to 03:00 EDT, same again.
    (NEW_YORK, (2026, 3, 8), (6, 0), (8, 0), 2 * HOUR),
])
def test_the_dst_gap_is_an_hour_shorter(timezone: str, day: tuple[int, int, int],
                                        opens: tuple[int, int], closes: tuple[int, int],
                                        seconds: int) -> None:
    schedule = sunday(timezone, [["01:00", "04:00"]])
    start = datetime(*day, *opens, tzinfo=UTC)
    assert schedule.day_spans(date(*day)) == [(start, datetime(*day, *closes, tzinfo=UTC))]
    assert hours.business_seconds(schedule, start - timedelta(hours=3),
                                  start + timedelta(hours=6)) == seconds


def test_hours_that_start_or_end_inside_the_gap_start_or_end_at_the_jump() -> None:
    # 02:30 never shows in Berlin on 2026-03-29: the clock reads 02:00 CET, then 03:00 CEST
    # (01:00 UTC). A shop opening at 02:30 opens when the clock jumps past it.
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    opening = sunday(BERLIN, [["02:30", "04:00"]])
    assert hours.state(opening, jump - timedelta(minutes=1)) == OpenState(False, jump)
    assert hours.business_seconds(opening, jump - timedelta(hours=2), jump + timedelta(hours=5)) \
        == HOUR  # 03:00 to 04:00 CEST
    closing = sunday(BERLIN, [["01:00", "02:30"]])
    assert hours.state(closing, jump - timedelta(minutes=30)) == OpenState(True, jump)
    assert hours.business_seconds(closing, jump - timedelta(hours=2), jump + timedelta(hours=5)) \
        == HOUR  # 01:00 to 02:00 CET
    inside = sunday(BERLIN, [["02:15", "02:45"]])
    assert inside.day_spans(date(2026, 3, 29)) == []


def test_the_repeated_hour_counts_twice_and_a_time_in_it_means_its_first_showing() -> None:
    # Berlin 2026-10-25: 03:00 CEST turns back to 02:00 CET (at 01:00 UTC); 02:00-03:00 shows
    # twice. 01:00-04:00 holds 4 hours.
    whole = sunday(BERLIN, [["01:00", "04:00"]])
    assert whole.day_spans(date(2026, 10, 25)) == [
        (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC))]
    assert hours.add(whole, datetime(2026, 10, 24, 23, 0, tzinfo=UTC), 4 * HOUR) == \
        datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    # Closing at 02:30 closes the first time the clock reads 02:30 (00:30 UTC).
    early = sunday(BERLIN, [["00:00", "02:30"]])
    assert hours.state(early, datetime(2026, 10, 25, 0, 0, tzinfo=UTC)) == \
        OpenState(True, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    # New York 2026-11-01: 02:00 EDT turns back to 01:00 EST (06:00 UTC); 00:00-03:00 is 4 h.
    ny = sunday(NEW_YORK, [["00:00", "03:00"]])
    assert hours.business_seconds(ny, datetime(2026, 11, 1, tzinfo=UTC),
                                  datetime(2026, 11, 2, tzinfo=UTC)) == 4 * HOUR
    assert hours.state(ny, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)) == \
        OpenState(True, datetime(2026, 11, 1, 8, 0, tzinfo=UTC))


def test_a_zone_whose_day_starts_in_the_gap() -> None:
    # Santiago 2026-09-06: midnight jumps to 01:00 (04:00 UTC). Saturday open to 24:00 and
    # Sunday from 00:00 is still one stretch, with no hour of Sunday before 01:00.
    santiago = desk(hours.parse_weekly({"sat": [["20:00", "24:00"]], "sun": [["00:00", "02:00"]]}),
                    "America/Santiago")
    assert hours.state(santiago, datetime(2026, 9, 6, 1, 0, tzinfo=UTC)) == \
        OpenState(True, datetime(2026, 9, 6, 5, 0, tzinfo=UTC))
    assert hours.business_seconds(santiago, datetime(2026, 9, 5, tzinfo=UTC),
                                  datetime(2026, 9, 7, tzinfo=UTC)) == 5 * HOUR


# --- never open, always open ----------------------------------------------------------------

def test_a_schedule_with_no_hours_never_opens() -> None:
    never = desk(((),) * 7)
    at = jkt(2026, 12, 1, 10, 0)
    assert not hours.is_open(never, at)
    assert hours.state(never, at) == OpenState(False, None)
    assert hours.next_open(never, at) is None
    assert hours.add(never, at, HOUR) is None and hours.add(never, at, 0) is None
    assert hours.back(never, at, HOUR) is None
    assert hours.business_seconds(never, at, at + timedelta(days=30)) == 0


def test_no_schedule_is_always_open_in_calendar_time() -> None:
    at = jkt(2026, 12, 1, 22, 0)
    assert hours.state(None, at) == OpenState(True, None)
    assert hours.add(None, at, 2 * HOUR) == at + timedelta(hours=2)
    assert hours.back(None, at, 2 * HOUR) == at - timedelta(hours=2)


def test_a_schedule_open_around_the_clock_never_closes() -> None:
    always = desk((((0, 1440),),) * 7)
    assert hours.state(always, jkt(2026, 12, 1, 22, 0)) == OpenState(True, None)
    closing = desk((((0, 1440),),) * 7, holidays=(Holiday(date(2026, 12, 25), "Natal"),))
    assert hours.state(closing, jkt(2026, 12, 1, 22, 0)) == \
        OpenState(True, jkt(2026, 12, 25, 0, 0))
    # Around the clock business time is calendar time, but for the holiday it skips.
    at = jkt(2026, 12, 24, 20, 0)
    assert hours.add(always, at, 10 * HOUR) == at + timedelta(hours=10)
    assert hours.back(always, at, 10 * HOUR) == at - timedelta(hours=10)
    assert hours.add(closing, at, 10 * HOUR) == jkt(2026, 12, 26, 6, 0)
    assert hours.back(closing, jkt(2026, 12, 26, 6, 0), 10 * HOUR) == at
    assert hours.business_seconds(closing, at, at + timedelta(days=7)) == 6 * 24 * HOUR


# --- a schedule edited while tickets are open -----------------------------------------------

def test_an_edited_schedule_moves_the_due_time_of_a_running_clock() -> None:
    """A clock keeps its start and its length; its due time is recomputed from them under
    whatever schedule the queue has now."""
    start = jkt(2026, 12, 4, 16, 0)  # Friday 16:00, 2 business hours
    old = desk()
    assert hours.add(old, start, 2 * HOUR) == jkt(2026, 12, 7, 9, 0)  # Monday 09:00
    saturdays = dataclasses.replace(old, weekly=hours.parse_weekly(
        {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}))
    assert hours.add(saturdays, start, 2 * HOUR) == jkt(2026, 12, 5, 9, 0)  # Saturday 09:00
    holiday = dataclasses.replace(old, holidays=(Holiday(date(2026, 12, 7), "closed"),))
    assert hours.add(holiday, start, 2 * HOUR) == jkt(2026, 12, 8, 9, 0)  # Tuesday 09:00
    shorter = dataclasses.replace(old, exceptions=(SpecialDay(date(2026, 12, 4), ((480, 960),)),))
    # Friday now closes at 16:00: the whole two hours fall on Monday.
    assert hours.add(shorter, start, 2 * HOUR) == jkt(2026, 12, 7, 10, 0)
    # The old schedule's answer is unchanged: a due time depends on (schedule, start, length).
    assert hours.add(old, start, 2 * HOUR) == jkt(2026, 12, 7, 9, 0)
    # What a timer pass sees at Saturday 09:30 under each.
    now = jkt(2026, 12, 5, 9, 30)
    assert hours.back(saturdays, now, 2 * HOUR) >= start  # type: ignore[operator]
    assert hours.back(old, now, 2 * HOUR) < start  # type: ignore[operator]


def test_a_timer_of_no_length_is_due_at_once_while_open_and_at_opening_while_closed() -> None:
    opening = jkt(2026, 12, 2, 8, 0)
    assert hours.back(desk(), opening, 0) == opening
    assert hours.back(desk(), jkt(2026, 12, 2, 7, 0), 0) == jkt(2026, 12, 1, 17, 0)
    assert hours.add(desk(), jkt(2026, 12, 1, 17, 30), 0) == opening


@pytest.mark.parametrize("weekly", [
    ((),) * 6,
    (((600, 500),),) + ((),) * 6,
    (((0, 1441),),) + ((),) * 6,
    (((600, 700), (480, 540)),) + ((),) * 6,
    (((480, 720), (700, 800)),) + ((),) * 6,
])
def test_a_schedule_built_with_hours_the_walks_cannot_follow_is_refused(
        weekly: tuple[tuple[tuple[int, int], ...], ...]) -> None:
    with pytest.raises(InvalidInput):
        desk(weekly)
    with pytest.raises(InvalidInput):
        desk(exceptions=(SpecialDay(date(2026, 12, 31), weekly[0] or ((5, 1),)),))
