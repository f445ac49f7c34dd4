"""Helpers for the simulator's tests: scenarios written as a desk would write them."""

from __future__ import annotations

from typing import Any

from giliran.simulation import scenario


def mmc(agents: int, per_hour: float, mean_seconds: float, *, days: float,
        replications: int, seed: int = 7, warmup_hours: float = 6) -> scenario.Scenario:
    """An M/M/c desk: Poisson arrivals at a constant rate, exponential handle times, agents of
    capacity 1 online all the time who accept at once and never miss, no timers."""
    data: dict[str, Any] = {
        "name": f"M/M/{agents}", "start": "2026-11-02T00:00:00+00:00", "days": days,
        "seed": seed, "replications": replications, "warmup_hours": warmup_hours,
        "wait_target_seconds": 1e-6,
        "arrivals": {"kind": "poisson", "per_hour": per_hour},
        "handling": {"distribution": "exponential", "mean_seconds": mean_seconds},
        "queues": [{"name": "default", "share": 1, "priorities": {"normal": 1}}],
        "agents": [{"count": agents, "max_tickets": 1, "accept_delay_seconds": 0,
                    "no_show": 0}],
        "policies": [{"name": "round robin"}],
    }
    return scenario.parse(data)
