"""How fast is an agent's inbox on a busy shift? GET /api/v1/agent/inbox, in process.

Per database: one agent holding 30 tickets (a few pending their accept, the rest in progress),
each a WhatsApp conversation of 200 messages (the customer's, the agent's answers, notes), the
agent's read marks on half of them; then the inbox asked `--reps` times through the whole app
(FastAPI, the token check, the reads, serialization) with Starlette's TestClient. Prints p50
and p99 and how many statements one request took, for 30 tickets and for 10: the count must
not grow with the tickets (one read per concern, never one per ticket).

    .venv/bin/python bench/inbox.py [--db sqlite,postgres] [--tickets 30] [--messages 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select

from _common import ADMIN_TOKEN, RESULTS, banner, parse_dbs, pg_cluster, write_json
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.migrate import upgrade
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def fill(c: Container, client: TestClient, tickets: int, messages: int) -> dict[str, str]:
    agent = client.post("/api/v1/agents", json={"name": "Sari", "max_tickets": 50},
                        headers=ADMIN).json()
    now = datetime.now(UTC)
    start = now - timedelta(hours=3)
    rows = [{
        "title": f"lead {i}", "queue": "default", "priority": i % 4, "effective_priority": i % 4,
        "status": "assigned" if i % 6 == 0 else "in_progress", "agent_id": agent["id"],
        "assigned_seq": i + 1, "created_at": start, "assigned_at": start,
        "accepted_at": None if i % 6 == 0 else start, "escalations": 0, "missed_by": [],
        "auto_dispatch": True, "queue_order": 0, "contact": f"whatsapp:62{i:08d}",
    } for i in range(tickets)]
    customers = [{"key": f"whatsapp:62{i:08d}", "channel": "whatsapp",
                  "address": f"62{i:08d}", "name": f"Customer {i}"} for i in range(tickets)]
    with c.db.engine.begin() as conn:
        conn.execute(insert(t.tickets), rows)
        conn.execute(insert(t.customers), customers)
        ids = [r.id for r in conn.execute(select(t.tickets.c.id).order_by(t.tickets.c.id))]
        said = []
        for tid in ids:
            for n in range(messages):
                direction = ("in", "out", "in", "note")[n % 4]
                said.append({
                    "ticket_id": tid, "channel": "whatsapp", "external_id": f"m:{tid}:{n}",
                    "sender": "x", "body": f"message {n}", "at": start + timedelta(seconds=n),
                    "direction": direction, "kind": "text", "content": {},
                    "author": None if direction == "in" else f"agent:{agent['id']}",
                    "state": "read" if direction == "out" else None})
        conn.execute(insert(t.ticket_messages), said)
        mid = conn.execute(select(t.ticket_messages.c.id).where(
            t.ticket_messages.c.external_id == f"m:{ids[0]}:{messages // 2}")).scalar_one()
        conn.execute(insert(t.ticket_reads), [
            {"ticket_id": tid, "reader": f"agent:{agent['id']}", "message_id": mid + i * messages,
             "read_at": now} for i, tid in enumerate(ids) if i % 2 == 0])
    return {"Authorization": f"Bearer {agent['token']}"}


def measure(url: str, tickets: int, messages: int, reps: int) -> dict[str, Any]:
    c = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False))
    upgrade(c.db)
    seen: list[str] = []
    event.listen(c.db.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: seen.append(sql))
    try:
        with TestClient(create_app(c)) as client:
            headers = fill(c, client, tickets, messages)
            r = client.get("/api/v1/agent/inbox", headers=headers)  # warm
            assert r.status_code == 200 and len(r.json()["items"]) == tickets, r.text
            took = []
            for _ in range(reps):
                seen.clear()
                begin = time.perf_counter()
                r = client.get("/api/v1/agent/inbox", headers=headers)
                took.append((time.perf_counter() - begin) * 1000)
                assert r.status_code == 200, r.text
            statements = [s for s in seen if "FROM events" not in s
                          and s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    finally:
        c.close()
    took.sort()
    return {"p50_ms": statistics.median(took),
            "p99_ms": took[min(len(took) - 1, int(len(took) * 0.99))],
            "statements": len(statements), "items": len(r.json()["items"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--tickets", type=int, default=30)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for db in parse_dbs(args.db):
        banner(f"GET /api/v1/agent/inbox on {db}: {args.tickets} tickets x "
               f"{args.messages} messages, {args.reps} reps")
        results[db] = {}
        for size in (args.tickets, max(1, args.tickets // 3)):
            if db == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    found = measure(f"sqlite:///{tmp}/bench.db", size, args.messages, args.reps)
            else:
                with pg_cluster() as cluster:
                    cluster.psql("CREATE DATABASE inbox_bench")
                    found = measure(cluster.url("inbox_bench"), size, args.messages, args.reps)
            results[db][size] = found
            print(f"  {size:>3} tickets: p50 {found['p50_ms']:.1f} ms, p99 "
                  f"{found['p99_ms']:.1f} ms, {found['statements']} statements per request")
    write_json(RESULTS / "inbox.json", results)


if __name__ == "__main__":
    main()
