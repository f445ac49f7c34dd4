"""SQL storage of opening hours (domain/hours.py): one row per schedule, its week, exceptions
and holidays as JSON. Read at most once per schedule and unit of work: the timer pass asks for a
queue's schedule on every pass."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from giliran.adapters.sql import tables as t
from giliran.domain.hours import Holiday, Schedule, SpecialDay

_S = t.schedules.c


class SqlScheduleRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[str, Schedule | None] = {}

    def get(self, name: str) -> Schedule | None:
        if name not in self._seen:
            row = self._conn.execute(select(t.schedules).where(_S.name == name)).first()
            self._seen[name] = _schedule(row) if row is not None else None
        return self._seen[name]

    def all(self) -> list[Schedule]:
        found = [_schedule(r) for r in self._conn.execute(select(t.schedules).order_by(_S.name))]
        self._seen.update({s.name: s for s in found})
        return found

    def add(self, schedule: Schedule) -> None:
        now = datetime.now(UTC)
        self._conn.execute(insert(t.schedules).values(
            name=schedule.name, created_at=now, updated_at=now, **_columns(schedule)))
        self._seen[schedule.name] = schedule

    def save(self, schedule: Schedule) -> None:
        self._conn.execute(update(t.schedules).where(_S.name == schedule.name).values(
            updated_at=datetime.now(UTC), **_columns(schedule)))
        self._seen[schedule.name] = schedule

    def delete(self, name: str) -> None:
        self._conn.execute(delete(t.schedules).where(_S.name == name))
        self._seen[name] = None


def _columns(s: Schedule) -> dict[str, Any]:
    return {
        "timezone": s.timezone,
        "weekly": [[list(i) for i in day] for day in s.weekly],
        "exceptions": [{"date": x.day.isoformat(), "hours": [list(i) for i in x.hours],
                        "note": x.note} for x in s.exceptions],
        "holidays": [{"date": h.day.isoformat(), "name": h.name} for h in s.holidays],
        "holiday_country": s.holiday_country,
    }


def _schedule(r: Row[Any]) -> Schedule:
    return Schedule(
        name=r.name, timezone=r.timezone,
        weekly=tuple(tuple((a, b) for a, b in day) for day in r.weekly),
        exceptions=tuple(SpecialDay(date.fromisoformat(x["date"]),
                                    tuple((a, b) for a, b in x["hours"]), x.get("note", ""))
                         for x in r.exceptions),
        holidays=tuple(Holiday(date.fromisoformat(h["date"]), h["name"]) for h in r.holidays),
        holiday_country=r.holiday_country,
    )
