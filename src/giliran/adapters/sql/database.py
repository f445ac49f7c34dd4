"""Engines from plain URLs, with the settings each database needs to be safe under concurrency."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from giliran.adapters.sql.direct import run_plain
from giliran.domain.errors import GiliranError

# JSON columns (events, who missed a ticket, an agent's queues) through orjson: several per
# write, at a few microseconds each instead of the stdlib's tens.
JSON_CODEC: dict[str, Any] = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    "json_deserializer": orjson.loads,
}

# Any constant would do: every writing transaction takes this transaction-scoped advisory lock.
WRITER_LOCK_KEY = 0x6711_1A4A


class DatabaseUrlError(GiliranError):
    code = "bad_database_url"


def normalize_url(raw: str) -> URL:
    """Accept URLs as users write them and choose the driver: stdlib sqlite3 for SQLite and
    psycopg 3 for PostgreSQL (see docs/design.md, "Storage design", for why synchronous drivers)."""
    try:
        url = make_url(raw)
    except Exception as exc:
        raise DatabaseUrlError(f"cannot parse database URL: {exc}") from None
    backend = url.drivername.split("+", 1)[0]
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise DatabaseUrlError("SQLite needs a file, e.g. sqlite:///giliran.db")
        return url.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    raise DatabaseUrlError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


@dataclass
class Database:
    engine: Engine
    # SQLite allows one writer at a time across processes (BEGIN IMMEDIATE); within a process
    # we queue writers on this lock so they do not spin in SQLite's sleeping busy handler.
    local_writer: threading.Lock = field(default_factory=threading.Lock)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def connect(raw_url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 10) -> Database:
    """Bound parameters never appear in errors or logs (hide_parameters): they hold webhook
    secrets, token hashes and customers' words."""
    url = normalize_url(raw_url)
    if url.drivername.startswith("sqlite"):
        engine = create_engine(url, pool_size=pool_size, max_overflow=40, pool_pre_ping=False,
                               hide_parameters=True, **JSON_CODEC)
        _configure_sqlite(engine, sqlite_synchronous)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True,
                               hide_parameters=True, **JSON_CODEC)
    return Database(engine)


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise DatabaseUrlError(f"bad SQLite synchronous mode {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module so we can say BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("giliran_write", False)
        run_plain(conn, "BEGIN IMMEDIATE" if write else "BEGIN")
