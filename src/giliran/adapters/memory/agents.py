"""Agents and queues in memory."""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING

from giliran.adapters.memory.journal import clone
from giliran.adapters.memory.tickets import InMemoryTicketRepository
from giliran.domain.eligibility import is_eligible, open_to, serves
from giliran.domain.model import Agent, Presence, Queue

if TYPE_CHECKING:
    from giliran.adapters.memory.state import Session


class InMemoryAgentRepository:
    def __init__(self, session: Session, tickets: InMemoryTicketRepository) -> None:
        self._session = session
        self._s = session.state
        self._j = session.journal
        self._seen = session.agents
        self._tickets = tickets

    def add(self, agent: Agent, token_hash: str) -> Agent:
        agent.id = self._s.next_id("agents")
        self._store(agent)
        self._j.put(self._s.token_hashes, token_hash, agent.id)
        self._seen[agent.id] = agent
        return agent

    def save(self, agent: Agent) -> None:
        self._store(agent)
        self._seen[agent.id] = agent

    def _store(self, agent: Agent) -> None:
        self._j.put(self._s.agents, agent.id, clone(agent))
        ready = agent.active and agent.online and agent.auto_assign
        if ready and agent.id not in self._s.ready:
            self._j.put(self._s.ready, agent.id, None)
        elif not ready and agent.id in self._s.ready:
            self._j.drop(self._s.ready, agent.id)

    def _view(self, agent_id: int) -> Agent:
        found = self._seen.get(agent_id)
        if found is None:
            stored = self._s.agents[agent_id]
            found = self._seen[agent_id] = clone(stored)
        return found

    def get(self, agent_id: int) -> Agent | None:
        return self._view(agent_id) if agent_id in self._s.agents else None

    def by_token_hash(self, token_hash: str) -> Agent | None:
        agent_id = self._s.token_hashes.get(token_hash)
        return self._view(agent_id) if agent_id is not None else None

    def all(self) -> list[Agent]:
        found = sorted(self._s.agents.values(), key=lambda a: (a.rotation_order, a.id))
        return [self._view(a.id) for a in found]

    def active_names(self) -> list[tuple[int, str]]:
        return sorted((a.id, a.name) for a in self._s.agents.values() if a.active)

    def eligible(self, queue: Queue, ordering: tuple[str, ...], limit: int | None) -> list[Agent]:
        name, per_agent, agents = queue.name, queue.max_per_agent, self._s.agents
        found = sorted(
            # `ready` holds the active, online, opted-in agents: the full ones are skipped
            # before the domain's own rule decides.
            (a for i in self._s.ready if (a := agents[i]).active_tickets < a.max_tickets
             and is_eligible(a) and open_to(name, a)
             and (per_agent <= 0 or queue.has_room_for(self._held_here(a.id, queue)))),
            key=attrgetter(*ordering),
        )
        return [self._view(a.id) for a in (found if limit is None else found[:limit])]

    def _held_here(self, agent_id: int, queue: Queue) -> int:
        return sum(t.queue == queue.name and queue.counts(t)
                   for t in self._tickets.held_here(agent_id))

    def members(self, queue: str) -> list[Agent]:
        found = sorted((a for a in self._s.agents.values() if a.active and serves(queue, a)),
                       key=attrgetter("rotation_order", "id"))
        return [self._view(a.id) for a in found]

    def count_members(self, queue: str, excluding: frozenset[int],
                      opted_in: bool = True) -> int:
        return sum(a.active and (a.auto_assign or not opted_in) and serves(queue, a)
                   and a.id not in excluding for a in self._s.agents.values())

    def silent_since(self, cutoff: datetime, limit: int) -> list[Agent]:
        silent = [a for a in self._s.agents.values() if a.presence is not Presence.OFFLINE
                  and (a.last_seen_at is None or a.last_seen_at <= cutoff)]
        never = [a for a in silent if a.last_seen_at is None]
        seen = sorted((a for a in silent if a.last_seen_at is not None),
                      key=lambda a: (a.last_seen_at, a.id))
        return [self._view(a.id) for a in (never + seen)[:limit]]

    def held(self) -> list[Agent]:
        """Every agent this unit of work has read or written."""
        return list(self._seen.values())


class InMemoryQueueRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._s = session.state
        self._j = session.journal
        self._seen = session.queues

    def add(self, queue: Queue) -> Queue:
        self._j.put(self._s.queues, queue.name, clone(queue))
        self._seen[queue.name] = queue
        return queue

    def save(self, queue: Queue) -> None:
        self._j.put(self._s.queues, queue.name, clone(queue))
        self._seen[queue.name] = queue

    def get(self, name: str) -> Queue | None:
        found = self._seen.get(name)
        if found is None and name in self._s.queues:
            found = self._seen[name] = clone(self._s.queues[name])
        return found

    def all(self) -> list[Queue]:
        return [q for name in sorted(self._s.queues) if (q := self.get(name)) is not None]

    def move_pointer(self, name: str, agent_id: int | None) -> None:
        stored = clone(self._s.queues[name])
        stored.next_agent_id, stored.pointer_set_by_hand = agent_id, False
        self._j.put(self._s.queues, name, stored)
        known = self._seen.get(name)
        if known is not None:
            known.next_agent_id, known.pointer_set_by_hand = agent_id, False
