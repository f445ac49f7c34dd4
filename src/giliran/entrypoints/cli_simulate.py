"""`giliran simulate`: run a what-if scenario and report on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from giliran.simulation import report
from giliran.simulation.runner import Outcome, simulate
from giliran.simulation.scenario import Scenario, ScenarioError, load

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
) -> None:
    """Run a desk's traffic through each policy of SCENARIO on the real service layer (in
    memory, virtual time) and compare them."""
    try:
        found = load(scenario)
    except ScenarioError as exc:
        err.print(f"[red]the scenario cannot run[/red]\n{exc}")
        raise typer.Exit(2) from None
    updates = {k: v for k, v in (("replications", replications), ("seed", seed))
               if v is not None}
    outcome = run_with_progress(found.model_copy(update=updates))
    if as_json:
        out.print(report.to_json(outcome), end="", markup=False)
    else:
        report.print_table(outcome, out)
    if out_dir is not None:
        for path in report.write(outcome, out_dir):
            err.print(f"wrote {path}")
    err.print(f"{outcome.simulated_tickets:,} simulated tickets in {outcome.wall_seconds:.1f} s "
              f"({outcome.simulated_tickets / max(outcome.wall_seconds, 1e-9):,.0f} per second)")
    if any(f.orphans for p in outcome.policies for f in p.runs):
        err.print("[red]orphaned tickets were found: please report this as a bug[/red]")
        raise typer.Exit(1)


def run_with_progress(scenario: Scenario) -> Outcome:
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("simulating", total=1.0)

        def step(label: str, share: float) -> None:
            bar.update(task, completed=share, description=label)

        return simulate(scenario, progress=step)
