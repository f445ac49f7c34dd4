"""The ceiling for intake: the same wrk load against bench/ceiling_app.py, a minimal FastAPI app
whose POST runs one assign transaction with the leanest driver path (SQLite: stdlib sqlite3 on
the event loop, 1 worker; PostgreSQL: asyncpg, 2 workers), on giliran's schema with the same
agents. `--work same` (the default) writes exactly what giliran's intake writes for one
assigned ticket (ticket, agent, counter, two history rows, two events); `--work three-row` only
the minimal assignment, the figure earlier runs compared with. Prints req/s, p50/p99 and, when
the product's figures exist (`--product-json`, from intake.py), the ratio product / ceiling per
database and connection count. run_all.py runs product and same-work ceiling back to back in
pairs and reports the medians.

    .venv/bin/python bench/ceiling.py [--db sqlite,postgres] [--duration 10] [--connections 16,64]
                                      [--work same|three-row]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ADMIN_TOKEN,
    BENCH,
    BIN,
    RESULTS,
    Server,
    banner,
    free_port,
    load_runs,
    ms,
    parse_dbs,
    pg_cluster,
    read_json,
    write_json,
    wrk_available,
)

WORKERS = {"sqlite": 1, "postgres": 2}
# Inserted directly, so not bound by the API's limit of 1000: the ceiling runs thousands of
# requests a second and must not run out of room (capacity does not change the cost of a pick).
MAX_CAPACITY = 1_000_000
TARGET_RATIO = 0.7  # product / same-work ceiling
TARGET_P99_FACTOR = 2.0  # product p99 <= this x the ceiling's p99
WORK_LABEL = {"same": "same-work ceiling (ticket, agent, counter, 2 history rows, 2 events)",
              "three-row": "three-row ceiling (ticket, agent, counter only)"}


def prepare(url: str, agents: int) -> None:
    """giliran's own migrations, then online agents inserted directly."""
    subprocess.run([str(BIN / "giliran"), "migrate"], check=True, capture_output=True,
                   env={"GILIRAN_DATABASE_URL": url, "PATH": "/usr/bin:/bin"})
    from sqlalchemy import insert

    from giliran.adapters.sql import tables as t
    from giliran.adapters.sql.database import connect

    db = connect(url)
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(t.agents), [
                {"name": f"ceiling-agent-{i:04d}", "token_hash": f"ceiling-{i}",
                 "max_tickets": MAX_CAPACITY, "auto_assign": True, "active": True,
                 "presence": "online", "missed_in_row": 0, "rotation_order": 0,
                 "active_tickets": 0,
                 "last_assigned_seq": 0, "created_at": datetime.now(UTC)}
                for i in range(agents)
            ])
    finally:
        db.dispose()


def db_check(url: str) -> dict[str, int]:
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
            events = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
    finally:
        db.dispose()
    counts["all"] = sum(counts.values())
    counts["agents_active_tickets"] = int(active or 0)
    counts["history"], counts["events"] = int(history), int(events)
    return counts


def bench_one(db: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    prepare(url, args.agents)
    port = free_port()
    server = Server(
        argv=[str(BIN / "python"), "-m", "uvicorn", "ceiling_app:app", "--app-dir", str(BENCH),
              "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS[db]),
              "--no-access-log", "--log-level", "warning"],
        env={"CEILING_DATABASE_URL": url, "CEILING_TOKEN": ADMIN_TOKEN,
             "CEILING_WORK": args.work},
        port=port, log_path=RESULTS / f"ceiling-{args.work}-{db}.log",
    )
    server.start()
    try:
        print(f"  {args.agents} agents online ({MAX_CAPACITY} slots each); {WORKERS[db]} "
              f"worker(s)", flush=True)
        runs = load_runs(server.base_url, args.connections, args.duration, args.warmup,
                         f"ceiling {db}", pg_url=url if db == "postgres" else None)
    finally:
        server.stop()
    after = db_check(url)
    assigned = after.get("assigned", 0)
    fraction = assigned / after["all"] if after["all"] else 0.0
    print(f"  check (database, after stop): {after['all']} tickets, {assigned} assigned, "
          f"{after.get('queued', 0)} queued -> assigned fraction {fraction:.4f}; "
          f"sum(agents.active_tickets) = {after['agents_active_tickets']}; "
          f"{after['history']} history rows, {after['events']} events", flush=True)
    if after.get("queued", 0):
        print("  WARNING: some tickets queued: capacity ran out during the ceiling run",
              flush=True)
    return {"db": db, "workers": WORKERS[db], "runs": runs, "created": after["all"],
            "assigned": assigned, "assigned_fraction": fraction, "work": args.work}


def compare(product: list[dict[str, Any]], ceiling: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    by_db = {r["db"]: r for r in product}
    for c in ceiling:
        p = by_db.get(c["db"])
        if p is None:
            continue
        p_runs = {r["connections"]: r for r in p["runs"]}
        for cr in c["runs"]:
            pr = p_runs.get(cr["connections"])
            if pr is None:
                continue
            rows.append({
                "db": c["db"], "connections": cr["connections"],
                "product_rps": pr["rps"], "ceiling_rps": cr["rps"],
                "ratio": pr["rps"] / cr["rps"] if cr["rps"] else 0.0,
                "product_p50_us": pr["lat_p50_us"], "product_p99_us": pr["lat_p99_us"],
                "ceiling_p50_us": cr["lat_p50_us"], "ceiling_p99_us": cr["lat_p99_us"],
            })
    return rows


def print_comparison(rows: list[dict[str, Any]]) -> None:
    print(f"  {'db':<9}{'conns':>6}{'product req/s':>15}{'ceiling req/s':>15}{'ratio':>8}"
          f"{'product p99':>14}{'ceiling p99':>14}   target", flush=True)
    for r in rows:
        ok = r["ratio"] >= TARGET_RATIO
        note = f"ratio >= {TARGET_RATIO}: {'met' if ok else 'NOT met'}"
        p99_ok = r["product_p99_us"] <= TARGET_P99_FACTOR * r["ceiling_p99_us"]
        note += (f"; p99 <= {TARGET_P99_FACTOR:g}x ceiling's: {'met' if p99_ok else 'NOT met'}"
                 " (one pair: see run_all.py for medians)")
        print(f"  {r['db']:<9}{r['connections']:>6}{r['product_rps']:>15.0f}"
              f"{r['ceiling_rps']:>15.0f}{r['ratio']:>8.2f}{ms(r['product_p99_us']):>14}"
              f"{ms(r['ceiling_p99_us']):>14}   {note}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--connections", default="16,64")
    p.add_argument("--agents", type=int, default=150)
    p.add_argument("--product-json", type=Path, default=RESULTS / "intake.json")
    p.add_argument("--json", type=Path, default=RESULTS / "ceiling.json")
    p.add_argument("--work", choices=sorted(WORK_LABEL), default="same")
    args = p.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    wrk_available()

    banner(f"ceiling: the same load on a minimal app (sqlite3 / asyncpg): "
           f"{WORK_LABEL[args.work]}")
    results = []
    with tempfile.TemporaryDirectory(prefix="giliran-ceiling-") as tmp:
        for db in parse_dbs(args.db):
            if db == "sqlite":
                results.append(bench_one(db, f"sqlite:///{Path(tmp) / 'ceiling.db'}", args))
            else:
                with pg_cluster() as cluster:
                    cluster.psql("CREATE DATABASE bench_ceiling")
                    results.append(bench_one(db, cluster.url("bench_ceiling"), args))
    product = read_json(args.product_json)
    rows = compare(product, results) if product else []
    if rows:
        banner("product / ceiling")
        print_comparison(rows)
    else:
        print(f"  (no product figures at {args.product_json}: run bench/intake.py first for "
              f"the ratio)")
    write_json(args.json, {"ceiling": results, "comparison": rows, "work": args.work})


if __name__ == "__main__":
    main()
