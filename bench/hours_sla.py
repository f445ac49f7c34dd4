"""What do working hours and SLA clocks cost? Three figures.

1. Business time (domain/hours.py), per call, at 2,000 random instants over a year: `state`
   (open or closed, until when: /workload and the Floor ask it per queue), `back` (a timer's
   cutoff: the timer pass asks it per queue and timer) and `add` (a due time: each SLA clock),
   for an office week in Jakarta with a lunch break and Indonesia's holidays, a Berlin week
   (DST), and a desk open around the clock. p50 and p99 in microseconds.
2. A ticket's arrival through the service layer (`create_ticket`: dispatch included), with no
   SLA policy and with 5 policies whose last one matches (its clocks started, the ticket's
   copy saved): p50 and p99 per ticket, on each database.
3. The timer pass (`tick`) on a floor with `--tickets` open tickets, each with running SLA
   clocks: when nothing is due (one read) and when every clock reaches its warning at once
   (the batch of warnings, their events and the notices), per ticket warned.

    .venv/bin/python bench/hours_sla.py [--db sqlite,postgres] [--tickets 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ADMIN_TOKEN, RESULTS, banner, parse_dbs, percentile, pg_cluster, write_json
from giliran.adapters.clock import FakeClock
from giliran.adapters.holidays import country_holidays
from giliran.adapters.sql.migrate import upgrade
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.domain import hours
from giliran.domain.hours import Schedule
from giliran.domain.model import Priority
from giliran.service.assignment.timers import tick
from giliran.service.context import ADMIN
from giliran.service.sla import policies
from giliran.service.tickets import tickets

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def schedules() -> dict[str, Schedule]:
    office = hours.parse_weekly({d: [["08:00", "12:00"], ["13:00", "17:00"]] for d in WEEKDAYS})
    found = tuple(country_holidays("ID", 2027) + country_holidays("ID", 2028))
    return {
        "jakarta office": Schedule("jakarta", "Asia/Jakarta", office, holidays=found),
        "berlin office (DST)": Schedule("berlin", "Europe/Berlin", office),
        "open around the clock": Schedule(
            "always", "Asia/Jakarta", hours.parse_weekly({d: [["00:00", "24:00"]] for d in (
                *WEEKDAYS, "sat", "sun")})),
    }


def per_call(fn: Callable[[datetime], object], instants: list[datetime]) -> dict[str, float]:
    took = []
    for at in instants:
        t0 = time.perf_counter()
        fn(at)
        took.append((time.perf_counter() - t0) * 1e6)
    return {"p50_us": percentile(took, 50), "p99_us": percentile(took, 99)}


def arithmetic() -> dict[str, Any]:
    rng = random.Random(7)
    instants = [START + timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(2000)]
    found: dict[str, Any] = {}
    for label, s in schedules().items():
        found[label] = {
            "state": per_call(lambda at, s=s: hours.state(s, at), instants),
            "back 10 min": per_call(lambda at, s=s: hours.back(s, at, 600), instants),
            "add 8 h": per_call(lambda at, s=s: hours.add(s, at, 8 * 3600), instants),
        }
        print(f"  {label:24}" + "".join(
            f"  {op} p50 {v['p50_us']:.0f} µs p99 {v['p99_us']:.0f} µs"
            for op, v in found[label].items()))
    return found


def floor(url: str, clock: FakeClock, policy_count: int) -> Any:
    c = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False), clock=clock)
    upgrade(c.db)
    for n in range(policy_count):  # the last one matches every ticket; the others never do
        conditions = {} if n == policy_count - 1 else {"queues": [f"q{n}"]}
        policies.create(c.ctx, ADMIN, {
            "name": f"p{n}", "conditions": conditions, "warn_percent": 50,
            "targets": {"first_response_seconds": 3600, "resolution_seconds": 4 * 3600}})
    return c


def arrivals(url: str, n: int, policy_count: int) -> dict[str, float]:
    clock = FakeClock(START + timedelta(hours=2))
    c = floor(url, clock, policy_count)
    took = []
    try:
        for i in range(n):
            clock.advance(1)
            t0 = time.perf_counter()
            tickets.create_ticket(c.ctx, ADMIN, tickets.NewTicket(
                f"t{i}", "default", priority=Priority.NORMAL))
            took.append((time.perf_counter() - t0) * 1000)
    finally:
        c.db.dispose()
    return {"p50_ms": percentile(took, 50), "p99_ms": percentile(took, 99)}


def timer_pass(url: str, n: int) -> dict[str, float]:
    clock = FakeClock(START + timedelta(hours=2))
    c = floor(url, clock, 1)
    try:
        for i in range(n):
            tickets.create_ticket(c.ctx, ADMIN, tickets.NewTicket(f"t{i}", "default"))
        clock.advance(60)
        t0 = time.perf_counter()
        quiet = tick(c.ctx)
        idle_ms = (time.perf_counter() - t0) * 1000
        assert quiet.sla_warnings == 0
        clock.advance(1800)  # every first-response clock at 50 %
        t0 = time.perf_counter()
        report = tick(c.ctx)
        warn_ms = (time.perf_counter() - t0) * 1000
    finally:
        c.db.dispose()
    return {"idle_ms": idle_ms, "warnings": report.sla_warnings,
            "per_warning_ms": warn_ms / max(report.sla_warnings, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--tickets", type=int, default=1000)
    ap.add_argument("--json", type=Path, default=RESULTS / "hours_sla.json")
    args = ap.parse_args()
    banner("Business time per call (2,000 instants over 2027)")
    results: dict[str, Any] = {"arithmetic": arithmetic(), "date": date.today().isoformat()}
    for db in parse_dbs(args.db):
        with tempfile.TemporaryDirectory() as tmp, \
                (pg_cluster() if db == "postgres" else _nothing()) as cluster:
            def url(tag: str, db: str = db, tmp: str = tmp, cluster: Any = cluster) -> str:
                if db == "postgres":
                    cluster.psql(f"CREATE DATABASE bench_{tag}")
                    return str(cluster.url(f"bench_{tag}"))
                return f"sqlite:///{tmp}/{tag}.db"
            banner(f"{db}: a ticket's arrival, {args.tickets} tickets")
            plain = arrivals(url("plain"), args.tickets, 0)
            with_sla = arrivals(url("sla"), args.tickets, 5)
            print(f"  no SLA policy     p50 {plain['p50_ms']:.2f} ms  p99 {plain['p99_ms']:.2f} ms")
            print(f"  5 policies        p50 {with_sla['p50_ms']:.2f} ms  "
                  f"p99 {with_sla['p99_ms']:.2f} ms")
            banner(f"{db}: the timer pass over {args.tickets} running SLA clocks")
            passes = timer_pass(url("tick"), args.tickets)
            print(f"  nothing due {passes['idle_ms']:.1f} ms;  {passes['warnings']} warnings at "
                  f"once: {passes['per_warning_ms']:.2f} ms per warning")
            results[db] = {"arrival_no_sla": plain, "arrival_5_policies": with_sla,
                           "timer_pass": passes}
    write_json(args.json, results)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
