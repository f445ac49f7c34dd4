"""The SLA report's figures from clocks that ended, against figures computed by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from giliran.domain.sla_figures import figures, parse_thresholds
from giliran.service.reports.sla_report import groups


@dataclass(frozen=True)
class Ended:
    target: str
    queue: str
    agent_id: int | None
    outcome: str
    elapsed_seconds: float


ROWS = [
    # first responses: 20 s, 45 s, 90 s (breached), 400 s (breached) in two queues
    Ended("first_response", "sales", 1, "met", 20),
    Ended("first_response", "sales", 2, "met", 45),
    Ended("first_response", "default", 1, "breached", 90),
    Ended("first_response", "default", None, "breached", 400),
    Ended("next_response", "sales", 1, "met", 100),
    Ended("resolution", "sales", 1, "met", 3600),
    Ended("resolution", "default", 2, "breached", 7200),
    Ended("resolution", "default", 2, "met", 1800),
]


def test_shares_times_and_service_levels_of_the_whole_selection() -> None:
    f = figures(ROWS, (30, 60, 300))
    shares = {s.target: (s.clocks, s.met, s.breached) for s in f.targets}
    assert shares == {"first_response": (4, 2, 2), "next_response": (1, 1, 0),
                      "resolution": (3, 2, 1)}
    first = f.targets[0]
    assert first.met_share == 0.5 and first.breached_share == 0.5
    # nearest rank: the median of 20, 45, 90, 400 is 45; p90 is 400; the mean 138.75
    assert (f.first_response.median, f.first_response.p90, f.first_response.mean) == (
        45, 400, 138.75)
    assert f.resolution.median == 3600 and f.resolution.count == 3
    within = [(w.seconds, w.within, w.answered, w.share) for w in f.service_levels]
    assert within == [(30, 1, 4, 0.25), (60, 2, 4, 0.5), (300, 3, 4, 0.75)]


def test_nothing_ended_gives_no_shares_rather_than_zero() -> None:
    f = figures([], (30,))
    assert all(s.met_share is None for s in f.targets)
    assert f.first_response.median is None and f.service_levels[0].share is None


def test_groups_per_queue_and_per_agent() -> None:
    found = {(g.scope, g.key): g for g in groups(ROWS, (60,), {1: "Sari", 2: "Budi"})}
    assert next(iter(found)) == ("all", "")
    sales = found[("queue", "sales")].figures
    assert [(s.target, s.met, s.breached) for s in sales.targets] == [
        ("first_response", 2, 0), ("next_response", 1, 0), ("resolution", 1, 0)]
    budi = found[("agent", "2")]
    assert budi.name == "Budi"
    assert [(s.target, s.clocks, s.breached) for s in budi.figures.targets] == [
        ("first_response", 1, 0), ("next_response", 0, 0), ("resolution", 2, 1)]
    nobody = found[("agent", "-")].figures
    assert nobody.targets[0].breached == 1 and nobody.service_levels[0].within == 0


@pytest.mark.parametrize(("text", "expected"), [
    (None, (30, 60, 300)), ("", (30, 60, 300)), ("300,30, 60", (30, 60, 300)),
    ("10,10", (10,)),
])
def test_thresholds_are_read(text: str | None, expected: tuple[int, ...]) -> None:
    assert parse_thresholds(text) == expected


@pytest.mark.parametrize("text", ["0", "a,b", "1.5", "-5", ",".join(["1"] * 11),
                                  str(31 * 86400)])
def test_bad_thresholds_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_thresholds(text)
