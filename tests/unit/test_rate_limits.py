"""The sliding-window counter behind every rate limit (service/limits.py): a limit reached
just before a fixed window ends stays reached after it, and Retry-After is exactly the wait
until the count falls back under the limit."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory.uow import InMemoryStore
from giliran.service import limits
from giliran.service.context import Context
from giliran.service.limits import Count

QUARTER = 15 * 60


@st.composite
def counts(draw: st.DrawFn) -> Count:
    window = draw(st.sampled_from([60, QUARTER]))
    return Count(draw(st.integers(0, 50)), draw(st.integers(0, 50)),
                 draw(st.integers(0, window - 1)), window)


@given(counts(), st.integers(1, 40))
def test_retry_after_is_the_first_second_under_the_limit(count: Count, limit: int) -> None:
    wait = count.wait(limit)
    assert wait >= 1
    assert count.hits_after(wait) < limit
    if wait > 1:
        assert count.hits_after(wait - 1) >= limit


@given(counts(), st.integers(0, 2 * QUARTER))
def test_the_count_only_falls_as_time_passes(count: Count, seconds: int) -> None:
    assert count.hits_after(seconds + 1) <= count.hits_after(seconds) <= count.hits
    assert count.hits_after(2 * count.window) == 0


def desk(at: datetime) -> tuple[Context, FakeClock]:
    clock = FakeClock(at)
    return Context(InMemoryStore(clock), clock, "a" * 20), clock


def test_ten_failures_a_second_before_a_quarter_ends_stay_refused_after_it() -> None:
    """The CI failure of stop 29: ten sign-in failures at 06:44:59 were forgotten at 06:45:00
    by fixed windows, so the eleventh was answered 401 instead of 429."""
    ctx, clock = desk(datetime(2026, 12, 7, 6, 44, 59, tzinfo=UTC))
    for _ in range(10):
        count = limits.hit(ctx, "signin:lee", QUARTER)
    assert count.hits == 10 and count.wait(10) == 2  # refused across the edge
    clock.advance(1)
    assert limits.hit(ctx, "signin:lee", QUARTER).hits >= 10  # 06:45:00: still refused


def test_after_a_lockout_one_try_comes_back_about_every_ninety_seconds() -> None:
    ctx, clock = desk(datetime(2026, 12, 7, 6, 44, 59, tzinfo=UTC))
    for _ in range(10):
        limits.hit(ctx, "signin:lee", QUARTER)
    clock.advance(2)
    assert limits.seen(ctx, "signin:lee", QUARTER).hits == 9  # decayed: one more try
    refused = limits.hit(ctx, "signin:lee", QUARTER)
    assert refused.hits == 10 and 85 <= refused.wait(10) <= 95
    clock.advance(refused.wait(10))
    assert limits.seen(ctx, "signin:lee", QUARTER).hits == 9


def test_counts_of_other_keys_and_old_windows_do_not_mix() -> None:
    ctx, clock = desk(datetime(2026, 12, 7, 6, 0, 0, tzinfo=UTC))
    limits.hit(ctx, "auth:a")
    limits.hit(ctx, "auth:b")
    assert limits.seen(ctx, "auth:a").hits == 1
    clock.advance(120)
    assert limits.seen(ctx, "auth:a").hits == 0
    clock.advance(7200)
    assert limits.prune(ctx) == 2
