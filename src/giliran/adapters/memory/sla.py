"""The SLA's in-memory twins (service/ports/sla.py), journalled as the rest of the store."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime

from giliran.adapters.memory.state import Session
from giliran.domain import sla


class InMemorySlaPolicyRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._rows = session.state.sla_policies

    def add(self, policy: sla.Policy) -> sla.Policy:
        policy.id = self._s.state.next_id("sla_policies")
        self._s.journal.put(self._rows, policy.id, copy.copy(policy))
        return policy

    def get(self, policy_id: int) -> sla.Policy | None:
        found = self._rows.get(policy_id)
        return copy.copy(found) if found is not None else None

    def all(self) -> list[sla.Policy]:
        return [copy.copy(p) for p in sorted(self._rows.values(),
                                             key=lambda p: (p.position, p.id))]

    def save(self, policy: sla.Policy) -> None:
        self._s.journal.put(self._rows, policy.id, copy.copy(policy))

    def remove(self, policy_id: int) -> None:
        self._s.journal.drop(self._rows, policy_id)


class InMemorySlaClockRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._rows = session.state.sla_clocks

    def of(self, ticket_id: int) -> list[sla.SlaClock]:
        return [replace(c) for (t, _), c in sorted(self._rows.items()) if t == ticket_id]

    def save(self, clock: sla.SlaClock) -> None:
        self._s.journal.put(self._rows, (clock.ticket_id, clock.target.value), replace(clock))

    def remove(self, ticket_id: int, target: sla.Target) -> None:
        self._s.journal.drop(self._rows, (ticket_id, target.value))

    def running_in(self, queue: str) -> list[sla.SlaClock]:
        tickets = self._s.state.tickets
        return [replace(c) for (t, _), c in sorted(self._rows.items())
                if c.running and t in tickets and tickets[t].queue == queue]

    def due(self, now: datetime, limit: int) -> list[sla.SlaClock]:
        found = [replace(c) for _, c in sorted(self._rows.items())
                 if sla.warn_due(c, now) or sla.breach_due(c, now)]
        return found[:limit]

    def add_outcome(self, outcome: sla.Outcome) -> None:
        found = replace(outcome, id=self._s.state.next_id("sla_outcomes"))
        self._s.journal.append(self._s.state.sla_outcomes, found)

    def outcomes(self, since: datetime, until: datetime) -> list[sla.Outcome]:
        return [o for o in self._s.state.sla_outcomes if since <= o.ended_at < until]
