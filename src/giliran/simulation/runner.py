"""Runs a scenario: every policy on the same traffic, replication by replication, and what the
report needs from it."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from giliran.adapters.memory import InMemoryStore
from giliran.simulation import traffic
from giliran.simulation.driver import Driver, Run
from giliran.simulation.metrics import PolicyFigures, RunFigures, measure
from giliran.simulation.scenario import Scenario

Progress = Callable[[str, float], None]  # (what is running, share of the whole run done)
Check = Callable[[InMemoryStore], list[str]]


@dataclass
class Outcome:
    scenario: Scenario
    policies: list[PolicyFigures]
    runs: dict[str, list[Run]] = field(default_factory=dict)  # per policy, when kept
    wall_seconds: float = 0.0

    @property
    def simulated_tickets(self) -> int:
        return sum(f.tickets for p in self.policies for f in p.runs)


def simulate(scenario: Scenario, *, progress: Progress | None = None, check: Check | None = None,
             replayed: Sequence[traffic.Replayed] | None = None, keep_runs: bool = False,
             seconds: float | None = None, workers: int = 1) -> Outcome:
    """`keep_runs`: keep every ticket's life (tests look inside); reports need only the
    figures. `seconds`: stop with driver.TooLong past this much wall time. `workers`: run
    that many (replication, policy) pairs at once in separate processes; each pair draws
    from its own seeds, so the report is the same for any number of workers."""
    started = time.perf_counter()
    deadline = time.monotonic() + seconds if seconds is not None else None
    pairs = [(r, p) for r in range(scenario.replications) for p in range(len(scenario.policies))]
    found: dict[tuple[int, int], tuple[RunFigures, Run | None]] = {}
    total = len(pairs)

    def label(pair: tuple[int, int]) -> str:
        r, p = pair
        return (f"{scenario.policies[p].name}, replication {r + 1}/{scenario.replications}")

    if workers > 1 and total > 1 and check is None:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, total), mp_context=context,
                                 initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(_pair, scenario, r, p, replayed, keep_runs, None, deadline,
                                   None): (r, p) for r, p in pairs}
            for future in as_completed(futures):
                found[futures[future]] = future.result()
                if progress is not None:
                    progress(label(futures[future]), len(found) / total)
    else:
        for pair in pairs:
            done = len(found)

            def step(share: float, before: int = done, what: str = label(pair)) -> None:
                if progress is not None:
                    progress(what, (before + min(share, 1.0)) / total)

            found[pair] = _pair(scenario, *pair, replayed, keep_runs, check, deadline, step)
            if progress is not None:
                progress(label(pair), len(found) / total)
    figures = [PolicyFigures(policy.name, [found[r, p][0] for r in range(scenario.replications)])
               for p, policy in enumerate(scenario.policies)]
    runs = {policy.name: [run for r in range(scenario.replications)
                          if (run := found[r, p][1]) is not None]
            for p, policy in enumerate(scenario.policies)} if keep_runs else {}
    return Outcome(scenario, figures, runs, time.perf_counter() - started)


def die_with_parent(parent: int) -> None:
    """In a worker process: exit when `parent`, the process that started it, is gone (killed,
    even with SIGKILL), instead of running a simulation nobody will read, or waiting forever.
    The parent names itself: a worker still starting when its parent died would otherwise
    take its new parent for the one to watch."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def _pair(scenario: Scenario, replication: int, policy: int,
          replayed: Sequence[traffic.Replayed] | None, keep_run: bool, check: Check | None,
          deadline: float | None, step: Callable[[float], None] | None
          ) -> tuple[RunFigures, Run | None]:
    """One policy over one replication's traffic (in this process or a worker)."""
    arrivals = traffic.arrivals(scenario, replication, replayed)
    run = Driver(scenario, scenario.policies[policy], arrivals, replication,
                 check=check).run(step, deadline)
    figures = measure(run, scenario.wait_target_seconds, scenario.utilization_band,
                      scenario.warmup_hours * 3600)
    return figures, run if keep_run else None
