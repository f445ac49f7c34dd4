"""What the SLA clocks that ended tell about a period: per target the share met and breached,
the first-response and resolution times as the policies count them (business seconds for a
policy in business hours), and the service level at several wait thresholds (the share of
first responses given within 30 s, 60 s, 5 min...).

Pure: it reads `Outcome`s (one per clock that ended, as `sla_outcomes` keeps them) and never
the clock; the caller chooses the period and the rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

TARGETS = ("first_response", "next_response", "resolution")
DEFAULT_THRESHOLDS = (30, 60, 300)
MAX_THRESHOLDS = 10


class Ended(Protocol):
    """One SLA clock that ended (`domain.sla.Outcome`, a row of `sla_outcomes`): met in time,
    or breached (and perhaps met late)."""

    @property
    def target(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def agent_id(self) -> int | None: ...
    @property
    def outcome(self) -> str: ...  # "met" | "breached"
    @property
    def elapsed_seconds(self) -> float: ...


@dataclass(frozen=True)
class Times:
    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Times:
        if not seconds:
            return cls(0, None, None, None)
        ordered = sorted(seconds)
        return cls(len(ordered), sum(ordered) / len(ordered), rank(ordered, 0.5),
                   rank(ordered, 0.9))


def rank(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank quantile: the smallest value with at least q of the values at or
    below it (an observed time, never an interpolation between two)."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True)
class TargetShare:
    target: str
    clocks: int
    met: int
    breached: int

    @property
    def met_share(self) -> float | None:
        return self.met / self.clocks if self.clocks else None

    @property
    def breached_share(self) -> float | None:
        return self.breached / self.clocks if self.clocks else None


@dataclass(frozen=True)
class Within:
    """First responses given within `seconds`, of all first responses that ended."""

    seconds: int
    answered: int
    within: int

    @property
    def share(self) -> float | None:
        return self.within / self.answered if self.answered else None


@dataclass(frozen=True)
class SlaFigures:
    targets: tuple[TargetShare, ...]
    first_response: Times
    resolution: Times
    service_levels: tuple[Within, ...]


def figures(outcomes: Iterable[Ended], thresholds: Sequence[int]) -> SlaFigures:
    rows = list(outcomes)
    by_target = {t: [o for o in rows if o.target == t] for t in TARGETS}
    shares = tuple(TargetShare(t, len(found), sum(o.outcome == "met" for o in found),
                               sum(o.outcome == "breached" for o in found))
                   for t, found in by_target.items())
    first = [o.elapsed_seconds for o in by_target["first_response"]]
    levels = tuple(Within(s, len(first), sum(e <= s for e in first)) for s in thresholds)
    return SlaFigures(shares, Times.of(first),
                      Times.of([o.elapsed_seconds for o in by_target["resolution"]]), levels)


def parse_thresholds(text: str | None) -> tuple[int, ...]:
    """`30,60,300` -> (30, 60, 300): whole seconds, 1 to 30 days, at most ten, sorted, each
    once. None or empty: the defaults. ValueError for anything else."""
    if not text:
        return DEFAULT_THRESHOLDS
    parts = text.split(",")
    if len(parts) > MAX_THRESHOLDS:
        raise ValueError(f"at most {MAX_THRESHOLDS} thresholds")
    values = set()
    for part in parts:
        if not part.strip().isdigit():
            raise ValueError("thresholds are whole seconds separated by commas")
        value = int(part.strip())
        if not 1 <= value <= 30 * 86400:
            raise ValueError("each threshold is between 1 second and 30 days")
        values.add(value)
    return tuple(sorted(values))
