"""Opening hours kept in memory: the twin of adapters/sql/schedules.py. Schedules are frozen
values, so they are stored and handed out as they are."""

from __future__ import annotations

from giliran.adapters.memory.journal import Journal
from giliran.adapters.memory.state import MemoryState
from giliran.domain.hours import Schedule


class InMemoryScheduleRepository:
    def __init__(self, state: MemoryState, journal: Journal) -> None:
        self._s = state
        self._j = journal

    def get(self, name: str) -> Schedule | None:
        return self._s.schedules.get(name)

    def all(self) -> list[Schedule]:
        return [self._s.schedules[name] for name in sorted(self._s.schedules)]

    def add(self, schedule: Schedule) -> None:
        self._j.put(self._s.schedules, schedule.name, schedule)

    def save(self, schedule: Schedule) -> None:
        self._j.put(self._s.schedules, schedule.name, schedule)

    def delete(self, name: str) -> None:
        self._j.drop(self._s.schedules, name)
