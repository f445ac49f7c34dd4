"""The report of a run: a table for the terminal (Rich), JSON, and a self-contained HTML page
with its plots (matplotlib, embedded as PNG), written to an output folder.

The JSON holds only what the seed decides, so the same scenario and seed give byte-identical
JSON; how long the run took is printed, not written there.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from giliran.domain.words import noun
from giliran.simulation.metrics import SUMMARY, PolicyFigures
from giliran.simulation.runner import Outcome
from giliran.simulation.scenario import Policy, Scenario
from giliran.simulation.theory import Interval

LABELS = {
    "assign_mean": ("Time to assign, mean", "s"), "assign_p90": ("Time to assign, p90", "s"),
    "wait_mean": ("Wait until accepted, mean", "s"), "wait_p90": ("Wait, p90", "s"),
    "wait_max": ("Wait, longest", "s"), "within_target": ("Accepted within target", "%"),
    "utilization": ("Utilization (online time)", "%"), "load": ("Load (held / capacity)", "%"),
    "in_band": ("Agents within the band", "%"),
    "fairness_max_min": ("Assignments, most / fewest", "x"),
    "fairness_gini": ("Assignments, Gini", ""), "escalations": ("Escalations", ""),
    "flagged": ("Flagged for a supervisor", ""), "orphans": ("Orphaned tickets", ""),
    "abandoned": ("Customers who gave up", ""), "mean_waiting": ("Tickets waiting, mean", ""),
    "tickets": ("Tickets", ""),
    "sla_met": ("First response within the SLA", "%"),
    "sla_breached": ("First response SLA breached", "%"),
}


def as_dict(outcome: Outcome) -> dict[str, Any]:
    s = outcome.scenario
    return {
        "scenario": s.name, "seed": s.seed, "replications": s.replications, "days": s.days,
        "wait_target_seconds": s.wait_target_seconds,
        "utilization_band": list(s.utilization_band),
        "policies": [_policy(p, shown(s)) for p in outcome.policies],
        **({"sla": [_sla(s, p) for p in s.policies]} if shown(s) == SUMMARY else {}),
    }


def shown(s: Scenario) -> tuple[str, ...]:
    """The figures reported: the SLA's only when some policy measures a target."""
    if any(s.sla_of(p) is not None for p in s.policies):
        return SUMMARY
    return tuple(n for n in SUMMARY if not n.startswith("sla_"))


def _sla(s: Scenario, p: Policy) -> dict[str, Any] | None:
    sla = s.sla_of(p)
    return None if sla is None else sla.model_dump()


def _policy(p: PolicyFigures, shown: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": p.policy,
        "figures": {name: _interval(i) for name, i in p.summary().items() if name in shown},
        "utilization_by_agent": {n: _interval(i) for n, i in p.utilization_by_agent().items()},
        "replications": [
            {"tickets": r.tickets, "completed": r.completed, "wait_mean": _num(r.wait_mean),
             "escalations": r.escalations, "orphans": r.orphans,
             "assignments_by_agent": r.assignments_by_agent}
            for r in p.runs],
    }


def _interval(i: Interval) -> dict[str, float | None]:
    return {"mean": _num(i.mean), "ci95": _num(i.half_width)}


def _num(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)


def to_json(outcome: Outcome) -> str:
    return json.dumps(as_dict(outcome), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def cell(name: str, i: Interval) -> str:
    if math.isnan(i.mean):
        return "—"
    unit = LABELS[name][1]
    scale = 100.0 if unit == "%" else 1.0
    value = f"{i.mean * scale:,.1f}" if unit in ("%", "s", "x") else f"{i.mean:,.2f}"
    if not math.isnan(i.half_width) and i.half_width > 0:
        value += f" ± {i.half_width * scale:,.1f}" if unit else f" ± {i.half_width:,.2f}"
    return f"{value} {unit}".rstrip() if unit and unit != "x" else value


def _days(s: Scenario) -> str:
    return f"{s.days:g} {noun(s.days, 'day', 'days')}"


def _replications(s: Scenario) -> str:
    return f"{s.replications} {noun(s.replications, 'replication', 'replications')}"


def described(s: Scenario) -> str:
    """How long it ran and how often: "1 day, 5 replications"."""
    return f"{_days(s)}, {_replications(s)}"


def table(outcome: Outcome) -> Table:
    s = outcome.scenario
    found = Table(title=f"{s.name}: {described(s)} (mean ± 95 % CI)")
    found.add_column("")
    for p in outcome.policies:
        found.add_column(p.policy, justify="right")
    summaries = [p.summary() for p in outcome.policies]
    for name in shown(s):
        found.add_row(LABELS[name][0], *(cell(name, s[name]) for s in summaries))
    return found


def print_table(outcome: Outcome, console: Console | None = None) -> None:
    (console or Console()).print(table(outcome))


def write(outcome: Outcome, out: Path) -> list[Path]:
    """report.json, report.html (with its plots inside) and the plots as PNG files."""
    out.mkdir(parents=True, exist_ok=True)
    pictures = plots(outcome)
    written = [out / "report.json", out / "report.html"]
    written[0].write_text(to_json(outcome), "utf-8")
    written[1].write_text(to_html(outcome, pictures), "utf-8")
    for name, png in pictures.items():
        (out / f"{name}.png").write_bytes(png)
        written.append(out / f"{name}.png")
    return written


def plots(outcome: Outcome) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    found: dict[str, bytes] = {}
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for p in outcome.policies:
        hours = _mean_series([r.wait_by_hour for r in p.runs])
        ax.plot(range(len(hours)), [h / 60 for h in hours], label=p.policy)
    ax.axhline(outcome.scenario.wait_target_seconds / 60, color="grey", ls="--", lw=1,
               label="target")
    ax.set(title="Wait until accepted, by hour of arrival", xlabel="hour", ylabel="minutes")
    ax.legend()
    found["wait_over_time"] = _png(fig)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for p in outcome.policies:
        ax.plot(_mean_series([[float(n) for n in r.queue_samples] for r in p.runs]),
                label=p.policy)
    ax.set(title="Tickets waiting", xlabel="sample (every 10 minutes)", ylabel="tickets")
    ax.legend()
    found["queue_length"] = _png(fig)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / max(1, len(outcome.policies))
    count = 0
    low, high = outcome.scenario.utilization_band
    ax.axhspan(low * 100, high * 100, color="#dafbe1", label="target band")
    for k, p in enumerate(outcome.policies):
        by_agent = p.utilization_by_agent()
        xs = [i + k * width for i in range(len(by_agent))]
        ax.bar(xs, [i.mean * 100 for i in by_agent.values()], width, label=p.policy)
        count = len(by_agent)
    ax.set_xticks([i + width * (len(outcome.policies) - 1) / 2 for i in range(count)],
                  [str(i + 1) if count <= 60 else "" for i in range(count)])
    ax.set(title="Utilization per agent (time holding a ticket / time online)", xlabel="agent",
           ylabel="%")
    ax.legend()
    found["utilization_per_agent"] = _png(fig)
    plt.close("all")
    return found


def _mean_series(series: list[list[float]]) -> list[float]:
    longest = max((len(s) for s in series), default=0)
    found = []
    for i in range(longest):
        values = [s[i] for s in series if i < len(s) and not math.isnan(s[i])]
        found.append(sum(values) / len(values) if values else math.nan)
    return found


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def to_html(outcome: Outcome, pictures: dict[str, bytes]) -> str:
    s = outcome.scenario
    heads = "".join(f"<th>{html.escape(p.policy)}</th>" for p in outcome.policies)
    summaries = [p.summary() for p in outcome.policies]
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(LABELS[n][0])}</th>"
        + "".join(f"<td>{html.escape(cell(n, x[n]))}</td>" for x in summaries) + "</tr>"
        for n in shown(s))
    images = "".join(
        f"<figure><img alt='{html.escape(name.replace('_', ' '))}' "
        f"src='data:image/png;base64,{base64.b64encode(png).decode()}'></figure>"
        for name, png in pictures.items())
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        f"<title>What if: {html.escape(s.name)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse}th,td{padding:.3rem .7rem;border-bottom:1px solid #ddd;"
        "text-align:right}th[scope=row]{text-align:left}img{max-width:100%}</style>"
        f"<h1>What if: {html.escape(s.name)}</h1>"
        f"<p>{_days(s)} from {s.start.isoformat()}, seed {s.seed}, {_replications(s)} "
        f"per policy, the same arrivals for every policy. Mean ± 95 % "
        f"confidence half-width across replications.</p>"
        f"<table><thead><tr><th></th>{heads}</tr></thead><tbody>{rows}</tbody></table>"
        f"{images}</html>\n")
