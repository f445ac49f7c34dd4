"""The arithmetic of the figures a desk is judged by: time-weighted utilization and load over
time online, fairness against each agent's share of online time, and the Gini coefficient.

- utilization: time online while holding at least one ticket, over time online (offline hours
  count neither way, so it reads against a 70-90 % target);
- load: tickets held over capacity, averaged over time online;
- fairness: assignments received over the share their online time would give them
  (expected = total x online_i / sum of online), 1.0 being exactly their share;
- Gini: 0 when everyone received the same, towards 1 when one agent received everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

DEFAULT_BAND = (0.70, 0.90)


@dataclass(frozen=True)
class Step:
    """A change in an agent's day: its presence (`online` set) or its tickets (`held` +1/-1)."""

    at: datetime
    online: bool | None = None
    held: int = 0


@dataclass(frozen=True)
class Usage:
    online_seconds: float = 0.0
    busy_seconds: float = 0.0  # online and holding at least one ticket
    load_seconds: float = 0.0  # the integral of held / capacity while online

    @property
    def utilization(self) -> float | None:
        return self.busy_seconds / self.online_seconds if self.online_seconds > 0 else None

    @property
    def load(self) -> float | None:
        return self.load_seconds / self.online_seconds if self.online_seconds > 0 else None

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.online_seconds + other.online_seconds,
                     self.busy_seconds + other.busy_seconds,
                     self.load_seconds + other.load_seconds)


def usage(online: bool, held: int, steps: Sequence[Step], since: datetime, until: datetime,
          capacity: int) -> Usage:
    """Replay [since, until) from the state at `since`, step by step (steps in time order;
    those outside the period are ignored)."""
    online_s = busy_s = load_s = 0.0
    last = since

    def span(to: datetime) -> None:
        nonlocal online_s, busy_s, load_s
        seconds = (to - last).total_seconds()
        if online and seconds > 0:
            online_s += seconds
            busy_s += seconds if held > 0 else 0.0
            load_s += seconds * held / capacity if capacity > 0 else 0.0

    for step in steps:
        if step.at < since or step.at >= until:
            continue
        span(step.at)
        last = step.at
        if step.online is not None:
            online = step.online
        held = max(0, held + step.held)
    span(until)
    return Usage(online_s, busy_s, load_s)


def expected_shares(total: int, online: dict[int, float]) -> dict[int, float]:
    """Each agent's share of `total` assignments by its time online."""
    whole = sum(online.values())
    return {k: total * v / whole if whole > 0 else 0.0 for k, v in online.items()}


def fairness(received: int, expected: float) -> float | None:
    return received / expected if expected > 0 else None


def gini(values: Sequence[int]) -> float | None:
    """Of assignments among agents; None with nobody or nothing to share."""
    n, total = len(values), sum(values)
    if n == 0 or total == 0:
        return None
    ordered = sorted(values)
    ranked = sum(i * x for i, x in enumerate(ordered, start=1))
    return 2 * ranked / (n * total) - (n + 1) / n


class Band(StrEnum):
    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"


def in_band(value: float | None, band: tuple[float, float]) -> Band | None:
    if value is None:
        return None
    low, high = band
    return Band.BELOW if value < low else Band.ABOVE if value > high else Band.WITHIN
