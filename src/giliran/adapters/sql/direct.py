"""Prebuilt statements run straight on the DBAPI cursor of the unit of work's connection.

`Connection.execute` of a prebuilt Core statement costs ~25 µs of Python before the driver sees
it (cache lookup, execution context, events, result set-up) and intake runs about nine. A
`Direct` statement is compiled once per dialect and asks each bound and returned column's type
for its processors for that dialect, so values go in and come out exactly as through
`Connection.execute` (aware UTC datetimes, JSON through orjson, booleans), at a few
microseconds. It runs on the same connection, so it is part of the same transaction.

Only SQLAlchemy's public API is used (`compile`, the compiled string, `binds` and
`positiontup`, `exported_columns`, `TypeEngine.dialect_impl` with `bind_processor` and
`result_processor`), so an upgrade within 2.x keeps it working; tests/unit/test_direct_api.py
fails if a private attribute creeps back in.

When anyone listens to the engine's statement events (a benchmark timing statements, `echo`),
it takes the ordinary path, so they still see every statement.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ReturnsRows
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any] | None


class _Plan:
    """One statement compiled for one dialect."""

    def __init__(self, stmt: Executable, compiled: SQLCompiler, dialect: Dialect) -> None:
        self.sql = compiled.string
        binds = compiled.binds
        names = list(compiled.positiontup or binds)
        found = {n: _for_dialect(binds[n].type, dialect).bind_processor(dialect) for n in names}
        self.binds: list[tuple[str, Processor, Any, bool]] = [
            (n, found[n], binds[n].effective_value, _keeps_none(found[n])) for n in names]
        self.positional = bool(compiled.positional)
        # A SELECT's columns, or an INSERT/UPDATE's RETURNING ones; none for text().
        columns = list(stmt.exported_columns) if isinstance(stmt, ReturnsRows) else []
        # Rows as named tuples, read like SQLAlchemy's (row.id); plain tuples for text().
        keys = [c.key for c in columns]
        self.row: Any = namedtuple("Row", keys) if keys else tuple
        self.results: list[Processor] = [
            _for_dialect(c.type, dialect).result_processor(dialect, None) for c in columns]
        self.converts = any(self.results)

    def params(self, given: dict[str, Any]) -> Any:
        values = []
        for name, processor, default, keeps_none in self.binds:
            value = given.get(name, default)
            if processor is not None and not (value is None and keeps_none):
                value = processor(value)
            values.append(value)
        if self.positional:
            return values
        return {b[0]: v for b, v in zip(self.binds, values, strict=True)}

    def make_row(self, raw: Sequence[Any]) -> Any:
        if self.converts:
            raw = [p(v) if p is not None else v for p, v in zip(self.results, raw, strict=True)]
        return self.row(raw) if self.row is tuple else self.row._make(raw)


def _for_dialect(type_: TypeEngine[Any], dialect: Dialect) -> TypeEngine[Any]:
    """The type as this dialect implements it (psycopg's JSON, SQLite's DateTime, ...)."""
    return type_.dialect_impl(dialect)


def _keeps_none(processor: Processor) -> bool:
    """Whether the processor binds None as NULL (most do; JSON binds it as 'null'), so a None
    can skip it."""
    return processor is None or processor(None) is None


class Direct:
    def __init__(self, stmt: Executable, column_keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = self.stmt.compile(  # type: ignore[attr-defined]
                dialect=dialect, column_keys=self._column_keys)
            assert isinstance(compiled, SQLCompiler)
            plan = self._plans[dialect.name] = _Plan(self.stmt, compiled, dialect)
        return plan

    def rows(self, conn: Connection, params: dict[str, Any] | None = None) -> list[Any]:
        if _observed(conn):
            result = conn.execute(self.stmt, params or {})
            return list(result) if result.returns_rows else []
        plan = self._plan(conn.dialect)
        bound = plan.params(params or {})
        with _cursor(conn, plan.sql, bound) as cursor:
            cursor.execute(plan.sql, bound)
            raw = cursor.fetchall() if cursor.description is not None else []
        return [plan.make_row(r) for r in raw]

    def first(self, conn: Connection, params: dict[str, Any] | None = None) -> Any:
        found = self.rows(conn, params)
        return found[0] if found else None

    def scalar(self, conn: Connection, params: dict[str, Any] | None = None) -> Any:
        found = self.rows(conn, params)
        return found[0][0] if found else None

    def many(self, conn: Connection, params: Sequence[dict[str, Any]],
             then: Sequence[str] = ()) -> list[Any]:
        """One statement, several rows of parameters; then the plain statements `then`, sent in
        the same round trip where the driver can pipeline (psycopg). The raw rows the last of
        them returns (the unit of work's last event id)."""
        if _observed(conn):
            conn.execute(self.stmt, list(params))
            found: list[Any] = []
            for sql in then:
                result = conn.exec_driver_sql(sql)
                found = [tuple(r) for r in result] if result.returns_rows else []
            return found
        plan = self._plan(conn.dialect)
        bound = [plan.params(p) for p in params]
        with _cursor(conn, plan.sql, bound) as cursor:
            if not then:
                cursor.executemany(plan.sql, bound)
                return []
            pipeline = getattr(cursor.connection, "pipeline", None)
            with pipeline() if pipeline is not None else nullcontext():
                cursor.executemany(plan.sql, bound)
                for sql in then:
                    cursor.execute(sql)
            # The cursor holds the last statement's result (once the pipeline has synced).
            return cursor.fetchall() if cursor.description is not None else []


@contextmanager
def _cursor(conn: Connection, sql: str, bound: Any) -> Iterator[Any]:
    """A DBAPI cursor whose errors surface as SQLAlchemy's (IntegrityError, ...), and which
    invalidates the connection on a disconnect, as `Connection.execute` would."""
    dbapi_conn = conn.connection.dbapi_connection
    assert dbapi_conn is not None
    cursor = dbapi_conn.cursor()
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield cursor
    except dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, dbapi_conn, cursor)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, bound, exc, dbapi.Error, connection_invalidated=lost,
                                  dialect=conn.dialect) from exc
    finally:
        cursor.close()


def run_plain(conn: Connection, sql: str) -> None:
    """A statement without parameters or result (BEGIN)."""
    if _observed(conn):
        conn.exec_driver_sql(sql)
        return
    with _cursor(conn, sql, ()) as cursor:
        cursor.execute(sql)


def _observed(conn: Connection) -> bool:
    engine = conn.engine
    return bool(engine.echo or engine.dispatch.before_cursor_execute
                or engine.dispatch.after_cursor_execute)
