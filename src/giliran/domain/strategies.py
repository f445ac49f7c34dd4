"""Selection strategies: given a ticket and eligible candidates, pick one agent.

Each strategy also declares the order in which it wants candidates and how many it needs, so a
repository can hand it a short, index-ordered prefix instead of every eligible agent.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from giliran.domain.model import Agent, StrategyName, Ticket

# Fields of Agent, most significant first; ties always end on the agent id.
ROTATION_ORDER: tuple[str, ...] = ("last_assigned_seq", "rotation_order", "id")


def rotation_key(agent: Agent) -> tuple[int, ...]:
    """Round robin: the agent who has waited longest since its last automatic assignment
    (never-assigned first), ties broken by the admin's rotation order."""
    return (agent.last_assigned_seq, agent.rotation_order, agent.id)


class SelectionStrategy(Protocol):
    name: StrategyName
    ordering: tuple[str, ...]
    candidate_limit: int | None  # None: needs every eligible candidate

    def select(self, ticket: Ticket, candidates: Sequence[Agent]) -> Agent | None: ...


@dataclass
class RoundRobin:
    name: StrategyName = StrategyName.ROUND_ROBIN
    ordering: tuple[str, ...] = ROTATION_ORDER
    candidate_limit: int | None = 1

    def select(self, ticket: Ticket, candidates: Sequence[Agent]) -> Agent | None:
        return min(candidates, key=rotation_key, default=None)


@dataclass
class LeastLoaded:
    name: StrategyName = StrategyName.LEAST_LOADED
    ordering: tuple[str, ...] = ("active_tickets", *ROTATION_ORDER)
    candidate_limit: int | None = 1

    def select(self, ticket: Ticket, candidates: Sequence[Agent]) -> Agent | None:
        return min(candidates, key=lambda a: (a.active_tickets, *rotation_key(a)), default=None)


@dataclass
class RandomChoice:
    """Uniform among eligible agents; pass a seeded Random for reproducible runs."""

    rng: random.Random = field(default_factory=random.Random)
    name: StrategyName = StrategyName.RANDOM
    ordering: tuple[str, ...] = ("id",)
    candidate_limit: int | None = None

    def select(self, ticket: Ticket, candidates: Sequence[Agent]) -> Agent | None:
        if not candidates:
            return None
        return self.rng.choice(sorted(candidates, key=lambda a: a.id))


def make_strategy(name: StrategyName, rng: random.Random | None = None) -> SelectionStrategy:
    if name is StrategyName.ROUND_ROBIN:
        return RoundRobin()
    if name is StrategyName.LEAST_LOADED:
        return LeastLoaded()
    return RandomChoice(rng or random.Random())
