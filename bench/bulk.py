"""How fast is a bulk action? POST /api/v1/tickets/bulk reassigning 100 flagged tickets found
by a filter, in process.

Per database: a fresh database, a queue whose only member is away, 100 tickets imported into
it and flagged waiting_too_long by the timer pass (on a fake clock), then one request
`{"filter": {"queue": "night", "flagged": true}, "action": "reassign", "agent_id": ...}`
through the whole app (FastAPI, the filter's read, each ticket's own transaction with its
check, history and events, the audit line) with Starlette's TestClient. `--rounds` batches,
each of fresh tickets; prints the request's time and tickets per second.

    .venv/bin/python bench/bulk.py [--db sqlite,postgres] [--tickets 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fastapi.testclient import TestClient

from _common import ADMIN_TOKEN, RESULTS, banner, parse_dbs, pg_cluster, write_json
from giliran.adapters.clock import FakeClock
from giliran.adapters.sql.migrate import upgrade
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from giliran.service.assignment import timers
from giliran.service.context import ADMIN
from giliran.service.tickets import importing
from giliran.service.tickets.tickets import NewTicket

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def measure(url: str, size: int, rounds: int) -> dict[str, Any]:
    clock = FakeClock()
    c = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False), clock=clock)
    upgrade(c.db)
    took: list[float] = []
    try:
        with TestClient(create_app(c)) as client:
            client.post("/api/v1/queues", json={"name": "night", "max_wait_seconds": 60},
                        headers=HEADERS)
            sari = client.post("/api/v1/agents", json={
                "name": "Sari", "max_tickets": 1000, "queues": ["night"]}, headers=HEADERS).json()
            for n in range(rounds):
                importing.import_batch(c.ctx, ADMIN, [
                    NewTicket(f"night {n}.{i}", queue="night", external_id=f"n-{n}-{i}")
                    for i in range(size)])
                clock.advance(61)
                timers.tick(c.ctx)
                start = time.perf_counter()
                r = client.post("/api/v1/tickets/bulk", headers=HEADERS, json={
                    "filter": {"queue": "night", "flagged": True}, "action": "reassign",
                    "agent_id": sari["id"]})
                took.append(time.perf_counter() - start)
                assert r.status_code == 200 and r.json()["succeeded"] == size, r.text[:500]
    finally:
        c.close()
    median = statistics.median(took)
    return {"tickets": size, "rounds": rounds, "median_s": median, "best_s": min(took),
            "tickets_per_s": size / median}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for db in parse_dbs(args.db):
        banner(f"POST /api/v1/tickets/bulk on {db}: reassign {args.tickets} flagged tickets "
               f"by filter, {args.rounds} rounds")
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                results[db] = measure(f"sqlite:///{tmp}/bench.db", args.tickets, args.rounds)
        else:
            with pg_cluster() as cluster:
                cluster.psql("CREATE DATABASE bulk_bench")
                results[db] = measure(cluster.url("bulk_bench"), args.tickets, args.rounds)
        r = results[db]
        print(f"  median {r['median_s'] * 1000:.0f} ms, best {r['best_s'] * 1000:.0f} ms: "
              f"{r['tickets_per_s']:.0f} tickets/s")
    write_json(RESULTS / "bulk.json", results)


if __name__ == "__main__":
    main()
