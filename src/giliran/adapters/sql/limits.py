"""SQL storage of the rate limits: one row per key, counted with one upsert."""

from __future__ import annotations

from sqlalchemy import Connection, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from giliran.adapters.sql import tables as t

_ROWS = t.rate_limits


class SqlRateLimitRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def hit(self, key: str, window_start: int) -> int:
        """Count one hit for `key` in the window starting at `window_start` (a new window
        starts from 1); the hits so far in it."""
        make = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        new = make(_ROWS).values(key=key, window_start=window_start, hits=1)
        same_window = _ROWS.c.window_start == new.excluded.window_start
        statement = new.on_conflict_do_update(
            index_elements=[_ROWS.c.key],
            set_={"hits": case((same_window, _ROWS.c.hits + 1), else_=1),
                  "window_start": new.excluded.window_start},
        ).returning(_ROWS.c.hits)
        return int(self._conn.execute(statement).scalar_one())

    def hits(self, key: str, window_start: int) -> int:
        found = self._conn.execute(select(_ROWS.c.hits).where(
            _ROWS.c.key == key, _ROWS.c.window_start == window_start)).scalar_one_or_none()
        return int(found or 0)

    def prune(self, before: int) -> int:
        """Forget windows that started before `before`."""
        return self._conn.execute(delete(_ROWS).where(_ROWS.c.window_start < before)).rowcount
