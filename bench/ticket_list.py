"""How fast is the supervisor's ticket list on a busy floor? GET /api/v1/tickets, in process.

Per database: a fresh database with 5,000 tickets (inserted in bulk; mixed priorities and
statuses, a fifth from WhatsApp customers with names), then each page asked for `--reps` times
through the whole app (FastAPI, the admin check, the one SQL statement, serialization) with
Starlette's TestClient, so no network or server process is measured. Prints p50 and p99 per
page, and how many statements each page took.

    .venv/bin/python bench/ticket_list.py [--db sqlite,postgres] [--tickets 5000] [--reps 200]
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
from sqlalchemy import event, insert

from _common import ADMIN_TOKEN, RESULTS, banner, parse_dbs, pg_cluster, write_json
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.migrate import upgrade
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app

PAGES: dict[str, dict[str, Any]] = {
    "first page": {"limit": 50},
    "deep page (offset 4,950)": {"limit": 50, "offset": 4950},
    "open, by waiting, page 20": {"limit": 50, "offset": 950, "open": "true", "sort": "waiting"},
    "search 'customer 12'": {"limit": 50, "q": "customer 12"},
    "whatsapp, by agent desc": {"limit": 50, "offset": 500, "channel": "whatsapp",
                                "sort": "agent", "order": "desc"},
}
STATUSES = ("queued", "queued", "completed", "cancelled")


def fill(c: Container, size: int) -> None:
    now = datetime.now(UTC)
    rows = [{
        "title": f"ticket {i}", "queue": "default", "priority": i % 4,
        "status": STATUSES[i % 4], "assigned_seq": 0,
        "created_at": now - timedelta(seconds=size - i),
        "queued_at": now - timedelta(seconds=size - i), "escalations": 0, "missed_by": [],
        "auto_dispatch": True, "queue_order": 0,
        "contact": f"whatsapp:62{i:08d}" if i % 5 == 0 else None,
    } for i in range(size)]
    customers = [{"key": f"whatsapp:62{i:08d}", "channel": "whatsapp",
                  "address": f"62{i:08d}", "name": f"Customer {i}"} for i in range(0, size, 5)]
    with c.db.engine.begin() as conn:
        conn.execute(insert(t.tickets), rows)
        conn.execute(insert(t.customers), customers)


def measure(url: str, size: int, reps: int) -> dict[str, Any]:
    c = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False))
    upgrade(c.db)
    fill(c, size)
    seen: list[str] = []
    event.listen(c.db.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: seen.append(sql))
    found: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        with TestClient(create_app(c)) as client:
            for name, params in PAGES.items():
                client.get("/api/v1/tickets", params=params, headers=headers)  # warm
                took = []
                for _ in range(reps):
                    seen.clear()
                    start = time.perf_counter()
                    r = client.get("/api/v1/tickets", params=params, headers=headers)
                    took.append((time.perf_counter() - start) * 1000)
                    assert r.status_code == 200, r.text
                reads = [s for s in seen if "FROM events" not in s
                         and s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
                took.sort()
                found[name] = {"p50_ms": statistics.median(took),
                               "p99_ms": took[min(len(took) - 1, int(len(took) * 0.99))],
                               "statements": len(reads), "total": r.json()["total"]}
    finally:
        c.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    results = {}
    for db in parse_dbs(args.db):
        banner(f"GET /api/v1/tickets on {db}, {args.tickets:,} tickets, {args.reps} reps")
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                results[db] = measure(f"sqlite:///{tmp}/bench.db", args.tickets, args.reps)
        else:
            with pg_cluster() as cluster:
                cluster.psql("CREATE DATABASE list_bench")
                results[db] = measure(cluster.url("list_bench"), args.tickets, args.reps)
        print(f"  {'page':<28}{'p50 ms':>8}{'p99 ms':>8}{'statements':>12}{'total':>7}")
        for name, r in results[db].items():
            print(f"  {name:<28}{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}{r['statements']:>12}"
                  f"{r['total']:>7}")
    write_json(RESULTS / "ticket_list.json", results)


if __name__ == "__main__":
    main()
