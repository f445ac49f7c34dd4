"""SQL storage of the day's figures (domain/daybook.py). What a unit of work adds is gathered
and written at commit: the sums in one upsert per subject (value = value + the addition), each
histogram it touched read (locked, on PostgreSQL), merged and written back. Commits that add to
histograms write the history, so they hold the floor lock; the row lock keeps a histogram
right even for a writer that did not."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from giliran.adapters.sql import tables as t
from giliran.domain.daybook import SCALAR, Day, DayAdd, Figure, Histogram

_SUMS = t.day_figures
_HIST = t.day_histograms
SUM_COLUMNS = ("arrived", "assigned", "completed", "missed", "online", "busy")
_DAY_SUMS = select(_SUMS).where(_SUMS.c.day == bindparam("day"))
_DAY_HISTOGRAMS = select(_HIST).where(_HIST.c.day == bindparam("day"))
HistKey = tuple[str, str, str]  # day, subject, figure


class SqlDaybookRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._sums: dict[tuple[str, str], dict[str, float]] = {}
        self._histograms: dict[HistKey, dict[int, int]] = {}

    def add(self, adds: Sequence[DayAdd]) -> None:
        for a in adds:
            day = a.day.isoformat()
            if a.bucket == SCALAR:
                sums = self._sums.setdefault((day, a.subject), {})
                sums[a.figure.value] = sums.get(a.figure.value, 0.0) + a.value
            else:
                counts = self._histograms.setdefault((day, a.subject, a.figure.value), {})
                counts[a.bucket] = counts.get(a.bucket, 0) + int(a.value)

    def flush(self) -> None:
        """At commit, in the writer's transaction."""
        if self._sums:
            self._write_sums()
        if self._histograms:
            self._write_histograms()

    def forget(self) -> None:
        self._sums = {}
        self._histograms = {}

    def day(self, day: date) -> Day:
        key = day.isoformat()
        found = Day()
        for r in self._conn.execute(_DAY_SUMS, {"day": key}):
            for name in SUM_COLUMNS:
                value = getattr(r, name)
                if value:
                    found.sums[(r.subject, Figure(name))] = float(value)
        for r in self._conn.execute(_DAY_HISTOGRAMS, {"day": key}):
            found.histograms[(r.subject, Figure(r.figure))] = Histogram(_counts(r.counts))
        return found

    def _upsert(self, table: Any) -> Any:
        make = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        return make(table)

    def _write_sums(self) -> None:
        new = self._upsert(_SUMS)
        statement = new.on_conflict_do_update(
            index_elements=[_SUMS.c.day, _SUMS.c.subject],
            set_={name: _SUMS.c[name] + new.excluded[name] for name in SUM_COLUMNS})
        rows = [{"day": day, "subject": subject, **{n: sums.get(n, 0.0) for n in SUM_COLUMNS}}
                for (day, subject), sums in sorted(self._sums.items())]
        self._sums = {}
        self._conn.execute(statement, rows)

    def _write_histograms(self) -> None:
        keys = sorted(self._histograms)
        found = select(_HIST).where(
            tuple_(_HIST.c.day, _HIST.c.subject, _HIST.c.figure).in_(keys))
        if self._conn.dialect.name == "postgresql":
            found = found.with_for_update()
        stored = {(r.day, r.subject, r.figure): Histogram(_counts(r.counts))
                  for r in self._conn.execute(found)}
        rows = []
        for key in keys:
            histogram = stored.get(key) or Histogram()
            for bucket, n in self._histograms[key].items():
                histogram.add_to(bucket, n)
            rows.append({"day": key[0], "subject": key[1], "figure": key[2],
                         "counts": json.dumps(histogram.counts, separators=(",", ":"))})
        self._histograms = {}
        new = self._upsert(_HIST)
        self._conn.execute(new.on_conflict_do_update(
            index_elements=[_HIST.c.day, _HIST.c.subject, _HIST.c.figure],
            set_={"counts": new.excluded.counts}), rows)


def _counts(raw: str) -> list[int]:
    """Stored dense (a JSON list, one count per bucket from 0): it parses in C into what a
    Histogram holds, so a day's read stays cheap however spread its samples are."""
    found: list[int] = json.loads(raw)
    return found
