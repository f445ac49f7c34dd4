"""The simulator against queueing theory: a desk of single-capacity agents with Poisson
arrivals, exponential handle times and no timers is an M/M/c queue, and the simulated
probability of waiting and mean wait must fall within the replications' 95 % confidence
intervals of Erlang C's values, for a light, a busy and a heavily loaded desk. The runs are
deterministic (fixed seeds), so a pass is a pass every time; a change that biases the
simulator (a wrong clock, a lost ticket, an agent idle while one waits) moves them out."""

from __future__ import annotations

import pytest

from giliran.simulation import runner, theory
from giliran.simulation.runner import Outcome
from tests.simulation.conftest import mmc

SERVICE = 600.0  # mean handle time, seconds
CASES = {  # agents, utilization, days per replication
    "light, rho 0.5": (2, 0.5, 3.0),
    "busy, rho 0.8": (4, 0.8, 2.5),
    "heavy, rho 0.9": (10, 0.9, 2.0),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[int, float, Outcome]:
    agents, rho, days = CASES[request.param]
    rate = rho * agents / SERVICE
    return agents, rate, runner.simulate(mmc(agents, rate * 3600, SERVICE, days=days,
                                             replications=8))


def test_probability_of_waiting_matches_erlang_c(case: tuple[int, float, Outcome]) -> None:
    agents, rate, outcome = case
    figures = outcome.policies[0]
    served_at_once = figures.figure("within_target")  # target ~0 s: share that never waited
    expected = theory.erlang_c(rate, 1 / SERVICE, agents)
    waited = theory.Interval(1 - served_at_once.mean, served_at_once.half_width)
    assert waited.contains(expected), f"P(wait) {waited} against Erlang C {expected:.3f}"


def test_mean_wait_matches_erlang_c(case: tuple[int, float, Outcome]) -> None:
    agents, rate, outcome = case
    found = outcome.policies[0].figure("wait_mean")
    expected = theory.mean_wait(rate, 1 / SERVICE, agents)
    assert found.contains(expected), f"mean wait {found} against Erlang C {expected:.1f} s"


def test_littles_law_holds_on_every_run(case: tuple[int, float, Outcome]) -> None:
    """The mean number waiting, read from the store every 10 minutes, against the arrival
    rate times each ticket's own time in the queue (within the sampling's error)."""
    _, _, outcome = case
    for run in outcome.policies[0].runs:
        assert run.mean_waiting == pytest.approx(run.arrival_rate * run.littles_wait,
                                                 rel=0.05, abs=0.02)
