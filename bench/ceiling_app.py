"""The ceiling: a minimal FastAPI app whose POST /api/v1/tickets runs one minimal assign
transaction on giliran's own schema, with the leanest driver path.

- SQLite: stdlib sqlite3 on the event loop itself (one connection, no thread hop; WAL,
  synchronous=NORMAL, foreign_keys=ON, like giliran), BEGIN IMMEDIATE.
- PostgreSQL: asyncpg pool, the same transaction behind the same transaction-scoped advisory
  lock giliran takes (without it two workers could hand the same agent its last slot).

The transaction: read the next eligible agent in round-robin order through the partial index
ix_agents_eligible_rotation, take the next assignment sequence number (UPDATE counters),
insert the ticket already assigned, update the agent. That is one indexed read, two row
updates and one insert; giliran additionally writes two history rows and does its own
bookkeeping reads. With no eligible agent the ticket is inserted queued.

Configuration from the environment: CEILING_DATABASE_URL (sqlite:////abs/path.db or
postgresql://user@host:port/db) and CEILING_TOKEN (the bearer token to accept).

    .venv/bin/python -m uvicorn ceiling_app:app --app-dir bench --workers 2 --no-access-log
"""

from __future__ import annotations

import hmac
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

DATABASE_URL = os.environ.get("CEILING_DATABASE_URL", "")
TOKEN = os.environ.get("CEILING_TOKEN", "")
WRITER_LOCK_KEY = 0x6711_1A4A  # giliran.adapters.sql.database.WRITER_LOCK_KEY
POOL_SIZE = int(os.environ.get("CEILING_POOL_SIZE", "10"))

# The WHERE clause spelled as the partial index's predicate, so the planner uses that index.
SQLITE_NEXT_AGENT = (
    "SELECT id FROM agents WHERE active = 1 AND presence = 'online' AND auto_assign = 1 "
    "AND active_tickets < max_tickets ORDER BY last_assigned_seq, rotation_order, id LIMIT 1"
)
PG_NEXT_AGENT = (
    "SELECT id FROM agents WHERE active AND presence = 'online' AND auto_assign "
    "AND active_tickets < max_tickets ORDER BY last_assigned_seq, rotation_order, id LIMIT 1"
)
NEXT_SEQ = "UPDATE counters SET value = value + 1 WHERE name = 'assignment' RETURNING value"


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)


def _check(authorization: str) -> None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                              TOKEN.encode()):
        raise HTTPException(401, "bad token")


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _sqlite_assign(conn: sqlite3.Connection, title: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(SQLITE_NEXT_AGENT).fetchone()
        if row is None:
            ticket_id = conn.execute(
                "INSERT INTO tickets (title, queue, priority, status, assigned_seq, created_at)"
                " VALUES (?, 'default', 1, 'queued', 0, ?) RETURNING id", (title, now),
            ).fetchone()[0]
            agent_id = None
        else:
            agent_id = row[0]
            seq = conn.execute(NEXT_SEQ).fetchone()[0]
            ticket_id = conn.execute(
                "INSERT INTO tickets (title, queue, priority, status, agent_id, assigned_seq,"
                " created_at, assigned_at) VALUES (?, 'default', 1, 'assigned', ?, ?, ?, ?)"
                " RETURNING id", (title, agent_id, seq, now, now),
            ).fetchone()[0]
            conn.execute(
                "UPDATE agents SET active_tickets = active_tickets + 1, last_assigned_seq = ?"
                " WHERE id = ?", (seq, agent_id),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {"id": ticket_id, "status": "queued" if agent_id is None else "assigned",
            "assigned_agent_id": agent_id}


async def _pg_assign(pool: Any, title: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK_KEY)
        agent_id = await conn.fetchval(PG_NEXT_AGENT)
        if agent_id is None:
            ticket_id = await conn.fetchval(
                "INSERT INTO tickets (title, queue, priority, status, assigned_seq, created_at)"
                " VALUES ($1, 'default', 1, 'queued', 0, $2) RETURNING id", title, now,
            )
        else:
            seq = await conn.fetchval(NEXT_SEQ)
            ticket_id = await conn.fetchval(
                "INSERT INTO tickets (title, queue, priority, status, agent_id, assigned_seq,"
                " created_at, assigned_at) VALUES ($1, 'default', 1, 'assigned', $2, $3, $4, $4)"
                " RETURNING id", title, agent_id, seq, now,
            )
            await conn.execute(
                "UPDATE agents SET active_tickets = active_tickets + 1, last_assigned_seq = $1"
                " WHERE id = $2", seq, agent_id,
            )
    return {"id": ticket_id, "status": "queued" if agent_id is None else "assigned",
            "assigned_agent_id": agent_id}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if DATABASE_URL.startswith("sqlite:"):
        conn = sqlite3.connect(_sqlite_path(DATABASE_URL), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        app.state.sqlite = conn
        app.state.pool = None
        try:
            yield
        finally:
            conn.close()
    else:
        import asyncpg

        pool = await asyncpg.create_pool(DATABASE_URL, min_size=POOL_SIZE, max_size=POOL_SIZE)
        app.state.sqlite = None
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/api/v1/tickets", status_code=201)
async def create_ticket(body: TicketIn, request: Request,
                        authorization: str = Header("")) -> dict[str, Any]:
    _check(authorization)
    if request.app.state.sqlite is not None:
        return _sqlite_assign(request.app.state.sqlite, body.title)
    return await _pg_assign(request.app.state.pool, body.title)


@app.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    if request.app.state.sqlite is not None:
        request.app.state.sqlite.execute("SELECT 1").fetchone()
    else:
        async with request.app.state.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    return {"status": "ready"}
