"""Runs a scenario: every policy on the same traffic, replication by replication, and what the
report needs from it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from giliran.adapters.memory import InMemoryStore
from giliran.simulation import traffic
from giliran.simulation.driver import Driver, Run
from giliran.simulation.metrics import PolicyFigures, measure
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
             seconds: float | None = None) -> Outcome:
    """`keep_runs`: keep every ticket's life (tests look inside); reports need only the
    figures. `seconds`: stop with driver.TooLong past this much wall time."""
    started = time.perf_counter()
    deadline = time.monotonic() + seconds if seconds is not None else None
    figures: dict[str, list] = {p.name: [] for p in scenario.policies}  # type: ignore[type-arg]
    runs: dict[str, list[Run]] = {p.name: [] for p in scenario.policies}
    total = scenario.replications * len(scenario.policies)
    done = 0
    for replication in range(scenario.replications):
        arrivals = traffic.arrivals(scenario, replication, replayed)
        for policy in scenario.policies:
            label = f"{policy.name}, replication {replication + 1}/{scenario.replications}"

            def step(share: float, before: int = done, label: str = label) -> None:
                if progress is not None:
                    progress(label, (before + min(share, 1.0)) / total)

            run = Driver(scenario, policy, arrivals, replication, check=check).run(
                step, deadline)
            figures[policy.name].append(
                measure(run, scenario.wait_target_seconds, scenario.utilization_band,
                        scenario.warmup_hours * 3600))
            if keep_runs:
                runs[policy.name].append(run)
            done += 1
            if progress is not None:
                progress(label, done / total)
    return Outcome(scenario, [PolicyFigures(name, found) for name, found in figures.items()],
                   runs, time.perf_counter() - started)
