"""The invariants users rely on, checked against any UnitOfWorkFactory (memory or SQL)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from giliran.domain.eligibility import may_receive
from giliran.domain.model import Agent, Queue, Ticket, TicketFlag, TicketStatus
from giliran.service.ports import TicketFilter, UnitOfWorkFactory

EVERYTHING = TicketFilter(limit=10**9)


@dataclass
class Floor:
    agents: dict[int, Agent]
    tickets: dict[int, Ticket]
    queues: dict[str, Queue]

    def held_here(self, agent_id: int, queue: Queue) -> int:
        """The agent's tickets of `queue` that count against its per-agent limit there."""
        return sum(t.agent_id == agent_id and t.queue == queue.name and queue.counts(t)
                   for t in self.tickets.values())

    @property
    def queued(self) -> list[Ticket]:
        found = [t for t in self.tickets.values() if t.status is TicketStatus.QUEUED]
        return sorted(found, key=lambda t: t.queue_key)


def snapshot(uow_factory: UnitOfWorkFactory) -> Floor:
    with uow_factory(write=False) as uow:
        agents = {a.id: a for a in uow.agents.all()}
        tickets = {t.id: t for t in uow.tickets.search(EVERYTHING)}
        queues = {q.name: q for q in uow.queues.all()}
    return Floor(agents, tickets, queues)


def check_floor(floor: Floor, ceilings: dict[int, int] | None = None) -> None:
    """`ceilings` lets an agent hold more than max_tickets only when an admin lowered its
    capacity below what it already held (it keeps those tickets, and gets nothing new)."""
    # A slot is the ticket's to take (on hold: only when its hold kept it), and the count
    # of every agent must equal a recount of the tickets that take its slots.
    held = Counter(t.agent_id for t in floor.tickets.values() if t.takes_slot)
    for t in floor.tickets.values():
        if t.status.is_held:  # with exactly one agent, a known and active one
            assert t.agent_id in floor.agents, f"ticket {t.id} held by unknown agent {t.agent_id}"
            assert floor.agents[t.agent_id].active, f"ticket {t.id} held by an inactive agent"
        if t.status.is_active:
            assert t.agent_id not in t.missed_by, f"ticket {t.id} went back to one who missed it"
        if t.status is TicketStatus.ON_HOLD:
            assert t.hold_until is not None, f"ticket {t.id} on hold without an end"
        else:
            assert t.hold_until is None and not t.hold_keeps_slot, (
                f"ticket {t.id} ({t.status.value}) still carries a hold")
        if t.status is TicketStatus.QUEUED:
            assert t.agent_id is None, f"queued ticket {t.id} still names agent {t.agent_id}"
        if t.flag is TicketFlag.EXHAUSTED and not t.status.is_final:
            assert t.status is TicketStatus.QUEUED and not t.auto_dispatch, (
                f"exhausted ticket {t.id} is still moving")
    for a in floor.agents.values():
        assert a.active_tickets == held.get(a.id, 0), f"agent {a.id} count drifted"
        limit = max(a.max_tickets, (ceilings or {}).get(a.id, 0))
        assert a.active_tickets <= limit, f"agent {a.id} over capacity: {a.active_tickets}/{limit}"
        if not a.active:
            assert a.active_tickets == 0, f"inactive agent {a.id} still holds tickets"
    for t in floor.queued:
        if t.dispatchable:
            queue = floor.queues[t.queue]
            waiting = [a.id for a in floor.agents.values()
                       if may_receive(t, a, queue, floor.held_here(a.id, queue))]
            assert not waiting, f"ticket {t.id} waits while agents {waiting} could take it"

