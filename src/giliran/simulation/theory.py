"""Queueing theory and statistics the simulator is checked against and reports with.

Erlang C gives, for c agents each serving one customer at a time (M/M/c: Poisson arrivals,
exponential service), the probability that an arrival waits and its mean wait. With capacities
above one ticket per agent it no longer applies exactly, which is why staffing is searched by
simulation; the formula then only gives a lower bound to start the search from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def erlang_c(arrival_rate: float, service_rate: float, agents: int) -> float:
    """P(an arrival has to wait) in M/M/c; 1.0 when the load reaches the agents."""
    load = arrival_rate / service_rate  # offered load in Erlangs
    if load >= agents:
        return 1.0
    # Erlang B by its stable recurrence, then C from B.
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    rho = load / agents
    return b / (1 - rho + rho * b)


def mean_wait(arrival_rate: float, service_rate: float, agents: int) -> float:
    """Mean time in queue (all arrivals, including those who do not wait) in M/M/c."""
    load = arrival_rate / service_rate
    if load >= agents:
        return math.inf
    return erlang_c(arrival_rate, service_rate, agents) / (agents * service_rate - arrival_rate)


def within(arrival_rate: float, service_rate: float, agents: int, wait: float) -> float:
    """Share of arrivals that wait at most `wait` in M/M/c (the service-level formula)."""
    if arrival_rate / service_rate >= agents:
        return 0.0
    late = erlang_c(arrival_rate, service_rate, agents) * math.exp(
        -(agents * service_rate - arrival_rate) * wait)
    return 1.0 - late


def agents_needed(arrival_rate: float, service_rate: float) -> int:
    """The fewest single-capacity agents who keep the queue stable."""
    return math.floor(arrival_rate / service_rate) + 1


# Two-sided 95 % quantiles of Student's t, by degrees of freedom; beyond 30, the normal's.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


@dataclass(frozen=True)
class Interval:
    """A mean across replications and its 95 % confidence half-width."""

    mean: float
    half_width: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def interval(values: Sequence[float]) -> Interval:
    found = [v for v in values if not math.isnan(v)]
    if not found:
        return Interval(math.nan, math.nan)
    n = len(found)
    mean = sum(found) / n
    if n == 1:
        return Interval(mean, math.nan)
    sd = math.sqrt(sum((v - mean) ** 2 for v in found) / (n - 1))
    t = _T95[n - 2] if n - 1 <= len(_T95) else 1.960
    return Interval(mean, t * sd / math.sqrt(n))


def gini(values: Sequence[float]) -> float:
    """0: everyone got the same; towards 1: one got everything."""
    found = sorted(v for v in values if v >= 0)
    total = sum(found)
    if not found or total == 0:
        return 0.0
    n = len(found)
    weighted = sum((i + 1) * v for i, v in enumerate(found))
    return (2 * weighted) / (n * total) - (n + 1) / n


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation (numpy's default)."""
    found = sorted(values)
    if not found:
        return math.nan
    position = (len(found) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(found) - 1)
    return found[low] + (found[high] - found[low]) * (position - low)
