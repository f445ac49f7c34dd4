"""The simulator as a desk uses it: deterministic for a seed, keeping the floor's invariants
inside every run, and writing its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from giliran.adapters.memory import InMemoryStore
from giliran.entrypoints.cli import app
from giliran.simulation import report, runner, scenario
from tests.simulation.conftest import mmc
from tests.support.invariants import check_floor, snapshot

DESK: dict[str, Any] = {
    "name": "a lead desk and a support desk", "start": "2026-11-02T00:00:00+07:00",
    "days": 1, "seed": 3, "replications": 2, "patience_seconds": 3600,
    "arrivals": {"kind": "poisson", "per_hour": 30,
                 "hourly": [0.2] * 7 + [1.5] * 10 + [0.4] * 7,
                 "bursts": [{"day": 0, "at": "10:00:00", "minutes": 30, "per_hour": 90}]},
    "handling": {"distribution": "lognormal", "mean_seconds": 900, "sigma": 0.8},
    "queues": [
        {"name": "default", "share": 2,
         "priorities": {"low": 0.3, "normal": 0.5, "high": 0.15, "urgent": 0.05},
         "settings": {"accept_timeout_seconds": 120, "offline_policy": "requeue",
                      "max_wait_seconds": 1800, "priority_aging_seconds": 900}},
        {"name": "sales", "share": 1,
         "settings": {"strategy": "rotation", "max_per_agent": 1, "slot_freed_on": "accept",
                      "accept_timeout_seconds": 300, "away_after_misses": 2}},
    ],
    "agents": [
        {"count": 6, "max_tickets": 3, "accept_delay_seconds": 40, "no_show": 0.1,
         "shift": {"start": "07:00:00", "end": "19:00:00", "days": [0, 1, 2, 3, 4]},
         "disconnects": {"per_hour": 1, "mean_seconds": 400}},
        {"name": "night", "count": 2, "max_tickets": 2, "queues": ["default"],
         "accept_delay_seconds": 60, "no_show": 0.05},
    ],
    "presence_grace_seconds": 120,
    "policies": [{"name": "as it is"},
                 {"name": "least loaded, 2 each", "max_tickets": 2,
                  "queues": {"default": {"strategy": "least_loaded"}}}],
}


def _invariants(store: InMemoryStore) -> list[str]:
    try:
        check_floor(snapshot(store))
    except AssertionError as broken:
        return [str(broken)]
    return []


def test_the_same_scenario_and_seed_give_a_byte_identical_report() -> None:
    first = report.to_json(runner.simulate(scenario.parse(DESK)))
    again = report.to_json(runner.simulate(scenario.parse(DESK)))
    assert first == again
    other = report.to_json(runner.simulate(scenario.parse({**DESK, "seed": 4})))
    assert other != first  # the seed matters


def test_the_floor_keeps_its_invariants_inside_the_simulation() -> None:
    """The checks the storage tests use (nobody over capacity, no ticket held twice or by
    someone inactive, counts that add up, nothing left waiting while someone could take it)
    run every 97 steps and at the end of every run; and no ticket is lost: each arrival ends
    completed, given up, held or waiting."""
    outcome = runner.simulate(scenario.parse(DESK), check=_invariants, keep_runs=True)
    for name, runs in outcome.runs.items():
        for run in runs:
            assert run.violations == [], (name, run.violations[:3])
            assert run.orphans == 0
            lives = {life.ticket_id for life in run.tickets}
            assert len(lives) == len(run.tickets) > 100
            escalated = sum(life.escalations for life in run.tickets)
            assert escalated > 0, "the scenario should exercise the timers"
    for figures in outcome.policies:
        assert all(r.violations == 0 and r.orphans == 0 for r in figures.runs)


def test_the_command_line_writes_the_report(tmp_path: Path) -> None:
    desk = tmp_path / "desk.json"
    desk.write_text(json.dumps({**DESK, "replications": 1, "policies": DESK["policies"][:1]}))
    toml = tmp_path / "desk.toml"
    toml.write_text(_as_toml(json.loads(desk.read_text())))
    done = CliRunner().invoke(app, ["simulate", str(toml), "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert written["policies"][0]["figures"]["orphans"]["mean"] == 0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ndays = -1\n')
    refused = CliRunner().invoke(app, ["simulate", str(bad)])
    assert refused.exit_code != 0 and "days" in refused.output


def _as_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for the test's scenario (inline tables and arrays)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v) if ":" not in v or "T" in v else v
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)
    lines = []
    for key, v in data.items():
        if key == "start":
            lines.append(f"start = {v}")
        else:
            lines.append(f"{key} = {value(v)}")
    return "\n".join(lines) + "\n"


def test_an_agent_whose_connection_drops_comes_back() -> None:
    """A drop longer than the grace period takes the agent offline until the connection is
    back, not for good (an agent dropping twice an hour for ~5 minutes is online ~85 %)."""
    desk = {"name": "flaky", "start": "2026-11-02T00:00:00+00:00", "days": 2, "seed": 1,
            "replications": 1, "presence_grace_seconds": 60,
            "arrivals": {"kind": "poisson", "per_hour": 4},
            "agents": [{"count": 2, "disconnects": {"per_hour": 2, "mean_seconds": 300}}],
            "policies": [{"name": "as it is"}]}
    outcome = runner.simulate(scenario.parse(desk), keep_runs=True)
    for agent in outcome.runs["as it is"][0].agents:
        assert 0.7 < agent.online_seconds / (2 * 86_400) < 0.95, agent.name


def test_a_report_counts_its_days_and_replications_in_good_english() -> None:
    assert report.described(mmc(1, 1, 60, days=1, replications=1)) == "1 day, 1 replication"
    assert report.described(mmc(1, 1, 60, days=2.5, replications=5)) == (
        "2.5 days, 5 replications")
