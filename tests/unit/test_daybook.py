"""Today's figures kept as work happens (domain/daybook.py) say what a replay of the day's
history says: after any sequence of commands, the workload's counts, response and handle
times, waits and utilization match those replayed from the history and the presence log, and
a histogram's reading is never shorter than the exact figure, nor more than 2 % (or a second)
longer."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.domain import daybook
from giliran.domain.daybook import Figure, Histogram
from giliran.domain.model import Agent, HistoryEntry, Presence
from giliran.domain.service_level import percentile, service_level
from giliran.service.context import ADMIN, Context
from giliran.service.ports import HistoryFilter
from giliran.service.reports import floor
from giliran.service.reports.utilization import replay
from tests.contract.test_memory_matches_sql import Command, apply, commands

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
seconds = st.floats(min_value=0, max_value=7 * 86_400, allow_nan=False)
# Three agents online with room, so the random commands that follow move tickets.
FLOOR: list[Command] = [("agent", 0, 2), ("agent", 1, 3), ("agent", 2, 1), ("online", 0, 0),
                        ("online", 1, 0), ("online", 2, 0)]


def close_above(read: float | None, exact: float | None) -> bool:
    """Never shorter; at most a second (up to 2 minutes) or 2 % and a tenth (above) longer."""
    if read is None or exact is None:
        return read is exact
    return exact - 1e-6 <= read <= max(math.ceil(exact), exact * 1.02 + 0.1) + 1e-6


def replayed_times(entries: list[HistoryEntry]) -> dict[int, tuple[list[float], list[float]]]:
    """The oracle: per agent, its assignment-to-accept and accept-to-completion seconds,
    replayed from the day's history in the order written."""
    assigned: dict[tuple[int, int], datetime] = {}
    accepted: dict[tuple[int, int], datetime] = {}
    found: dict[int, tuple[list[float], list[float]]] = {}
    for e in entries:
        if e.event == "assigned" and e.to_agent_id is not None:
            assigned[(e.ticket_id, e.to_agent_id)] = e.at
        elif e.event == "accepted" and e.to_agent_id is not None:
            key = (e.ticket_id, e.to_agent_id)
            accepted[key] = e.at
            if key in assigned:
                found.setdefault(key[1], ([], []))[0].append(
                    (e.at - assigned.pop(key)).total_seconds())
        elif e.event == "completed" and e.from_agent_id is not None:
            key = (e.ticket_id, e.from_agent_id)
            if key in accepted:
                found.setdefault(key[1], ([], []))[1].append(
                    (e.at - accepted.pop(key)).total_seconds())
    return found


@given(st.lists(seconds, min_size=1, max_size=60), st.sampled_from([0.5, 0.9]))
def test_a_histograms_quantile_is_never_shorter_and_at_most_2_percent_longer(
    samples: list[float], q: float
) -> None:
    assert close_above(Histogram.of(samples).quantile(q), percentile(samples, q))


@given(st.lists(seconds, max_size=40), st.integers(1, 3600))
def test_within_a_target_counts_no_sample_past_it(samples: list[float], target: int) -> None:
    within = Histogram.of(samples).at_most(target)
    assert within <= sum(s <= target for s in samples)
    assert within >= sum(s <= target / 1.02 for s in samples)


@given(st.integers(0, 3), st.datetimes(min_value=datetime(2026, 1, 1),
                                       max_value=datetime(2026, 12, 30)),
       st.floats(min_value=0, max_value=3 * 86_400))
def test_time_online_and_busy_goes_to_the_days_it_fell_on(
    state: int, start: datetime, length: float
) -> None:
    since = start.replace(tzinfo=UTC)
    until = since + timedelta(seconds=length)
    adds = list(daybook.spans(7, state, since, until))
    online = sum(a.value for a in adds if a.figure is Figure.ONLINE)
    busy = sum(a.value for a in adds if a.figure is Figure.BUSY)
    expected = length if state & 1 else 0.0
    assert math.isclose(online, expected, abs_tol=1e-6)
    assert math.isclose(busy, expected if state & 2 else 0.0, abs_tol=1e-6)
    assert all(since.date() <= a.day <= until.date() for a in adds)
    assert all(a.value <= 86_400 for a in adds)


def test_an_agent_is_accounted_once_per_change() -> None:
    agent = Agent(1, "Sari")
    assert daybook.account(agent, T0) == []  # first look: starts counting, nothing yet
    assert daybook.account(agent, T0 + timedelta(hours=1)) is None  # nothing changed
    agent.presence = Presence.ONLINE
    assert daybook.account(agent, T0 + timedelta(hours=2)) == []  # offline time is not counted
    agent.active_tickets = 1
    (online,) = daybook.account(agent, T0 + timedelta(hours=3)) or []
    assert (online.figure, online.value) == (Figure.ONLINE, 3600.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_the_days_figures_match_a_replay_of_the_day(cmds: list[Command]) -> None:
    clock = FakeClock(T0)
    store = InMemoryStore(clock)
    ctx = Context(store, clock, "a" * 20, rng=random.Random(5), presence_grace_seconds=90)
    for cmd in [*FLOOR, *cmds]:
        apply(ctx, cmd)
    clock.advance(30)
    w = floor.workload(ctx, ADMIN)
    assert w.agents_today, "the floor has agents whose day is compared"
    now = clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with store(write=False) as uow:
        entries = uow.history.search(HistoryFilter(since=midnight, limit=10**9))
        agents = [a for a in uow.agents.all() if a.active]
        queues = uow.queues.all()
        usage = replay(uow, agents, queues, midnight, now, entries).agents
        whole = uow.history.for_tickets(sorted({e.ticket_id for e in entries}))
        queue_of = {t.id: t.queue for t in uow.tickets.many(set(whole))}
    times = replayed_times(entries)
    for a in agents:
        today = w.agents_today[a.id]
        assert today.assigned == sum(e.event == "assigned" and e.to_agent_id == a.id
                                     for e in entries)
        assert today.completed == sum(e.event == "completed" and e.from_agent_id == a.id
                                      for e in entries)
        assert today.missed == sum(e.event == "escalated" and e.from_agent_id == a.id
                                   for e in entries)
        responses, handling = times.get(a.id, ([], []))
        assert close_above(today.response_median, percentile(responses, 0.5))
        assert close_above(today.handle_median, percentile(handling, 0.5))
        expected = usage[a.id].utilization
        assert (today.utilization is None) == (expected is None)
        if expected is not None and today.utilization is not None:
            assert math.isclose(today.utilization, expected, abs_tol=1e-9)
    for figures in w.queues:
        q = figures.queue
        replayed = service_level([h for t, h in whole.items() if queue_of.get(t) == q.name],
                                 q.service_level_seconds, midnight, now)
        level = figures.service_level
        assert level is not None
        assert (level.arrived, level.answered, level.late, level.waiting) == (
            replayed.arrived, replayed.answered, replayed.late, replayed.waiting)
        assert level.waits.count == replayed.waits.count
        assert level.wait_p90 == replayed.wait_p90
