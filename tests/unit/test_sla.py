"""The SLA's pure rules: which policy applies, and a clock's due time through pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.domain import sla
from giliran.domain.errors import InvalidInput
from giliran.domain.model import Priority
from giliran.domain.sla import Policy, Target

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def policy(**fields: object) -> Policy:
    base = {"name": "p", "targets": sla.parse_targets({"first_response_seconds": 1000})}
    return Policy(**{**base, **fields})  # type: ignore[arg-type]


def test_the_first_active_matching_policy_in_order_applies() -> None:
    urgent = policy(id=1, name="urgent", position=2,
                    conditions=sla.parse_conditions({"priorities": ["urgent"]}))
    sales = policy(id=2, name="sales", position=1,
                   conditions=sla.parse_conditions({"queues": ["sales"],
                                                    "channels": ["whatsapp"]}))
    off = policy(id=3, name="off", position=0, active=False)
    every = policy(id=4, name="every", position=3)
    found = [sla.applying([every, urgent, sales, off], q, p, c) for q, p, c in (
        ("sales", Priority.URGENT, "whatsapp"), ("sales", Priority.URGENT, None),
        ("default", Priority.LOW, "telegram"))]
    assert [p.name if p else None for p in found] == ["sales", "urgent", "every"]


def test_targets_flat_or_per_priority() -> None:
    tiers = policy(targets=sla.parse_targets({"urgent": {"resolution_seconds": 60},
                                              "low": {"resolution_seconds": 600}}))
    assert tiers.budget(Priority.URGENT) == {Target.RESOLUTION: 60}
    assert tiers.budget(Priority.NORMAL) == {}
    for bad in ({}, {"x_seconds": 1}, {"urgent": {"resolution_seconds": 0}}, [1]):
        with pytest.raises(InvalidInput):
            sla.parse_targets(bad)


@given(st.lists(st.tuples(st.integers(1, 400), st.integers(1, 400)), max_size=5),
       st.integers(1, 99))
def test_pauses_push_the_due_time_by_exactly_their_length(
        spans: list[tuple[int, int]], warn: int) -> None:
    """Calendar time: due = start + budget + the time spent paused, whatever the pauses."""
    rule = policy(warn_percent=warn)
    clock = sla.start(1, Target.FIRST_RESPONSE, rule, 1000, None, T0)
    now, paused = T0, 0
    for run, rest in spans:
        now += timedelta(seconds=run)
        if clock.due_at is not None and now >= clock.due_at:
            break
        sla.pause(clock, rule, None, now)
        now += timedelta(seconds=rest)
        paused += rest
        sla.resume(clock, rule, None, now)
    assert clock.due_at == T0 + timedelta(seconds=1000 + paused)


def test_a_clock_warns_breaches_and_ends_once() -> None:
    rule = policy(warn_percent=50)
    clock = sla.start(1, Target.FIRST_RESPONSE, rule, 100, None, T0)
    assert clock.warn_at == T0 + timedelta(seconds=50)
    assert not sla.warn_due(clock, T0 + timedelta(seconds=49))
    assert sla.warn_due(clock, T0 + timedelta(seconds=50))
    sla.warn(clock, T0 + timedelta(seconds=50))
    assert not sla.warn_due(clock, T0 + timedelta(seconds=60))
    sla.breach(clock, T0 + timedelta(seconds=100))
    assert not sla.breach_due(clock, T0 + timedelta(seconds=200))
    ended = sla.outcome(clock, rule, None, T0 + timedelta(seconds=130), queue="q",
                        agent_id=None, priority=Priority.NORMAL, channel=None)
    assert (ended.outcome, ended.elapsed_seconds) == ("breached", 130)
    assert sla.meet(clock, T0 + timedelta(seconds=130))
    assert clock.state is sla.SlaState.BREACHED and not sla.meet(clock, T0)
