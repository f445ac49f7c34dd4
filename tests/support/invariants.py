"""Floor invariants for service-level tests: read a snapshot through any UnitOfWorkFactory
(in-memory or SQL) and assert the rules that must hold between any two use cases.

NOTE: RECONSTRUCTED FILE. The original tests/support/invariants.py (written by another engineer,
imported by tests/unit/test_dispatch_properties.py as `check_floor, snapshot`) was overwritten
by mistake by the e2e-concurrency helper session and could not be recovered. This version
provides the same two names with the behaviour that test relies on; please compare it with
your own copy and replace it if you have one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from giliran.domain.eligibility import is_eligible
from giliran.domain.model import Agent, Ticket, TicketStatus
from giliran.service.ports import TicketFilter, UnitOfWorkFactory

_ALL = 2_000_000_000


@dataclass(frozen=True)
class Floor:
    agents: dict[int, Agent]
    tickets: dict[int, Ticket]

    @property
    def queued(self) -> list[Ticket]:
        """Queued tickets in global queue order (priority, then arrival)."""
        return sorted((t for t in self.tickets.values() if t.status is TicketStatus.QUEUED),
                      key=lambda t: t.queue_key)

    def held_by(self, agent_id: int) -> list[Ticket]:
        return [t for t in self.tickets.values()
                if t.status.is_active and t.agent_id == agent_id]


def snapshot(uow: UnitOfWorkFactory) -> Floor:
    """A private copy of every agent and ticket, read in one read-only unit of work."""
    with uow(write=False) as tx:
        agents = {a.id: copy.deepcopy(a) for a in tx.agents.all()}
        tickets = {t.id: copy.deepcopy(t) for t in tx.tickets.search(TicketFilter(limit=_ALL))}
    return Floor(agents, tickets)


def check_floor(floor: Floor, ceilings: Mapping[int, int] | None = None) -> None:
    """Assert the floor's invariants.

    `ceilings` allows an agent whose capacity was lowered below what it already held to keep
    up to that many tickets (nothing is taken away from it); otherwise max_tickets is the cap.
    """
    ceilings = ceilings or {}
    for ticket in floor.tickets.values():
        if ticket.status.is_active:
            assert ticket.agent_id is not None, f"active ticket {ticket.id} has no holder"
            assert ticket.agent_id in floor.agents, (
                f"ticket {ticket.id} held by unknown agent {ticket.agent_id}")
        if ticket.status is TicketStatus.QUEUED:
            assert ticket.agent_id is None, (
                f"queued ticket {ticket.id} still names agent {ticket.agent_id}")
    for agent in floor.agents.values():
        held = floor.held_by(agent.id)
        assert agent.active_tickets == len(held), (
            f"agent {agent.id}: active_tickets={agent.active_tickets} but holds {len(held)}")
        cap = max(agent.max_tickets, ceilings.get(agent.id, agent.max_tickets))
        assert len(held) <= cap, f"agent {agent.id} holds {len(held)} tickets, cap {cap}"
        if not agent.active:
            assert not held, f"deactivated agent {agent.id} still holds {[t.id for t in held]}"
    queued = floor.queued
    idle = [a.id for a in floor.agents.values() if is_eligible(a)]
    assert not (queued and idle), (
        f"{len(queued)} ticket(s) queued while agents {idle} are eligible")
