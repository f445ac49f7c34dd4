"""Opening hours as people write them ("08:00" to "12:00", by weekday) and as `hours.py`
keeps them (minutes after local midnight), both ways, and the rule every day's hours keep."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise

from giliran.domain.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
Interval = tuple[int, int]  # minutes after local midnight: 0 <= start < end <= 1440

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def parse_minute(text: str) -> int:
    """'08:30' -> 510; '24:00' (end of the day) -> 1440."""
    if not isinstance(text, str) or not _HHMM.match(text):
        raise InvalidInput(f"{text!r} is not a time of day as HH:MM (00:00 to 24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_intervals(pairs: Sequence[Sequence[str]], where: str) -> tuple[Interval, ...]:
    """[["08:00", "12:00"], ["13:00", "17:00"]] -> sorted intervals; they must not overlap."""
    found: list[Interval] = []
    for pair in pairs:
        if len(pair) != 2:
            raise InvalidInput(f"{where}: an interval is [start, end], got {list(pair)!r}")
        start, end = parse_minute(pair[0]), parse_minute(pair[1])
        if end <= start:
            raise InvalidInput(f"{where}: {pair[0]}-{pair[1]} ends before it starts "
                               "(an interval ends the same day; 24:00 is midnight)")
        found.append((start, end))
    found.sort()
    for (_, end), (start, _) in pairwise(found):
        if start < end:
            raise InvalidInput(f"{where}: intervals overlap")
    return tuple(found)


def parse_weekly(hours: Mapping[str, Sequence[Sequence[str]]]) -> tuple[tuple[Interval, ...], ...]:
    """{"mon": [["08:00", "17:00"]], ...}; a weekday left out is closed."""
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        raise InvalidInput(f"unknown weekday(s) {unknown}: use {', '.join(WEEKDAYS)}")
    return tuple(parse_intervals(hours.get(day, ()), day) for day in WEEKDAYS)


def check_intervals(hours: Sequence[Interval], where: str) -> None:
    """What the walks rely on: each interval within the day, in order, none overlapping (as
    `parse_intervals` makes them; a schedule built otherwise must hold to it too)."""
    ends = [0]
    for start, end in hours:
        if not ends[-1] <= start < end <= DAY_MINUTES:
            raise InvalidInput(f"{where}: intervals must lie within the day, in order, "
                               f"without overlapping; got {list(hours)!r}")
        ends.append(end)
