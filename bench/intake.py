"""Intake throughput of the real product: POST /api/v1/tickets -> the ticket is assigned.

Starts `giliran serve` (SQLite: 1 worker; PostgreSQL: 2 workers), creates agents through the API
with the largest capacity the API allows (1000 each) and puts them online, so every POST in the
measured window finds room and is assigned in the same transaction: one request = one
assignment. Load comes from wrk (bench/post_ticket.lua). Afterwards it checks, through the API,
that every ticket created really was assigned and prints the fraction.

    .venv/bin/python bench/intake.py [--db sqlite,postgres] [--duration 10] [--connections 16,64]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ADMIN_TOKEN,
    RESULTS,
    banner,
    giliran_server,
    load_runs,
    parse_dbs,
    pg_cluster,
    write_json,
    wrk_available,
)

MAX_CAPACITY = 1000  # the API's upper bound for max_tickets
WORKERS = {"sqlite": 1, "postgres": 2}


def setup_agents(base_url: str, count: int) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for i in range(count):
            r = client.post("/api/v1/agents", headers=admin,
                            json={"name": f"bench-agent-{i:04d}", "max_tickets": MAX_CAPACITY})
            r.raise_for_status()
            token = r.json()["token"]
            client.post("/api/v1/agent/go-online",
                        headers={"Authorization": f"Bearer {token}"}).raise_for_status()


def free_slots(base_url: str) -> int:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        r = client.get("/api/v1/workload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        r.raise_for_status()
        return int(r.json()["queue"]["free_slots"])


def queued_via_api(base_url: str) -> int:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        r = client.get("/api/v1/tickets", params={"status": "queued", "limit": 1},
                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        r.raise_for_status()
        return int(r.json()["total"])


def db_check(url: str) -> dict[str, int]:
    """One consistent read of the database once the server has stopped (so nothing is in
    flight): tickets per status, and whether agents' counters agree with the tickets held."""
    from sqlalchemy import func, select

    from giliran.adapters.sql import tables as t
    from giliran.adapters.sql.database import connect

    db = connect(url)
    try:
        with db.engine.connect() as conn:
            counts = {row.status: int(row.n) for row in conn.execute(
                select(t.tickets.c.status, func.count().label("n")).group_by(t.tickets.c.status))}
            active = conn.execute(select(func.sum(t.agents.c.active_tickets))).scalar_one()
            history = conn.execute(select(func.count()).select_from(t.history)).scalar_one()
    finally:
        db.dispose()
    counts["all"] = sum(counts.values())
    counts["agents_active_tickets"] = int(active or 0)
    counts["history_rows"] = int(history)
    return counts


def bench_one(db: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    server = giliran_server(url, WORKERS[db], workdir / f"giliran-{db}.log")
    server.start()
    try:
        setup_agents(server.base_url, args.agents)
        print(f"  {args.agents} agents online, {free_slots(server.base_url)} free slots; "
              f"{WORKERS[db]} worker(s)", flush=True)
        runs = load_runs(server.base_url, args.connections, args.duration, args.warmup,
                         f"giliran {db}", pg_url=url if db == "postgres" else None)
        api_queued = queued_via_api(server.base_url)
        slots_left = free_slots(server.base_url)
    finally:
        server.stop()
    after = db_check(url)
    created = after["all"]
    assigned = after.get("assigned", 0)
    queued = after.get("queued", 0)
    wrk_ok = sum(r["ok_requests"] + r["warmup_ok_requests"] for r in runs)
    fraction = assigned / created if created else 0.0
    consistent = after["agents_active_tickets"] == assigned
    print(f"  check (database, after stop): {created} tickets created ({wrk_ok} 2xx counted by "
          f"wrk; requests in flight when wrk stops finish uncounted), {assigned} assigned, "
          f"{queued} queued (API said {api_queued}) -> assigned fraction {fraction:.4f}; "
          f"sum(agents.active_tickets) = {after['agents_active_tickets']} "
          f"({'matches' if consistent else 'DOES NOT MATCH'}); {after['history_rows']} history "
          f"rows; {slots_left} free slots left", flush=True)
    if slots_left == 0:
        print("  WARNING: capacity ran out, later POSTs queued instead of assigning; "
              "raise --agents", flush=True)
    return {"db": db, "workers": WORKERS[db], "agents": args.agents,
            "max_tickets": MAX_CAPACITY, "runs": runs, "created": created, "assigned": assigned,
            "queued": queued, "assigned_fraction": fraction, "wrk_ok": wrk_ok,
            "counters_consistent": consistent}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--connections", default="16,64")
    p.add_argument("--agents", type=int, default=150)
    p.add_argument("--json", type=Path, default=RESULTS / "intake.json")
    args = p.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    wrk_available()

    banner("intake: POST /api/v1/tickets on the real server (measured op: create -> assigned)")
    print(f"  wrk -t2 -c<N> -d{args.duration:g}s --latency -s bench/post_ticket.lua, after a "
          f"{args.warmup:g}s warm-up at the same concurrency", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="giliran-bench-") as tmp:
        workdir = Path(tmp)
        for db in parse_dbs(args.db):
            if db == "sqlite":
                results.append(bench_one(db, f"sqlite:///{workdir / 'intake.db'}", args,
                                         RESULTS))
            else:
                with pg_cluster() as cluster:
                    cluster.psql("CREATE DATABASE bench_intake")
                    results.append(bench_one(db, cluster.url("bench_intake"), args, RESULTS))
    write_json(args.json, results)


if __name__ == "__main__":
    main()
