"""SQL storage of the day's figures (domain/daybook.py).

A commit adds what it changed in one statement: an upsert of its additions into `day_deltas`
(one row per day, subject, figure and histogram bucket; value = value + the addition), with no
read, so intake pays a single round trip for its figures. Now and then (`compact`, from the
scheduler every half minute and from `giliran tick`) the deltas are folded into the packed
rows a day is read from: `day_figures` (a row of sums per subject) and `day_histograms` (a
histogram per subject and figure, its counts as a dense JSON list). Reading a day costs its
packed rows and the deltas added since the last fold: bounded by the agents, the queues and
half a minute of work, never by the tickets handled.

The fold takes the deltas with DELETE ... RETURNING, so an addition that lands while it runs
(a writer that did not hold the floor lock) is not lost: it waits for the fold's commit and is
then inserted afresh, for the next fold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.direct import Direct
from giliran.domain.daybook import SCALAR, Day, DayAdd, Figure, Histogram

_DELTAS = t.day_deltas
_SUMS = t.day_figures
_HIST = t.day_histograms
SUM_COLUMNS = ("arrived", "assigned", "completed", "missed", "online", "busy")
_KEY = ("day", "subject", "figure", "bucket")
_DAY: Any = bindparam("day")
# Floats through Connection.execute: Direct passes no column type code to psycopg's numeric
# result processor.
_DAY_SUMS = select(_SUMS).where(_SUMS.c.day == _DAY)
_DAY_HISTOGRAMS = Direct(select(_HIST.c.subject, _HIST.c.figure, _HIST.c.counts)
                         .where(_HIST.c.day == _DAY))
_DAY_DELTAS = select(_DELTAS.c.subject, _DELTAS.c.figure, _DELTAS.c.bucket,
                     _DELTAS.c.value).where(_DELTAS.c.day == _DAY)
_TAKE_DELTAS = delete(_DELTAS).returning(*(_DELTAS.c[k] for k in (*_KEY, "value")))
_ONE_HISTOGRAM = (_HIST.c.day == bindparam("day"), _HIST.c.subject == bindparam("subject"),
                  _HIST.c.figure == bindparam("figure"))


def _upserts(make: Any) -> tuple[Direct, Direct, Direct]:
    """Built once per dialect: building them per commit cost intake more than running them."""
    new = make(_DELTAS)
    deltas = new.on_conflict_do_update(index_elements=[_DELTAS.c[k] for k in _KEY],
                                       set_={"value": _DELTAS.c.value + new.excluded.value})
    new = make(_SUMS)
    sums = new.on_conflict_do_update(
        index_elements=[_SUMS.c.day, _SUMS.c.subject],
        set_={name: _SUMS.c[name] + new.excluded[name] for name in SUM_COLUMNS})
    new = make(_HIST)
    histograms = new.on_conflict_do_update(
        index_elements=[_HIST.c.day, _HIST.c.subject, _HIST.c.figure],
        set_={"counts": new.excluded.counts})
    return Direct(deltas), Direct(sums), Direct(histograms)


_UPSERTS = {"sqlite": _upserts(sqlite_insert), "postgresql": _upserts(pg_insert)}
# PostgreSQL locks the packed row it is about to merge into (SQLite's writer holds the file).
_READ_HISTOGRAM = {"sqlite": Direct(select(_HIST.c.counts).where(*_ONE_HISTOGRAM)),
                   "postgresql": Direct(select(_HIST.c.counts).where(*_ONE_HISTOGRAM)
                                        .with_for_update())}


class SqlDaybookRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: dict[tuple[str, str, str, int], float] = {}

    def add(self, adds: Sequence[DayAdd]) -> None:
        for a in adds:
            key = (a.day.isoformat(), a.subject, a.figure.value, a.bucket)
            self._pending[key] = self._pending.get(key, 0.0) + a.value

    def flush(self) -> None:
        """At commit, in the writer's transaction: one statement."""
        if not self._pending:
            return
        rows = [dict(zip(_KEY, key, strict=True), value=value)
                for key, value in sorted(self._pending.items())]
        self._pending = {}
        _UPSERTS[self._conn.dialect.name][0].many(self._conn, rows)

    def forget(self) -> None:
        self._pending = {}

    def day(self, day: date) -> Day:
        params = {"day": day.isoformat()}
        found = Day()
        for r in self._conn.execute(_DAY_SUMS, params):
            for name in SUM_COLUMNS:
                value = getattr(r, name)
                if value:
                    found.sums[(r.subject, Figure(name))] = float(value)
        for subject, figure, counts in _DAY_HISTOGRAMS.rows(self._conn, params):
            found.histograms[(subject, Figure(figure))] = Histogram(json.loads(counts))
        for subject, figure, bucket, value in self._conn.execute(_DAY_DELTAS, params):
            key = (subject, Figure(figure))
            if bucket == SCALAR:
                found.sums[key] = found.sums.get(key, 0.0) + float(value)
            else:
                found.histograms.setdefault(key, Histogram()).add_to(bucket, int(value))
        return found

    def compact(self) -> int:
        """Fold every delta into the packed rows; how many deltas it folded."""
        taken = list(self._conn.execute(_TAKE_DELTAS))
        if not taken:
            return 0
        sums: dict[tuple[str, str], dict[str, float]] = {}
        histograms: dict[tuple[str, str, str], dict[int, int]] = {}
        for day, subject, figure, bucket, value in taken:
            if bucket == SCALAR:
                row = sums.setdefault((day, subject), {})
                row[figure] = row.get(figure, 0.0) + float(value)
            else:
                counts = histograms.setdefault((day, subject, figure), {})
                counts[bucket] = counts.get(bucket, 0) + int(value)
        dialect = self._conn.dialect.name
        if sums:
            _UPSERTS[dialect][1].many(self._conn, [
                {"day": day, "subject": subject, **{n: row.get(n, 0.0) for n in SUM_COLUMNS}}
                for (day, subject), row in sorted(sums.items())])
        if histograms:
            _UPSERTS[dialect][2].many(self._conn, [
                self._merged(dialect, key, counts) for key, counts in sorted(histograms.items())])
        return len(taken)

    def _merged(self, dialect: str, key: tuple[str, str, str],
                counts: dict[int, int]) -> dict[str, str]:
        day, subject, figure = key
        stored = _READ_HISTOGRAM[dialect].scalar(
            self._conn, {"day": day, "subject": subject, "figure": figure})
        histogram = Histogram(json.loads(stored) if stored is not None else [])
        for bucket, n in counts.items():
            histogram.add_to(bucket, n)
        return {"day": day, "subject": subject, "figure": figure,
                "counts": json.dumps(histogram.counts, separators=(",", ":"))}
