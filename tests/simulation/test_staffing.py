"""Staffing advice: the fewest agents per hour that meet a target, found by simulation."""

from __future__ import annotations

from giliran.simulation import scenario, staffing, theory


def test_the_advice_meets_the_target_and_one_agent_fewer_would_not() -> None:
    """With one ticket per agent Erlang C is exact, so the simulated answer sits at its bound
    (or one above, for the utilization ceiling or the dice); the schedule says so hour by
    hour, and a quiet hour needs fewer agents than a busy one."""
    desk = scenario.parse({
        "name": "advice", "start": "2026-11-02T00:00:00+00:00", "days": 1, "seed": 2,
        "replications": 3, "wait_target_seconds": 300,
        "arrivals": {"kind": "poisson", "per_hour": 30, "hourly": [0.4] * 12 + [1.0] * 12},
        "handling": {"distribution": "exponential", "mean_seconds": 600},
        "agents": [{"count": 1, "max_tickets": 1, "accept_delay_seconds": 0, "no_show": 0}],
    })
    target = staffing.Target(within=0.8, max_utilization=0.9)
    advice = staffing.advise(desk, target, hours=6)
    assert len(advice) == 24
    quiet, busy = advice[3], advice[15]
    for hour in (quiet, busy):
        assert hour.agents is not None
        assert hour.erlang_lower_bound <= hour.agents <= hour.erlang_lower_bound + 1
        assert hour.within >= 0.8 and hour.utilization <= 0.9
    assert quiet.agents is not None and busy.agents is not None and quiet.agents < busy.agents
    rate = busy.per_hour / 3600
    assert theory.within(rate, 1 / 600, busy.erlang_lower_bound, 300) >= 0.8
    table = staffing.schedule(advice)
    assert table.splitlines()[16].startswith("15:00") and str(busy.agents) in table
