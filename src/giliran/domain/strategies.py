"""Selection strategies: given a ticket and eligible candidates, pick one agent.

Each strategy also declares the order in which it wants candidates and how many it needs, so a
repository can hand it a short, index-ordered prefix instead of every eligible agent. Round
robin and least loaded ask for a few more than they pick, so the history can say whom the
chosen agent was preferred to (`domain/explain.py`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from giliran.domain.model import Agent, StrategyName, Ticket

# Fields of Agent, most significant first; ties always end on the agent id.
ROTATION_ORDER: tuple[str, ...] = ("last_assigned_seq", "rotation_order", "id")
TURN_ORDER: tuple[str, ...] = ("rotation_order", "id")
RUNNERS_UP = 2  # candidates beyond the chosen one that an explanation names


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
    candidate_limit: int | None = 1 + RUNNERS_UP

    def select(self, ticket: Ticket, candidates: Sequence[Agent]) -> Agent | None:
        return min(candidates, key=rotation_key, default=None)


@dataclass
class LeastLoaded:
    name: StrategyName = StrategyName.LEAST_LOADED
    ordering: tuple[str, ...] = ("active_tickets", *ROTATION_ORDER)
    candidate_limit: int | None = 1 + RUNNERS_UP

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


@dataclass
class Rotation:
    """A strict cyclic turn over a queue's members in their order (rotation_order, then id):
    the first candidate at or after the pointer, wrapping round. `pointer` is the place of the
    member who is next in turn (its rotation key; None starts at the first member). The
    candidates are the eligible members who have not missed the ticket, so whoever is passed
    over could not have taken it."""

    pointer: tuple[int, int] | None = None
    name: StrategyName = StrategyName.ROTATION
    ordering: tuple[str, ...] = TURN_ORDER
    candidate_limit: int | None = None

    def select(self, ticket: Ticket, candidates: Sequence[Agent]) -> Agent | None:
        return next(iter(in_turn(candidates, self.pointer)), None)


def in_turn(agents: Sequence[Agent], pointer: tuple[int, int] | None) -> list[Agent]:
    """The agents in turn order: from the pointer's place to the end, then from the start."""
    ordered = sorted(agents, key=lambda a: a.rotation_key)
    if pointer is None:
        return ordered
    cut = next((i for i, a in enumerate(ordered) if a.rotation_key >= pointer), len(ordered))
    return ordered[cut:] + ordered[:cut]


def successor(members: Sequence[Agent], after: Agent) -> Agent | None:
    """Who is next in turn once `after` had its turn: the member following it, wrapping round
    (`after` itself when it is the only one)."""
    ordered = sorted(members, key=lambda a: a.rotation_key)
    return next((a for a in ordered if a.rotation_key > after.rotation_key),
                ordered[0] if ordered else None)


def make_strategy(name: StrategyName, rng: random.Random | None = None,
                  pointer: tuple[int, int] | None = None) -> SelectionStrategy:
    if name is StrategyName.ROUND_ROBIN:
        return RoundRobin()
    if name is StrategyName.LEAST_LOADED:
        return LeastLoaded()
    if name is StrategyName.ROTATION:
        return Rotation(pointer)
    return RandomChoice(rng or random.Random())
