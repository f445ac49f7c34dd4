"""`giliran simulate`: run a what-if scenario and report on it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from giliran.bootstrap import reading
from giliran.config import Settings
from giliran.domain.words import noun
from giliran.simulation import report, staffing
from giliran.simulation.history import from_history
from giliran.simulation.runner import Outcome, simulate
from giliran.simulation.scenario import Scenario, ScenarioError, load
from giliran.simulation.staffing import Target
from giliran.simulation.traffic import Replayed, read_csv

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def simulate_command(
    scenario: Annotated[Path, typer.Argument(help="The scenario (TOML; see docs/what-if.md)")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write report.json, report.html and the plots here")] = None,
    replications: Annotated[int | None, typer.Option(
        min=1, max=100, help="Replications per policy (overrides the scenario)")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (overrides the scenario)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report")] = False,
    staffing: Annotated[bool, typer.Option(
        "--staffing", help="Instead: the fewest agents per hour that meet --within and "
        "--max-utilization, found by simulation")] = False,
    within: Annotated[float, typer.Option(
        min=0.01, max=1.0, help="Staffing: share accepted within the scenario's wait target"
    )] = 0.80,
    max_utilization: Annotated[float, typer.Option(
        min=0.01, max=1.0, help="Staffing: the highest utilization allowed")] = 0.90,
    workers: Annotated[int, typer.Option(
        min=1, max=256, help="Runs (policy x replication) at once, in separate processes; the "
        "report is the same for any number")] = max(1, os.cpu_count() or 1),
) -> None:
    """Run a desk's traffic through each policy of SCENARIO on the real service layer (in
    memory, virtual time) and compare them."""
    try:
        found = load(scenario)
        updates = {k: v for k, v in (("replications", replications), ("seed", seed))
                   if v is not None}
        found, replayed = replay(found.model_copy(update=updates))
    except ScenarioError as exc:
        err.print(f"[red]the scenario cannot run[/red]\n{exc}")
        raise typer.Exit(2) from None
    if staffing:
        advise(found, Target(within, max_utilization))
        return
    outcome = run_with_progress(found, replayed, workers)
    if as_json:
        out.print(report.to_json(outcome), end="", markup=False)
    else:
        report.print_table(outcome, out)
    if out_dir is not None:
        for path in report.write(outcome, out_dir):
            err.print(f"wrote {path}")
    made, took = outcome.simulated_tickets, outcome.wall_seconds
    err.print(f"{made:,} simulated {noun(made, 'ticket', 'tickets')} in {took:.1f} s "
              f"({made / max(took, 1e-9):,.0f} per second)")
    if any(f.orphans for p in outcome.policies for f in p.runs):
        err.print("[red]orphaned tickets were found: please report this as a bug[/red]")
        raise typer.Exit(1)


def replay(found: Scenario) -> tuple[Scenario, list[Replayed] | None]:
    """The arrivals a CSV file or the desk's database gives, when the scenario replays one."""
    a = found.arrivals
    if a.kind == "csv":
        assert a.file is not None
        return found, read_csv(a.file, found.start)
    if a.kind == "history":
        assert a.since is not None and a.until is not None
        with reading(a.database_url or Settings().database_url) as uow:
            desk = from_history(uow, a.since, a.until)
        handling = found.handling
        if handling.distribution == "empirical" and not handling.samples:
            handling = desk.scenario.handling
        moved = found.model_copy(update={"start": a.since, "handling": handling,
                                         "days": (a.until - a.since).total_seconds() / 86_400})
        return moved, desk.arrivals
    return found, None


def advise(found: Scenario, target: Target) -> None:
    columns = (TextColumn("hour {task.completed:>2.0f} of 24"), BarColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("staffing", total=24)
        found_advice = staffing.advise(found, target,
                                       progress=lambda hour: bar.update(task, completed=hour + 1))
    out.print(staffing.schedule(found_advice), markup=False)
    err.print("Erlang C is exact only for one ticket per agent; the agents column is what "
              "simulation found (the bound in brackets).")


def run_with_progress(scenario: Scenario, replayed: list[Replayed] | None = None,
                      workers: int = 1) -> Outcome:
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("simulating", total=1.0)

        def step(label: str, share: float) -> None:
            bar.update(task, completed=share, description=label)

        return simulate(scenario, progress=step, replayed=replayed, workers=workers)
