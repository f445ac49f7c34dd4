"""Does the supervisor's page cost the same at 8 a.m. and at 8 p.m.? GET /api/v1/workload, in
process, on an empty day and after 10,000 and 50,000 tickets handled today.

Per database: a fresh database with a floor of 30 agents in 5 queues, all online, a fake clock
at 07:00. Each size is reached by handling tickets through the service layer in batches (each
batch one unit of work: the tickets arrive and are dispatched by `tickets.admit`, the way the
API and the channels take them in, then are accepted and completed by the domain's lifecycle,
seconds to minutes apart; 50,000 fit between 07:00 and 18:00), so the day's history, the
presence log and the day's figures are what a real day would leave; the day's additions are
folded as the scheduler folds them, with the last 300 tickets' still unfolded. Then the
workload is asked for `--reps` times through the whole app (FastAPI, the admin check, every
read, serialization) with Starlette's TestClient: no network or server process is measured.
Prints p50 and p99 per size and their ratio to the empty day (target: within 2x), and
`GET /stats` (the last 24 hours, which replays the period by design) for comparison.

    .venv/bin/python bench/workload.py [--db sqlite,postgres] [--sizes 10000,50000] [--reps 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fastapi.testclient import TestClient

from _common import ADMIN_TOKEN, RESULTS, banner, parse_dbs, percentile, pg_cluster, write_json
from giliran.adapters.clock import FakeClock
from giliran.adapters.sql.migrate import upgrade
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.domain import lifecycle
from giliran.domain.actor import Actor
from giliran.domain.model import Agent, HistoryEntry, Priority, Ticket, TicketStatus
from giliran.entrypoints.api.app import create_app
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.context import ADMIN, Principal, Role
from giliran.service.queues import admin as queue_admin
from giliran.service.reports import floor_day
from giliran.service.tickets import tickets

QUEUES = ("default", "sales", "billing", "tech", "vip")
AGENTS = 30
BATCH = 200
TARGET = 2.0
UNFOLDED = 300  # half a minute of a busy floor's work, added since the last fold
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def build_floor(c: Container) -> list[int]:
    for name in QUEUES[1:]:
        queue_admin.create_queue(c.ctx, ADMIN, name, queue_admin.QueueChanges())
    made = []
    for i in range(AGENTS):
        queues = frozenset({QUEUES[i % 5], QUEUES[(i + 2) % 5]})
        agent = agents.create_agent(c.ctx, ADMIN, agents.NewAgent(
            f"agent {i}", max_tickets=10, queues=queues, rotation_order=i)).agent
        presence.go_online(c.ctx, Principal(Role.AGENT, agent.id))
        made.append(agent.id)
    return made


def handle(c: Container, clock: FakeClock, count: int, rng: random.Random) -> None:
    """`count` tickets arrive, are assigned at once, answered and completed."""
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        with c.ctx.uow(write=True) as uow:
            made = []
            for _ in range(n):
                clock.advance(rng.uniform(0.05, 0.35))
                made.append(tickets.admit(c.ctx, uow, tickets.NewTicket(
                    "question", rng.choice(QUEUES), Priority(rng.randrange(4))), "bench"))
            move(uow, clock, rng, made, TicketStatus.ASSIGNED, _answer)
            move(uow, clock, rng, made, TicketStatus.IN_PROGRESS, _finish)
            uow.commit()
        done += n
    # What the batches left queued (agents were full for a moment) is handed out and handled.
    with c.ctx.uow(write=False) as uow:
        left = uow.tickets.count(tickets.TicketFilter(status=TicketStatus.QUEUED))
    if left:
        raise SystemExit(f"{left} tickets left queued; the floor is too small for the batch")


def move(uow: Any, clock: FakeClock, rng: random.Random, made: list[Ticket],
         status: TicketStatus, step: Callable[[Ticket, Agent, datetime], HistoryEntry]) -> None:
    """Each ticket in `status` moves on by its holder's `step`, a little later each."""
    for ticket in made:
        if ticket.status is not status or ticket.agent_id is None:
            continue
        clock.advance(rng.uniform(0.0, 0.6))
        agent = uow.agents.get(ticket.agent_id)
        assert agent is not None
        uow.history.append(step(ticket, agent, clock.now()))
        uow.tickets.save(ticket)
        uow.agents.save(agent)


def _answer(ticket: Ticket, agent: Agent, now: datetime) -> HistoryEntry:
    return lifecycle.accept(ticket, agent, now=now, actor=Actor.of_key(f"agent:{agent.id}"))


def _finish(ticket: Ticket, agent: Agent, now: datetime) -> HistoryEntry:
    return lifecycle.complete(ticket, agent, now=now, actor=Actor.of_key("bench"))


def timed(client: TestClient, path: str, reps: int) -> list[float]:
    client.get(path, headers=HEADERS)  # warm
    took = []
    for _ in range(reps):
        start = time.perf_counter()
        r = client.get(path, headers=HEADERS)
        took.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.text
    return took


def measure(url: str, sizes: list[int], reps: int) -> dict[str, Any]:
    today = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    clock = FakeClock(today)
    c = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False, metrics_cache_seconds=0), clock=clock)
    upgrade(c.db)
    rng = random.Random(20)
    found: dict[str, Any] = {}
    try:
        build_floor(c)
        with TestClient(create_app(c)) as client:
            handled = 0
            for size in [0, *sizes]:
                started = time.perf_counter()
                # As a server would be: the day folded (every half minute), then the last
                # half minute's additions still unfolded (a busy 10 tickets a second).
                recent = min(UNFOLDED, size)
                handle(c, clock, size - handled - recent, rng)
                floor_day.compact(c.ctx)
                handle(c, clock, recent, rng)
                handled = size
                fill = time.perf_counter() - started
                work = timed(client, "/api/v1/workload", reps)
                stats = timed(client, "/api/v1/stats", max(5, reps // 20))
                found[str(size)] = {
                    "p50_ms": statistics.median(work), "p99_ms": percentile(work, 99),
                    "stats_p50_ms": statistics.median(stats), "clock": clock.now().isoformat(),
                    "fill_seconds": round(fill, 1)}
                print(f"  {size:>7,} handled today ({clock.now():%H:%M} on the fake clock, "
                      f"filled in {fill:.0f} s): workload p50 {found[str(size)]['p50_ms']:.1f} ms"
                      f", p99 {found[str(size)]['p99_ms']:.1f} ms; /stats p50 "
                      f"{found[str(size)]['stats_p50_ms']:.0f} ms", flush=True)
    finally:
        c.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    results = {}
    for db in parse_dbs(args.db):
        banner(f"GET /api/v1/workload on {db}: {AGENTS} agents, {len(QUEUES)} queues, "
               f"{args.reps} reps per size")
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                results[db] = measure(f"sqlite:///{tmp}/bench.db", sizes, args.reps)
        else:
            with pg_cluster() as cluster:
                cluster.psql("CREATE DATABASE workload_bench")
                results[db] = measure(cluster.url("workload_bench"), sizes, args.reps)
    print(f"\n  {'database':<10}{'handled today':>14}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'p50 / empty':>13}{'p99 / empty':>13}  target (within {TARGET:g}x)")
    for db, rows in results.items():
        empty = rows["0"]
        for size, r in rows.items():
            r50, r99 = r["p50_ms"] / empty["p50_ms"], r["p99_ms"] / empty["p99_ms"]
            met = "" if size == "0" else ("met" if max(r50, r99) <= TARGET else "NOT met")
            print(f"  {db:<10}{int(size):>14,}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
                  f"{r50:>13.2f}{r99:>13.2f}  {met}")
    write_json(RESULTS / "workload.json", results)


if __name__ == "__main__":
    main()
