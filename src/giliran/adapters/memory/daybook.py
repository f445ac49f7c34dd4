"""The day's figures in memory: the twin of adapters/sql/daybook.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from giliran.domain.daybook import Day, DayAdd

if TYPE_CHECKING:
    from giliran.adapters.memory.state import Session


class InMemoryDaybookRepository:
    def __init__(self, session: Session) -> None:
        self._s = session.state
        self._j = session.journal

    def add(self, adds: Sequence[DayAdd]) -> None:
        for a in adds:
            days = self._s.day_figures
            if a.day not in days:
                self._j.put(days, a.day, {})
            sums = days[a.day]
            key = (a.subject, a.figure, a.bucket)
            self._j.put(sums, key, sums.get(key, 0.0) + a.value)

    def day(self, day: date) -> Day:
        sums = self._s.day_figures.get(day, {})
        return Day.of(DayAdd(day, subject, figure, bucket, value)
                      for (subject, figure, bucket), value in sums.items())

    def compact(self) -> int:
        """Nothing to fold: additions are summed where they are read."""
        return 0
