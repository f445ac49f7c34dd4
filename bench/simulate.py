"""How fast the simulator runs: simulated tickets per second of wall time for a 50-agent desk
over 30 days, on the real service layer over the in-memory store.

    .venv/bin/python bench/simulate.py                 # one run of the month, one process
    .venv/bin/python bench/simulate.py --days 7 --runs 4 --workers 2

`--runs N` runs N policies (the same desk) side by side, `--workers` in that many processes,
to show what parallel runs add. Prints the figure against the goal of 1,000,000 simulated
tickets per minute, met / NOT met; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

from giliran.simulation import runner, scenario

GOAL_PER_MINUTE = 1_000_000


def desk(days: float, runs: int) -> scenario.Scenario:
    """50 agents in two groups, two queues, business hours with a lunch dip, a quiet night
    shift of 6, people who are slow, absent and sometimes lose their connection."""
    data: dict[str, Any] = {
        "name": "50-agent desk", "start": "2026-11-02T00:00:00+07:00", "days": days,
        "seed": 1, "replications": 1, "presence_grace_seconds": 120,
        "arrivals": {"kind": "poisson", "per_hour": 110,
                     "hourly": [0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.6, 1.1, 1.8, 2.0, 2.0, 1.8,
                                1.3, 1.6, 1.8, 1.7, 1.4, 1.0, 0.7, 0.5, 0.4, 0.3, 0.3, 0.2],
                     "weekly": [1, 1, 1, 1, 1, 0.6, 0.4]},
        "handling": {"distribution": "lognormal", "mean_seconds": 900, "sigma": 0.8},
        "queues": [
            {"name": "default", "share": 3,
             "priorities": {"low": 0.25, "normal": 0.55, "high": 0.15, "urgent": 0.05},
             "settings": {"accept_timeout_seconds": 120, "offline_policy": "requeue"}},
            {"name": "sales", "share": 1,
             "settings": {"strategy": "rotation", "max_per_agent": 1,
                          "slot_freed_on": "accept", "accept_timeout_seconds": 300}},
        ],
        "agents": [
            {"name": "day", "count": 44, "max_tickets": 4, "accept_delay_seconds": 30,
             "no_show": 0.03,
             "shift": {"start": "07:00:00", "end": "19:00:00", "days": [0, 1, 2, 3, 4, 5]},
             "disconnects": {"per_hour": 0.5, "mean_seconds": 200}},
            {"name": "night", "count": 6, "max_tickets": 3, "accept_delay_seconds": 45,
             "no_show": 0.05,
             "shift": {"start": "19:00:00", "end": "07:00:00", "days": [0, 1, 2, 3, 4, 5, 6]}},
        ],
        "policies": [{"name": f"run {i + 1}"} for i in range(runs)],
    }
    return scenario.parse(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", help="also write the figures here")
    a = parser.parse_args()
    found = desk(a.days, a.runs)
    started = time.perf_counter()
    outcome = runner.simulate(found, workers=a.workers)
    wall = time.perf_counter() - started
    tickets = outcome.simulated_tickets
    per_minute = tickets / wall * 60
    figures = outcome.policies[0].runs[0]
    result = {
        "days": a.days, "runs": a.runs, "workers": a.workers, "tickets": tickets,
        "wall_seconds": round(wall, 2), "tickets_per_second": round(tickets / wall),
        "tickets_per_minute": round(per_minute), "goal_per_minute": GOAL_PER_MINUTE,
        "met": per_minute >= GOAL_PER_MINUTE, "machine": platform.machine(),
        "python": platform.python_version(),
        "desk": {"wait_mean_s": round(figures.wait_mean, 1),
                 "within_target": round(figures.within_target, 3),
                 "utilization": round(figures.utilization, 3), "orphans": figures.orphans},
    }
    print(f"{a.runs} run(s) of a 50-agent desk over {a.days:g} days, {a.workers} worker(s): "
          f"{tickets:,} simulated tickets in {wall:.1f} s")
    print(f"  {tickets / wall:,.0f} tickets/s = {per_minute:,.0f} tickets/min; goal "
          f"{GOAL_PER_MINUTE:,}/min: {'met' if result['met'] else 'NOT met'}")
    print(f"  the desk: mean wait {figures.wait_mean:.0f} s, "
          f"{figures.within_target:.0%} within 5 min, utilization {figures.utilization:.0%}, "
          f"orphans {figures.orphans}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
