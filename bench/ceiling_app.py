"""The ceiling: a minimal FastAPI app whose POST /api/v1/tickets runs one minimal assign
transaction on giliran's own schema, with the leanest driver path.

- SQLite: stdlib sqlite3 on the event loop itself (one connection, no thread hop; WAL,
  synchronous=NORMAL, foreign_keys=ON, like giliran), BEGIN IMMEDIATE.
- PostgreSQL: asyncpg pool, the same transaction behind the same transaction-scoped advisory
  lock giliran takes (without it two workers could hand the same agent its last slot).

Two transactions, chosen by CEILING_WORK:

- `same` (the default): exactly what giliran's intake writes for one assigned ticket. Read the
  next eligible agent in round-robin order through the partial index
  ix_agents_eligible_rotation, take the next assignment sequence number (UPDATE counters),
  insert the ticket already assigned (every column giliran writes), update the agent, insert
  the two history rows (created; assigned, with the strategy's note and detail) and the two
  events (ticket.created, ticket.assigned, with payloads of the shape and size giliran's have)
  with executemany, and on PostgreSQL queue giliran's NOTIFY. What giliran does besides that
  (reading the queue row, its own bookkeeping) is the cost the ratio measures.
- `three-row`: the minimal assignment only (agent read, counter, ticket, agent): the figure
  earlier runs compared with, kept as a second, labelled line.

With no eligible agent the ticket is inserted queued (and, for `same`, one history row and one
event).

Configuration from the environment: CEILING_DATABASE_URL (sqlite:////abs/path.db or
postgresql://user@host:port/db), CEILING_TOKEN (the bearer token to accept), CEILING_WORK.

    .venv/bin/python -m uvicorn ceiling_app:app --app-dir bench --workers 2 --no-access-log
"""

from __future__ import annotations

import hmac
import json
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
SAME_WORK = os.environ.get("CEILING_WORK", "same") == "same"
NOTIFY = "NOTIFY giliran_events, 'outbox'"  # giliran.adapters.sql.wakeup.notify_sql

# The WHERE clause spelled as the partial index's predicate, so the planner uses that index.
# The same work reads three in turn, as giliran's round robin does (the chosen one, and the two
# next in line its explanation names).
SQLITE_NEXT_AGENT = (
    "SELECT id, name FROM agents WHERE active = 1 AND presence = 'online' AND auto_assign = 1 "
    "AND active_tickets < max_tickets ORDER BY last_assigned_seq, rotation_order, id LIMIT ?"
)
PG_NEXT_AGENT = (
    "SELECT id, name FROM agents WHERE active AND presence = 'online' AND auto_assign "
    "AND active_tickets < max_tickets ORDER BY last_assigned_seq, rotation_order, id LIMIT $1"
)
CANDIDATES = 3 if SAME_WORK else 1
NEXT_SEQ = "UPDATE counters SET value = value + 1 WHERE name = 'assignment' RETURNING value"
# Every column giliran's intake writes for a ticket (placeholders: SQLite ? / asyncpg $n).
TICKET_COLUMNS = ("title, description, category, queue, priority, status, external_id, agent_id,"
                  " assigned_seq, created_at, assigned_at, accepted_at, closed_at, queued_at,"
                  " escalations, missed_by, flag, flagged_at, auto_dispatch, queue_order,"
                  " priority_since, contact")
HISTORY_COLUMNS = "ticket_id, at, event, reason, actor, from_agent_id, to_agent_id, note, detail"
EVENT_COLUMNS = "at, type, ticket_id, queue, agents, payload"


def _placeholders(n: int, sqlite: bool) -> str:
    return ", ".join("?" if sqlite else f"${i}" for i in range(1, n + 1))


def _ticket_row(title: str, agent_id: int | None, seq: int, now: Any) -> tuple[Any, ...]:
    assigned = agent_id is not None
    return (title, None, None, "default", 1, "assigned" if assigned else "queued", None,
            agent_id, seq, now, now if assigned else None, None, None, now, 0, "[]", None,
            None, True, 0, now, None)


def _iso(now: datetime) -> str:
    return now.isoformat()


def _ticket_json(ticket_id: int, title: str, agent_id: int | None, now: datetime) -> str:
    """The ticket as giliran's events carry it (same keys, same size)."""
    status = "assigned" if agent_id is not None else "queued"
    agent = "null" if agent_id is None else str(agent_id)
    assigned_at = "null" if agent_id is None else f'"{_iso(now)}"'
    return (f'{{"id":{ticket_id},"number":"INC{now:%Y%m%d}{ticket_id:06d}","title":{_quote(title)},'
            f'"category":null,"queue":"default","priority":"normal","status":"{status}",'
            f'"assigned_agent_id":{agent},"assigned_at":{assigned_at},'
            f'"created_at":"{_iso(now)}","escalations":0,"flag":null,"auto_dispatch":true}}')


def _quote(text: str) -> str:
    return json.dumps(text)


def _history_and_events(ticket_id: int, title: str, agent_id: int | None, others: list[Any],
                        now: Any, stamp: Any) -> tuple[list[tuple[Any, ...]],
                                                       list[tuple[Any, ...]]]:
    """The two history rows and two events giliran writes (one of each when queued). `now` is
    the value bound for timestamps, `stamp` the aware datetime for the payloads."""
    ticket = _ticket_json(ticket_id, title, agent_id, stamp)
    concerned = "[]" if agent_id is None else f"[{agent_id}]"
    history = [(ticket_id, now, "created", "created", "admin", None, None, None,
                '{"automatic":true}')]
    events = [(now, "ticket.created", ticket_id, "default", concerned,
               f'{{"ticket":{ticket},"reason":"created","actor":"admin",'
               f'"from_agent_id":null,"to_agent_id":null}}')]
    if agent_id is not None:
        names = " and ".join(str(o[1]) for o in others)
        listed = ",".join(f'{{"agent_id":{o[0]},"name":{_quote(str(o[1]))}}}' for o in others)
        history.append((ticket_id, now, "assigned", "auto", "system", None, agent_id,
                        f"round robin: never assigned before, before {names}",
                        f'{{"strategy":"round_robin","agent_id":{agent_id},"skipped":[],'
                        f'"never":true,"others":[{listed}]}}'))
        events.append((now, "ticket.assigned", ticket_id, "default", concerned,
                       f'{{"ticket":{ticket},"reason":"auto","actor":"system",'
                       f'"from_agent_id":null,"to_agent_id":{agent_id}}}'))
    return history, events


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
    stamp = datetime.now(UTC)
    now = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute(SQLITE_NEXT_AGENT, (CANDIDATES,)).fetchall()
        agent_id = found[0][0] if found else None
        seq = conn.execute(NEXT_SEQ).fetchone()[0] if found else 0
        ticket_id = conn.execute(
            f"INSERT INTO tickets ({TICKET_COLUMNS}) VALUES ({_placeholders(22, True)})"
            " RETURNING id", _ticket_row(title, agent_id, seq, now),
        ).fetchone()[0]
        if found:
            conn.execute(
                "UPDATE agents SET active_tickets = active_tickets + 1, last_assigned_seq = ?"
                " WHERE id = ?", (seq, agent_id),
            )
        if SAME_WORK:
            history, events = _history_and_events(ticket_id, title, agent_id, found[1:], now,
                                                  stamp)
            conn.executemany(f"INSERT INTO assignment_history ({HISTORY_COLUMNS}) VALUES "
                             f"({_placeholders(9, True)})", history)
            conn.executemany(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES "
                             f"({_placeholders(6, True)})", events)
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
        found = await conn.fetch(PG_NEXT_AGENT, CANDIDATES)
        agent_id = found[0][0] if found else None
        seq = await conn.fetchval(NEXT_SEQ) if found else 0
        ticket_id = await conn.fetchval(
            f"INSERT INTO tickets ({TICKET_COLUMNS}) VALUES ({_placeholders(22, False)})"
            " RETURNING id", *_ticket_row(title, agent_id, seq, now),
        )
        if found:
            await conn.execute(
                "UPDATE agents SET active_tickets = active_tickets + 1, last_assigned_seq = $1"
                " WHERE id = $2", seq, agent_id,
            )
        if SAME_WORK:
            history, events = _history_and_events(ticket_id, title, agent_id, found[1:], now,
                                                  now)
            await conn.executemany(f"INSERT INTO assignment_history ({HISTORY_COLUMNS}) VALUES "
                                   f"({_placeholders(9, False)})", history)
            await conn.executemany(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES "
                                   f"({_placeholders(6, False)})", events)
            await conn.execute(NOTIFY)
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
