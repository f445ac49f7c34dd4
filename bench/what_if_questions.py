"""The plan's five open questions, answered by simulation on the sample desk
(docs/what-if/sample-desk.toml): prints one Markdown table per question, as docs/what-if.md
shows them.

    .venv/bin/python bench/what_if_questions.py [--workers 2] [--only 1,3]

Every policy of a question runs on the same arrivals (common random numbers), `replications`
times; each cell is the mean with its 95 % confidence half-width.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tomllib
from pathlib import Path
from typing import Any

from giliran.simulation import runner, scenario
from giliran.simulation.driver import Run
from giliran.simulation.theory import interval

DESK = Path(__file__).resolve().parent.parent / "docs" / "what-if" / "sample-desk.toml"
BOTH = ("default", "sales")


def _all(**settings: Any) -> dict[str, dict[str, Any]]:
    return {q: dict(settings) for q in BOTH}


QUESTIONS: list[tuple[str, list[dict[str, Any]]]] = [
    ("1. Round robin, random, least loaded or a strict rotation?", [
        {"name": "round robin"},
        {"name": "random", "queues": _all(strategy="random")},
        {"name": "least loaded", "queues": _all(strategy="least_loaded")},
        {"name": "rotation", "queues": _all(strategy="rotation")},
    ]),
    ("2. An agent goes offline: keep its tickets, or requeue them?", [
        {"name": "keep", "queues": _all(offline_policy="keep")},
        {"name": "requeue unaccepted", "queues": _all(offline_policy="requeue")},
        {"name": "requeue all", "queues": _all(offline_policy="requeue_all")},
    ]),
    ("3. A fixed 5 tickets per agent, or per-agent limits (6 / 4 / 2)?", [
        {"name": "per agent 6/4/2"},
        {"name": "everyone 5", "max_tickets": 5},
        {"name": "everyone 3", "max_tickets": 3},
    ]),
    ("4. Priorities: strict, or aging low ones up?", [
        {"name": "strict priority", "queues": _all(priority_aging_seconds=0)},
        {"name": "age every 30 min", "queues": _all(priority_aging_seconds=1800)},
        {"name": "age every 10 min (default)"},
    ]),
    ("5. How long a grace period after a lost connection?", [
        {"name": "grace 30 s", "presence_grace_seconds": 30},
        {"name": "grace 2 min", "presence_grace_seconds": 120},
        {"name": "grace 5 min", "presence_grace_seconds": 300},
        {"name": "grace 15 min", "presence_grace_seconds": 900},
    ]),
]

ROWS = [("wait_mean", "wait until accepted, mean (s)", 1), ("wait_p90", "wait, p90 (s)", 1),
        ("within_target", "accepted within 5 min (%)", 100),
        ("utilization", "utilization over online time (%)", 100),
        ("fairness_gini", "assignments per agent, Gini", 1),
        ("escalations", "escalations", 1), ("flagged", "flagged for a supervisor", 1),
        ("orphans", "orphaned tickets", 1)]


def _cell(mean: float, half: float, scale: float) -> str:
    if math.isnan(mean):
        return "-"
    digits = 0 if abs(mean * scale) >= 100 else 1 if abs(mean * scale) >= 1 else 2
    text = f"{mean * scale:,.{digits}f}"
    return text if math.isnan(half) else f"{text} ± {half * scale:,.{digits}f}"


def _by_priority(runs: list[Run], label: str, staffed: bool) -> tuple[float, float]:
    """Mean wait until accepted of one priority's support tickets, per run, as an interval;
    `staffed`: only those arriving on a weekday between 09:00 and 15:00 (the sample desk
    starts on a Monday at midnight), when most of the floor is online."""
    found = []
    for run in runs:
        waits = [t.accepted - t.arrival.at for t in run.tickets
                 if t.accepted is not None and t.arrival.priority == label
                 and (not staffed or (t.arrival.at // 86_400 < 5
                                      and 9 <= t.arrival.at % 86_400 / 3600 < 15))]
        found.append(sum(waits) / len(waits) if waits else math.nan)
    i = interval(found)
    return i.mean, i.half_width


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument("--only", default="", help="question numbers, e.g. 1,3")
    parser.add_argument("--replications", type=int)
    parser.add_argument("--days", type=float)
    a = parser.parse_args()
    base = tomllib.loads(DESK.read_text())
    if a.replications:
        base["replications"] = a.replications
    if a.days:
        base["days"] = a.days
    only = {int(n) for n in a.only.split(",") if n}
    print(f"The sample desk ({DESK.name}): {base['days']} days, {base['replications']} "
          f"replications per policy; mean ± 95 % CI.\n")
    for number, (title, policies) in enumerate(QUESTIONS, start=1):
        if only and number not in only:
            continue
        started = time.perf_counter()
        found = scenario.parse({**base, "policies": policies})
        outcome = runner.simulate(found, workers=a.workers, keep_runs=number == 4)
        names = [p["name"] for p in policies]
        print(f"### {title}\n")
        print("| | " + " | ".join(names) + " |")
        print("| --- |" + " ---: |" * len(names))
        for key, label, scale in ROWS:
            cells = [_cell(f.figure(key).mean, f.figure(key).half_width, scale)
                     for f in outcome.policies]
            print(f"| {label} | " + " | ".join(cells) + " |")
        if number == 4:
            for staffed in (False, True):
                when = "weekdays 09-15" if staffed else "all week"
                for priority in ("urgent", "low"):
                    cells = [_cell(*_by_priority(outcome.runs[n], priority, staffed), 1)
                             for n in names]
                    print(f"| {priority} tickets, {when}: wait, mean (s) | "
                          + " | ".join(cells) + " |")
        print(f"\n({outcome.simulated_tickets:,} simulated tickets in "
              f"{time.perf_counter() - started:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
