"""The rotation order: one list of the active agents (rotation_order, then id), which each
queue reads for its own members. A supervisor reorders one queue's members at a time, so the
rest of the list must keep its places: another queue's rotation changes only where the two
queues share agents, which a single shared order cannot avoid."""

from __future__ import annotations

from collections.abc import Sequence

from giliran.domain.errors import InvalidInput

STEP = 10  # room between places, so a single agent can still be slotted in by hand


def reorder(everyone: Sequence[int], members: frozenset[int],
            wanted: Sequence[int]) -> list[int]:
    """`everyone` in turn order with the queue's `members` put in the `wanted` order: they
    take, in that order, the places members held, so nobody else moves."""
    if len(set(wanted)) != len(wanted) or set(wanted) != members:
        raise InvalidInput("the order must name each active member of the queue once")
    put = iter(wanted)
    return [next(put) if a in members else a for a in everyone]


def numbered(order: Sequence[int]) -> dict[int, int]:
    """Places 10, 20, 30…: an unambiguous order without ties (agents start at 0, all tied)."""
    return {agent_id: (place + 1) * STEP for place, agent_id in enumerate(order)}
