"""How much more an agent can take now: its free slots overall, within each of its queues'
per-agent limits (`max_per_agent`, counted by the queue's `slot_freed_on`).

The figures a supervisor and an agent read (a queue's free slots, an agent's FULL and its load,
the maximum of "My tickets (1/1)") come from here, so they say what dispatch would do: on a
lead desk where every agent holds an unanswered lead, the queue has no free slot, however many
an agent's `max_tickets` would leave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from giliran.domain.model import Agent, Queue, SlotFreedOn

Held = tuple[int, int]  # an agent's tickets of one queue: (assigned, in progress)


def counting(queue: Queue, held: Held) -> int:
    """How many of the agent's tickets of `queue` take one of its slots there."""
    assigned, working = held
    return assigned if queue.slot_freed_on is SlotFreedOn.ACCEPT else assigned + working


def room_in(agent: Agent, queue: Queue, held: Held) -> int:
    """How many more of `queue`'s tickets the agent could take now."""
    free = agent.free_slots
    if queue.max_per_agent <= 0:
        return free
    return max(0, min(free, queue.max_per_agent - counting(queue, held)))


def room(agent: Agent, queues: Iterable[Queue], held: Mapping[str, Held]) -> int:
    """How many more tickets the agent could take now, from all of `queues` together (its
    queues; none gives none)."""
    rooms = [room_in(agent, q, held.get(q.name, (0, 0))) for q in queues]
    return min(agent.free_slots, sum(rooms))


def load(active: int, room_left: int) -> float | None:
    """What it holds over what it could hold now (held plus room): 1.0 is full."""
    whole = active + room_left
    return round(active / whole, 4) if whole > 0 else None
