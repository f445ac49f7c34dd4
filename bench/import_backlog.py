"""How long does moving a desk's backlog onto giliran take? `giliran import` of a CSV file.

Per database: a fresh database with 200 agents online (capacity 5 each: 1,000 free slots);
a generated CSV of N tickets (default 100,000; mixed priorities, a category, an external id);
then, timed end to end as a user runs it (the real CLI in a subprocess, progress bar included):

  1. the first import: N rows created in batches of 1,000, then dispatched in batches until
     nobody has room (1,000 assignments);
  2. the same file again: nothing new is created (the external ids exist), nothing assigned.

Prints rows/s and the counts the CLI reported, and checks the database afterwards.

    .venv/bin/python bench/import_backlog.py [--db sqlite,postgres] [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlalchemy import func, select

from _common import RESULTS, banner, parse_dbs, pg_cluster, write_json
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.migrate import upgrade
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.context import ADMIN, Principal, Role

AGENTS, CAPACITY = 200, 5
PRIORITIES = ("low", "normal", "normal", "high", "urgent")


def prepare(url: str) -> None:
    c = bootstrap(Settings(database_url=url, admin_token="x" * 20))
    try:
        upgrade(c.db)
        for i in range(AGENTS):
            agent = agents.create_agent(c.ctx, ADMIN, agents.NewAgent(
                f"agent-{i:03d}", max_tickets=CAPACITY)).agent
            presence.go_online(c.ctx, Principal(Role.AGENT, agent.id))
    finally:
        c.close()


def write_csv(path: Path, rows: int) -> None:
    with path.open("w") as f:
        f.write("external_id,title,priority,category\n")
        for i in range(rows):
            f.write(f"legacy-{i:07d},Backlog ticket {i},{PRIORITIES[i % 5]},"
                    f"cat-{i % 7}\n")


def run_import(url: str, path: Path) -> tuple[float, str]:
    env = {**os.environ, "GILIRAN_DATABASE_URL": url, "GILIRAN_ADMIN_TOKEN": "x" * 20}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "giliran", "import", str(path)], env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"giliran import failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout.strip()


def check(url: str) -> dict[str, int]:
    c = bootstrap(Settings(database_url=url, admin_token="x" * 20))
    try:
        with c.db.engine.connect() as conn:
            by_status = dict(conn.execute(select(t.tickets.c.status, func.count())
                                          .group_by(t.tickets.c.status)).all())
    finally:
        c.close()
    return {str(k): int(v) for k, v in by_status.items()}


def bench(db: str, url: str, csv_path: Path, rows: int) -> dict[str, Any]:
    prepare(url)
    first_s, first_out = run_import(url, csv_path)
    again_s, again_out = run_import(url, csv_path)
    counts = check(url)
    numbers = [int(n) for n in re.findall(r"\d+", first_out)]
    print(f"  {db:<9} first run  {first_s:6.1f} s  {rows / first_s:8.0f} rows/s   "
          f"({first_out})", flush=True)
    print(f"  {db:<9} second run {again_s:6.1f} s  {rows / again_s:8.0f} rows/s   "
          f"({again_out})", flush=True)
    print(f"  {db:<9} database after: {counts}; expected {AGENTS * CAPACITY} assigned, "
          f"{rows - AGENTS * CAPACITY} queued -> "
          f"{'consistent' if counts.get('assigned') == AGENTS * CAPACITY else 'UNEXPECTED'}",
          flush=True)
    return {"db": db, "rows": rows, "first_s": first_s, "again_s": again_s,
            "first": first_out, "again": again_out, "reported": numbers, "counts": counts}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--json", type=Path, default=RESULTS / "import.json")
    args = p.parse_args()
    banner(f"import: a backlog of {args.rows:,} tickets with `giliran import` "
           f"({AGENTS} agents x {CAPACITY} slots online)")
    results = []
    with tempfile.TemporaryDirectory(prefix="giliran-import-") as tmp:
        csv_path = Path(tmp) / "backlog.csv"
        write_csv(csv_path, args.rows)
        for db in parse_dbs(args.db):
            if db == "sqlite":
                results.append(bench(db, f"sqlite:///{Path(tmp) / 'import.db'}", csv_path,
                                     args.rows))
            else:
                with pg_cluster() as cluster:
                    cluster.psql("CREATE DATABASE import_bench")
                    results.append(bench(db, cluster.url("import_bench"), csv_path, args.rows))
    write_json(args.json, results)


if __name__ == "__main__":
    main()
