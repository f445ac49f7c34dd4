"""The simulator with opening hours and a first-response target: tickets that arrive while a
queue is closed wait for its opening, agents work only in its hours, and opening an hour
earlier shortens the morning's wait by what the arrivals alone say it should."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from giliran.simulation import opening, report, runner, scenario, traffic
from giliran.simulation.scenario import ScenarioError

HOUR = 3600.0
JAKARTA_MONDAY = "2026-11-02T00:00:00+07:00"


def _hours(opens: str, closes: str = "17:00") -> dict[str, Any]:
    return {"timezone": "Asia/Jakarta", "hours": {"mon": [[opens, closes]],
                                                  "tue": [[opens, closes]]}}


def _desk(**over: Any) -> dict[str, Any]:
    """Ample staff (nobody is ever full, everyone accepts at once), no timers: a ticket waits
    only while its queue is closed."""
    data: dict[str, Any] = {
        "name": "opening hours", "start": JAKARTA_MONDAY, "days": 1, "seed": 11,
        "replications": 1,
        "arrivals": {"kind": "poisson", "per_hour": 10},
        "handling": {"distribution": "fixed", "mean_seconds": 300},
        "queues": [{"name": "default", "hours": _hours("09:00"),
                    "settings": {"priority_aging_seconds": 0}}],
        "agents": [{"count": 10, "max_tickets": 10}],
        "policies": [{"name": "from 09:00"}],
    }
    return {**data, **over}


def test_tickets_arriving_while_closed_wait_for_the_opening_and_nobody_works_before() -> None:
    found = scenario.parse(_desk(sla={"first_response_seconds": 1800, "business_hours": True}))
    replayed = [(2 * HOUR, "default", "normal", 300.0), (3 * HOUR, "default", "high", 300.0),
                (10 * HOUR, "default", "normal", 300.0), (18 * HOUR, "default", "normal", 300.0)]
    outcome = runner.simulate(found, replayed=replayed, keep_runs=True)
    run = outcome.runs["from 09:00"][0]
    by_arrival = {t.arrival.at: t for t in run.tickets}
    # Nobody is assigned in the night: both night tickets go at 09:00 (Jakarta), at once.
    assert by_arrival[2 * HOUR].first_assigned == 9 * HOUR
    assert by_arrival[3 * HOUR].first_assigned == 9 * HOUR
    assert by_arrival[10 * HOUR].first_assigned == 10 * HOUR  # open: at once
    assert by_arrival[18 * HOUR].first_assigned is None  # after closing: waits for Tuesday
    # The agents (on a round-the-clock shift) are at work only 09:00-17:00.
    assert [a.online_seconds for a in run.agents] == [8 * HOUR] * 10
    # In business time the night's tickets were answered at once; the evening's one is
    # undecided (no open time has passed), so every decided clock is met.
    figures = outcome.policies[0].runs[0]
    assert figures.sla_met == 1.0 and figures.sla_breached == 0.0


def test_a_calendar_target_counts_the_night_against_the_desk() -> None:
    found = scenario.parse(_desk(sla={"first_response_seconds": 1800, "business_hours": False}))
    replayed = [(2 * HOUR, "default", "normal", 300.0), (10 * HOUR, "default", "normal", 300.0),
                (18 * HOUR, "default", "normal", 300.0)]
    figures = runner.simulate(found, replayed=replayed).policies[0].runs[0]
    # 02:00 -> 09:00 breached; 10:00 met; 18:00 unanswered for 6 h at the end: breached.
    assert figures.sla_met == pytest.approx(1 / 3)
    assert figures.sla_breached == pytest.approx(2 / 3)


def _expected_waits(arrivals: list[traffic.Arrival], opens: float, closes: float,
                    horizon: float) -> list[float]:
    """Written apart from the simulator: with ample staff a ticket waits only until the
    opening; one arriving after closing waits out the run."""
    waits = []
    for a in arrivals:
        if a.at < opens:
            waits.append(opens - a.at)
        elif a.at < closes:
            waits.append(0.0)
        else:
            waits.append(horizon - a.at)
    return waits


def test_opening_an_hour_earlier_lowers_the_morning_wait_by_what_the_arrivals_say() -> None:
    found = scenario.parse(_desk(policies=[
        {"name": "from 09:00"},
        {"name": "from 08:00", "hours": {"default": _hours("08:00")}}]))
    arrivals = traffic.arrivals(found, 0)
    outcome = runner.simulate(found, keep_runs=True)
    morning: dict[str, float] = {}
    for name, opens in (("from 09:00", 9 * HOUR), ("from 08:00", 8 * HOUR)):
        run = outcome.runs[name][0]
        expected = _expected_waits(arrivals, opens, 17 * HOUR, run.horizon)
        simulated = [(t.accepted if t.accepted is not None else run.horizon) - t.arrival.at
                     for t in sorted(run.tickets, key=lambda t: t.arrival.at)]
        assert simulated == pytest.approx(expected, abs=1e-6)
        early = [w for a, w in zip(arrivals, simulated, strict=True) if a.at < 10 * HOUR]
        morning[name] = sum(early) / len(early)
    hour_earlier = [a for a in arrivals if a.at < 8 * HOUR]
    night = [a for a in arrivals if a.at < 10 * HOUR]
    # Every ticket that came before 08:00 waits exactly an hour less; those of 08:00-09:00
    # wait not at all instead of until 09:00.
    saved = (len(hour_earlier) * HOUR + sum(9 * HOUR - a.at for a in night
                                          if 8 * HOUR <= a.at < 9 * HOUR)) / len(night)
    assert morning["from 09:00"] - morning["from 08:00"] == pytest.approx(saved)
    assert morning["from 08:00"] < morning["from 09:00"]


def test_the_report_shows_sla_figures_only_when_a_target_is_set() -> None:
    plain = report.as_dict(runner.simulate(scenario.parse(_desk(days=0.25))))
    assert "sla_met" not in plain["policies"][0]["figures"] and "sla" not in plain
    measured = report.as_dict(runner.simulate(scenario.parse(_desk(
        days=0.5, sla={"first_response_seconds": 120, "business_hours": True}))))
    assert measured["policies"][0]["figures"]["sla_met"]["mean"] is not None
    assert measured["sla"] == [{"first_response_seconds": 120.0, "business_hours": True}]


@pytest.mark.parametrize(("hours", "says"), [
    ({"timezone": "Mars/Olympus", "hours": {}}, "unknown timezone"),
    ({"hours": {"mon": [["17:00", "09:00"]]}}, "ends before it starts"),
    ({"hours": {"monday": [["09:00", "17:00"]]}}, "unknown weekday"),
])
def test_a_wrong_schedule_is_reported_by_its_place(hours: dict[str, Any], says: str) -> None:
    with pytest.raises(ScenarioError, match=f"queues.0.hours: .*{says}"):
        scenario.parse(_desk(queues=[{"name": "default", "hours": hours}]))


def test_an_agent_works_its_shift_within_the_hours_of_the_queues_it_serves() -> None:
    start = datetime.fromisoformat(JAKARTA_MONDAY)
    hours = opening.Hours(start, 2 * 86_400, {
        "sales": scenario.Hours.model_validate(_hours("09:00")).schedule("sales")})
    shift = [(7 * HOUR, 12 * HOUR), (31 * HOUR, 36 * HOUR)]
    assert hours.at_work(shift, ["sales"]) == [(9 * HOUR, 12 * HOUR), (33 * HOUR, 36 * HOUR)]
    assert hours.at_work(shift, ["sales", "support"]) == shift  # support is always open
    # A timer of 30 minutes started at 16:45 runs out at 09:15 the next day in business time.
    assert hours.due("sales", 16.75 * HOUR, 1800, business=True) == 33.25 * HOUR
    assert hours.due("sales", 16.75 * HOUR, 1800, business=False) == 17.25 * HOUR
    assert hours.instant(9 * HOUR) == start + timedelta(hours=9)


def test_people_who_follow_the_hours_work_the_whole_open_day_of_each_day_they_worked() -> None:
    start = datetime.fromisoformat(JAKARTA_MONDAY)
    hours = opening.Hours(start, 2 * 86_400, {
        "sales": scenario.Hours.model_validate(_hours("08:00")).schedule("sales")})
    worked = [(10 * HOUR, 11 * HOUR)]  # an hour on Monday, none on Tuesday
    days = hours.whole_days(worked, ["sales"])
    assert days == [(0.0, 24 * HOUR)]
    assert hours.at_work(days, ["sales"]) == [(8 * HOUR, 17 * HOUR)]
