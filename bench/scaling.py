"""Does one dispatch cost the same on a small floor and a big one? No HTTP: service calls.

States per database, built with bulk inserts straight into giliran's tables:
  small:      5 agents,         10 queued tickets
  large:  5,000 agents,    100,000 queued tickets
  huge:  50,000 agents,  1,000,000 queued tickets (only with --sizes small,large,huge)
Every agent is online and full (max_tickets 2, holding 2 assigned tickets), so dispatch always
has a backlog and (almost) nobody to give it to. Each repetition times two service calls:
  (a) create: service.tickets.create_ticket of one new ticket; dispatch runs, finds every agent
      full, the ticket stays queued (the call also computes the new ticket's queue position);
  (b) complete: service.tickets.complete_ticket of one held ticket; the holder's slot frees and
      dispatch refills it from the head of the queue;
  (c) dispatch: one dispatch pass in its own write transaction (nobody has room);
  (d) tick idle: one timer pass with the accept timeout and presence expiry on and nothing due
      (what every server process pays every GILIRAN_TICK_SECONDS);
  (e) tick escalate: one timer pass that finds one overdue assignment (made overdue, untimed,
      by moving its assigned_at back), escalates it and re-dispatches. The escalated ticket
      returns to the head of the queue and waits there, because its holder (the only agent
      with room) has missed it, so later repetitions also pass over the earlier ones: the
      growth from rep to rep is that cost, not the size of the floor.
(a) includes reporting the new ticket's queue position: the depths of higher priorities are
kept by the database (table queue_depth), and the new ticket is last among its own priority,
so nothing is counted.
(a) adds one queued ticket and (b) removes one, so the backlog stays at its nominal size.
Prints median and p99 per operation and size, the ratio of each size to small (design target
<= 2x), the statements whose own time grows with the floor, and the query plans of the
head-of-queue, eligible-agent and queue-position queries at the largest size.

    .venv/bin/python bench/scaling.py [--db sqlite,postgres] [--reps 200] [--sizes small,large]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlalchemy import Engine, event, func, insert, select, text, update

from _common import (
    RESULTS,
    banner,
    median,
    parse_dbs,
    percentile,
    pg_cluster,
    write_json,
)
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.migrate import upgrade
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.service.assignment import timers
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import ADMIN
from giliran.service.queues import admin as queue_admin
from giliran.service.tickets import tickets

SIZES = {"small": (5, 10), "large": (5_000, 100_000), "huge": (50_000, 1_000_000)}
ACCEPT_TIMEOUT_S = 86_400  # long: only the tickets the bench backdates are overdue
HELD_PER_AGENT = 2
TARGET_RATIO = 2.0
OPS = ("dispatch", "complete", "create", "tick idle", "tick escalate")
BATCH = 10_000


def build(url: str, n_agents: int, n_queued: int) -> float:
    """Migrate, then bulk-insert the floor. Returns seconds taken."""
    started = time.perf_counter()
    db = connect(url)
    try:
        upgrade(db)
        base = datetime(2026, 1, 1, tzinfo=UTC)
        now = datetime.now(UTC)
        with db.engine.begin() as conn:
            if not db.is_sqlite:
                # The queue depth triggers, row by row, would take most of the build (a million
                # PL/pgSQL calls); off for this bulk load, the depths counted once at the end.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(insert(t.agents), [
                {"name": f"agent-{i:05d}", "token_hash": f"scaling-{i}",
                 "max_tickets": HELD_PER_AGENT, "auto_assign": True, "active": True,
                 "presence": "online", "last_seen_at": now, "missed_in_row": 0,
                 "queues": ["default"],
                 "rotation_order": 0, "active_tickets": HELD_PER_AGENT,
                 # Each agent's latest assignment is its second held ticket's seq.
                 "last_assigned_seq": (i + 1) * HELD_PER_AGENT, "created_at": base}
                for i in range(n_agents)
            ])
            agent_ids = [r.id for r in conn.execute(select(t.agents.c.id).order_by(t.agents.c.id))]
            conn.execute(insert(t.agent_queues),
                         [{"agent_id": a, "queue": "default"} for a in agent_ids])
            held = []
            for k in range(HELD_PER_AGENT):
                for i, agent_id in enumerate(agent_ids):
                    seq = i * HELD_PER_AGENT + k + 1
                    held.append(_ticket(base, len(held), status="assigned", agent_id=agent_id,
                                        assigned_seq=seq, assigned_at=now))
            _insert_many(conn, held)
            # In batches: a million rows of dicts at once would take gigabytes.
            for start in range(0, n_queued, BATCH):
                _insert_many(conn, [_ticket(base, len(held) + j, status="queued")
                                    for j in range(start, min(start + BATCH, n_queued))])
            conn.execute(text("DELETE FROM queue_depth"))
            conn.execute(text(
                "INSERT INTO queue_depth (queue, priority, queued) SELECT queue, priority, "
                "count(*) FROM tickets WHERE status = 'queued' GROUP BY queue, priority"))
            top_seq = n_agents * HELD_PER_AGENT
            conn.execute(update(t.counters).where(t.counters.c.name == "assignment")
                         .values(value=top_seq))
        if not db.is_sqlite:
            # What autovacuum would have done by the time a floor grew this big.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
    finally:
        db.dispose()
    return time.perf_counter() - started


def _ticket(base: datetime, n: int, *, status: str, agent_id: int | None = None,
            assigned_seq: int = 0, assigned_at: datetime | None = None) -> dict[str, Any]:
    created = base + timedelta(seconds=n)
    return {"title": f"ticket {n}", "description": None, "category": None, "queue": "default",
            "priority": 1, "status": status, "external_id": None, "agent_id": agent_id,
            "assigned_seq": assigned_seq, "created_at": created, "assigned_at": assigned_at,
            "accepted_at": None, "closed_at": None,
            "queued_at": created if status == "queued" else None, "escalations": 0,
            "missed_by": [], "flag": None, "flagged_at": None, "auto_dispatch": True}


def _insert_many(conn: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        conn.execute(insert(t.tickets), rows[i:i + BATCH])


class StatementTimer:
    """Wall time of each statement at the driver, keyed by its SQL text, while `op` is set."""

    def __init__(self) -> None:
        self.op: str | None = None
        self.times: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))

    def before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info.pop("bench_t0")
        if self.op is not None:
            self.times[self.op][statement].append(time.perf_counter() - started)


@contextmanager
def statement_timer(engine: Engine) -> Iterator[StatementTimer]:
    timer = StatementTimer()
    event.listen(engine, "before_cursor_execute", timer.before)
    event.listen(engine, "after_cursor_execute", timer.after)
    try:
        yield timer
    finally:
        event.remove(engine, "before_cursor_execute", timer.before)
        event.remove(engine, "after_cursor_execute", timer.after)


@contextmanager
def statement_capture(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _held_ticket(db: Database, agent_id: int) -> int:
    with db.engine.connect() as conn:
        found = conn.execute(
            select(t.tickets.c.id).where(t.HELD, t.tickets.c.agent_id == agent_id).limit(1)
        ).scalar_one_or_none()
    if found is None:
        raise RuntimeError(f"agent {agent_id} holds no ticket")
    return int(found)


def _accepted_ticket(db: Database, agent_id: int) -> int:
    """One of the agent's tickets, accepted (only a ticket in progress may be completed):
    marked so directly, as setup outside the timed part."""
    found = _held_ticket(db, agent_id)
    with db.engine.begin() as conn:
        conn.execute(update(t.tickets).where(t.tickets.c.id == found, t.PENDING_ACCEPT)
                     .values(status="in_progress", accepted_at=datetime.now(UTC)))
    return found


def _make_overdue(db: Database, ticket_id: int) -> None:
    overdue = datetime.now(UTC) - timedelta(seconds=2 * ACCEPT_TIMEOUT_S)
    with db.engine.begin() as conn:
        conn.execute(update(t.tickets).where(t.tickets.c.id == ticket_id)
                     .values(assigned_at=overdue))


def _agent_ids(db: Database) -> list[int]:
    with db.engine.connect() as conn:
        return [int(r.id) for r in conn.execute(select(t.agents.c.id).order_by(t.agents.c.id))]


def run_ops(c: Container, reps: int, warmup: int) -> dict[str, list[float]]:
    """Interleaved create / complete; returns seconds per call (warm-up dropped)."""
    ctx = c.ctx
    agent_ids = _agent_ids(c.db)
    out: dict[str, list[float]] = {"create": [], "complete": [], "dispatch": [],
                                   "tick idle": [], "tick escalate": []}
    queue_admin.update_queue(ctx, ADMIN, "default",
                             queue_admin.QueueChanges(accept_timeout_seconds=ACCEPT_TIMEOUT_S))
    for i in range(warmup + reps):
        t0 = time.perf_counter()
        view = tickets.create_ticket(ctx, ADMIN, tickets.NewTicket(title=f"scaling {i}",
                                                                   queue="default"))
        t1 = time.perf_counter()
        if view.ticket.status.value != "queued":
            raise RuntimeError(f"expected the new ticket to stay queued, got {view.ticket.status}")
        held = _accepted_ticket(c.db, agent_ids[i % len(agent_ids)])  # untimed
        t2 = time.perf_counter()
        tickets.complete_ticket(ctx, ADMIN, held)
        t3 = time.perf_counter()
        with ctx.uow(write=True) as uow:  # dispatch alone, in its own write transaction
            dispatch(ctx, uow)
            uow.commit()
        t4 = time.perf_counter()
        idle = timers.tick(ctx)
        t5 = time.perf_counter()
        _make_overdue(c.db, _held_ticket(c.db, agent_ids[(i * 7 + 3) % len(agent_ids)]))
        t6 = time.perf_counter()
        escalated = timers.tick(ctx)
        t7 = time.perf_counter()
        if idle.moves or escalated.escalated != 1:
            raise RuntimeError(f"timer passes did not do what was set up: {idle} {escalated}")
        if i >= warmup:
            out["create"].append(t1 - t0)
            out["complete"].append(t3 - t2)
            out["dispatch"].append(t4 - t3)
            out["tick idle"].append(t5 - t4)
            out["tick escalate"].append(t7 - t6)
    return out


def check_state(db: Database, n_agents: int, n_queued: int) -> str:
    with db.engine.connect() as conn:
        queued = conn.execute(select(func.count()).select_from(t.tickets).where(t.QUEUED))
        queued_n = int(queued.scalar_one())
        held_n = int(conn.execute(select(func.count()).select_from(t.tickets)
                                  .where(t.HELD)).scalar_one())
        active = int(conn.execute(select(func.sum(t.agents.c.active_tickets))).scalar_one())
        eligible = int(conn.execute(select(func.count()).select_from(t.agents)
                                    .where(t.ELIGIBLE)).scalar_one())
        kept = int(conn.execute(select(func.sum(t.queue_depth.c.queued))).scalar_one() or 0)
    # Each escalated ticket stays queued (its holder missed it) and the holder takes one
    # from the queue instead, so the backlog keeps its size.
    ok = (held_n == active == n_agents * HELD_PER_AGENT and eligible == 0
          and queued_n == n_queued == kept)
    return (f"after: {queued_n} queued ({kept} by the kept depths), {held_n} held, "
            f"sum(active_tickets) {active}, "
            f"{eligible} eligible agents -> {'consistent' if ok else 'UNEXPECTED'}")


def _norm(sql: str) -> str:
    return " ".join(sql.split())


def _short(sql: str, width: int = 110) -> str:
    s = _norm(sql)
    s = re.sub(r"SELECT (\w+)\.id, .*? FROM", r"SELECT \1.* FROM", s)
    return s if len(s) <= width else s[:width - 3] + "..."


def statement_profile(c: Container, reps: int) -> dict[str, dict[str, float]]:
    """Median driver time per statement (microseconds), per operation."""
    ctx = c.ctx
    agent_ids = _agent_ids(c.db)
    with statement_timer(c.db.engine) as timer:
        for i in range(reps):
            timer.op = "create"
            tickets.create_ticket(ctx, ADMIN, tickets.NewTicket(title="profile",
                                                                queue="default"))
            timer.op = None
            held = _accepted_ticket(c.db, agent_ids[i % len(agent_ids)])
            timer.op = "complete"
            tickets.complete_ticket(ctx, ADMIN, held)
            timer.op = None
            _make_overdue(c.db, _held_ticket(c.db, agent_ids[(i * 7 + 3) % len(agent_ids)]))
            timer.op = "tick escalate"
            timers.tick(ctx)
            timer.op = None
    return {op: {_norm(k): median(v) * 1e6 for k, v in by_sql.items()}
            for op, by_sql in timer.times.items()}


KINDS: list[tuple[str, Callable[[str], bool]]] = [
    ("head of queue (tickets.queued_head)",
     lambda s: s.startswith("SELECT tickets.id") and "ORDER BY tickets.priority DESC" in s),
    ("eligible agent (agents.eligible)",
     lambda s: "FROM agents" in s and "active_tickets < agents.max_tickets" in s),
    ("queue position (kept depths, count behind)",
     lambda s: "count(*)" in s and "'queued'" in s),
]


def explain(c: Container) -> list[dict[str, Any]]:
    """Plans of the statements one create and one complete issue at this size."""
    ctx = c.ctx
    agent_ids = _agent_ids(c.db)
    held = _accepted_ticket(c.db, agent_ids[0])
    with statement_capture(c.db.engine) as seen:
        tickets.create_ticket(ctx, ADMIN, tickets.NewTicket(title="explain", queue="default"))
        tickets.complete_ticket(ctx, ADMIN, held)
    plans = []
    done: set[str] = set()
    sqlite = c.db.is_sqlite
    for sql, params in seen:
        s = _norm(sql)
        kind = next((name for name, match in KINDS if match(s)), None)
        if kind is None or s in done:
            continue
        done.add(s)
        with c.db.engine.connect() as conn:
            if sqlite:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
                plan = [str(r[-1]) for r in rows]
            else:
                rows = conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) " + sql, params
                ).fetchall()
                plan = [str(r[0]) for r in rows]
            conn.rollback()
        plans.append({"kind": kind, "sql": s, "plan": plan, "us": _time_sql(c, sql, params)})
    return plans


def _time_sql(c: Container, sql: str, params: Any, n: int = 20) -> float:
    """Median microseconds of running a read-only statement on its own."""
    times = []
    with c.db.engine.connect() as conn:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.exec_driver_sql(sql, params).fetchall()
            times.append(time.perf_counter() - t0)
        conn.rollback()
    return median(times) * 1e6


def bench_db(db_name: str, url_for: Callable[[str], str], args: argparse.Namespace
             ) -> dict[str, Any]:
    result: dict[str, Any] = {"db": db_name, "sizes": {}}
    largest = args.sizes[-1]
    for size in args.sizes:
        n_agents, n_queued = SIZES[size]
        url = url_for(size)
        secs = build(url, n_agents, n_queued)
        # Presence expiry on (its query runs every pass) but nobody is silent that long.
        c = bootstrap(Settings(database_url=url, admin_token="x" * 20,
                               presence_grace_seconds=ACCEPT_TIMEOUT_S, scheduler=False))
        try:
            times = run_ops(c, args.reps, args.warmup)
            state = check_state(c.db, n_agents, n_queued)
            profile = statement_profile(c, args.profile_reps)
            plans = explain(c) if size == largest else []
        finally:
            c.close()
        stats = {op: {"median_us": median(v) * 1e6, "p99_us": percentile(v, 99) * 1e6,
                      "n": len(v)} for op, v in times.items()}
        result["sizes"][size] = {"agents": n_agents, "queued": n_queued, "build_s": secs,
                                 "stats": stats, "profile": profile, "plans": plans}
        print(f"  {db_name:<9}{size:<6} {n_agents:>6} agents {n_queued:>7} queued "
              f"(built in {secs:4.1f}s)  create: median {stats['create']['median_us']:7.0f} us "
              f"p99 {stats['create']['p99_us']:7.0f} us   complete: median "
              f"{stats['complete']['median_us']:7.0f} us p99 {stats['complete']['p99_us']:7.0f} "
              f"us   dispatch alone: median {stats['dispatch']['median_us']:6.0f} us   "
              f"tick idle: median {stats['tick idle']['median_us']:6.0f} us   tick escalate: "
              f"median {stats['tick escalate']['median_us']:6.0f} us p99 "
              f"{stats['tick escalate']['p99_us']:6.0f} us   {state}", flush=True)
    small, large = result["sizes"][args.sizes[0]], result["sizes"][largest]
    # "ratios" (largest / smallest) is what run_all.py reads; "ratios_by_size" has each size.
    result["ratios"], result["ratios_by_size"] = {}, {}
    for size in args.sizes[1:]:
        here = result["sizes"][size]
        for op in OPS:
            r_med = here["stats"][op]["median_us"] / small["stats"][op]["median_us"]
            r_p99 = here["stats"][op]["p99_us"] / small["stats"][op]["p99_us"]
            result["ratios_by_size"].setdefault(size, {})[op] = {"median": r_med, "p99": r_p99}
            if size == largest:
                result["ratios"][op] = {"median": r_med, "p99": r_p99}
            print(f"  {db_name:<9}{op:<14} {size}/{args.sizes[0]}: median {r_med:6.2f}x  p99 "
                  f"{r_p99:6.2f}x   target <= {TARGET_RATIO:g}x: "
                  f"{'met' if r_med <= TARGET_RATIO else 'NOT met'}", flush=True)
    print(f"  {db_name}: statements that add the most time on the {largest} floor (median us "
          f"per call at the driver, {args.sizes[0]} -> {largest}):")
    for op in ("create", "complete", "tick escalate"):
        ps, pl = small["profile"][op], large["profile"][op]
        # Growth in absolute time, so statements issued only on the large floor count too.
        grown = sorted(((pl[s] - ps.get(s, 0.0), s) for s in pl), reverse=True)
        for _, s in grown[:3]:
            before = f"{ps[s]:8.0f}" if s in ps else "  (none)"
            ratio = f"{pl[s] / ps[s]:6.1f}x" if s in ps else "large only"
            print(f"    {op:<9}{before} -> {pl[s]:8.0f} us ({ratio})  {_short(s)}")
    print(f"  {db_name}: query plans at the {largest} size "
          f"({'EXPLAIN QUERY PLAN' if db_name == 'sqlite' else 'EXPLAIN (ANALYZE, BUFFERS)'}):")
    for p in large["plans"]:
        print(f"    -- {p['kind']} [{p['us']:.0f} us alone]: {_short(p['sql'], 140)}")
        for line in p["plan"]:
            print(f"       {line}")
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--reps", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--profile-reps", type=int, default=30)
    p.add_argument("--sizes", default="small,large",
                   help=f"comma-separated, from {', '.join(SIZES)} (the first is the baseline); "
                        "huge takes a few minutes per database to build")
    p.add_argument("--json", type=Path, default=RESULTS / "scaling.json")
    args = p.parse_args()
    args.sizes = [size.strip() for size in args.sizes.split(",") if size.strip()]
    unknown = [size for size in args.sizes if size not in SIZES]
    if unknown or len(args.sizes) < 2:
        p.error(f"--sizes needs two or more of {', '.join(SIZES)}")

    banner("scaling: one dispatch, small floor vs large floor (service calls, no HTTP)")
    print(f"  {args.reps} timed repetitions of each operation after {args.warmup} warm-up ones; "
          f"agents full ({HELD_PER_AGENT}/{HELD_PER_AGENT}), all tickets normal priority",
          flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="giliran-scaling-") as tmp:
        for db in parse_dbs(args.db):
            if db == "sqlite":
                results.append(bench_db(db, lambda size: f"sqlite:///{Path(tmp) / size}.db",
                                        args))
            else:
                with pg_cluster() as cluster:
                    for size in args.sizes:
                        cluster.psql(f"CREATE DATABASE scaling_{size}")
                    results.append(bench_db(db, lambda size, cl=cluster: cl.url(f"scaling_{size}"),
                                            args))
    write_json(args.json, results)


if __name__ == "__main__":
    main()
