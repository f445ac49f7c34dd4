"""SQL storage of the SLA: policies, each ticket's clocks, the outcomes of ended clocks, and
the SLA a ticket shows (its `sla` column)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, insert, or_, select, update

from giliran.adapters.sql import tables as tables
from giliran.adapters.sql import tables_sla as t
from giliran.adapters.sql.rows import decoded
from giliran.domain import sla
from giliran.domain.model import SlaMark, TicketSla

_P = t.sla_policies.c
_C = t.ticket_sla.c
_O = t.sla_outcomes.c


def sla_column(found: TicketSla | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"policy": found.policy, "targets": [
        {"target": m.target, "due_at": _iso(m.due_at), "state": m.state,
         "warn_at": _iso(m.warn_at)} for m in found.targets]}


def sla_loaded(stored: Any) -> TicketSla | None:
    found = decoded(stored)
    if found is None:
        return None
    return TicketSla(found["policy"], tuple(
        SlaMark(m["target"], _at(m["due_at"]), m["state"], _at(m["warn_at"]))
        for m in found["targets"]))


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def policy_row(p: sla.Policy) -> dict[str, Any]:
    return {"name": p.name, "position": p.position, "active": p.active,
            "conditions": p.conditions.wire(), "targets": p.targets_wire(),
            "business_hours": p.business_hours, "warn_percent": p.warn_percent,
            "pause_statuses": sorted(p.pause_statuses),
            "breach_actions": [a.wire() for a in p.breach_actions],
            "created_at": p.created_at, "updated_at": p.updated_at}


def policy_of(r: Any) -> sla.Policy:
    return sla.Policy(
        id=r.id, name=r.name, position=r.position, active=r.active,
        conditions=sla.parse_conditions(decoded(r.conditions) or None),
        targets=sla.parse_targets(decoded(r.targets)), business_hours=r.business_hours,
        warn_percent=r.warn_percent, pause_statuses=frozenset(decoded(r.pause_statuses)),
        breach_actions=sla.parse_actions(decoded(r.breach_actions)),
        created_at=r.created_at, updated_at=r.updated_at)


class SqlSlaPolicyRepository:
    """Policies are read once per unit of work (every ticket move asks which applies) and
    handed out as copies, so a caller's change is only kept by `save`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._all: list[sla.Policy] | None = None

    def add(self, policy: sla.Policy) -> sla.Policy:
        policy.id = int(self._conn.execute(insert(t.sla_policies).values(
            policy_row(policy)).returning(_P.id)).scalar_one())
        self._all = None
        return policy

    def get(self, policy_id: int) -> sla.Policy | None:
        return next((p for p in self.all() if p.id == policy_id), None)

    def all(self) -> list[sla.Policy]:
        if self._all is None:
            rows = self._conn.execute(select(t.sla_policies).order_by(_P.position, _P.id))
            self._all = [policy_of(r) for r in rows]
        return [copy.copy(p) for p in self._all]

    def save(self, policy: sla.Policy) -> None:
        self._conn.execute(update(t.sla_policies).where(_P.id == policy.id)
                           .values(policy_row(policy)))
        self._all = None

    def remove(self, policy_id: int) -> None:
        self._conn.execute(delete(t.sla_policies).where(_P.id == policy_id))
        self._all = None


_CLOCK_FIELDS = ("policy_id", "seconds", "started_at", "due_at", "warn_at", "paused_at",
                 "paused_seconds", "state", "warned_at", "breached_at", "met_at")
_OUTCOME_FIELDS = ("ticket_id", "target", "policy_id", "queue", "agent_id", "priority",
                   "channel", "started_at", "due_at", "ended_at", "outcome",
                   "elapsed_seconds", "breached_at")


def _clock_values(c: sla.SlaClock) -> dict[str, Any]:
    values = {f: getattr(c, f) for f in _CLOCK_FIELDS}
    values["state"] = c.state.value
    return values


def _clock(r: Row[Any]) -> sla.SlaClock:
    return sla.SlaClock(
        ticket_id=r.ticket_id, target=sla.Target(r.target), policy_id=r.policy_id,
        seconds=r.seconds, started_at=r.started_at, due_at=r.due_at, warn_at=r.warn_at,
        state=sla.SlaState(r.state), paused_at=r.paused_at, paused_seconds=r.paused_seconds,
        warned_at=r.warned_at, breached_at=r.breached_at, met_at=r.met_at)


class SqlSlaClockRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def of(self, ticket_id: int) -> list[sla.SlaClock]:
        rows = self._conn.execute(select(t.ticket_sla).where(_C.ticket_id == ticket_id))
        return [_clock(r) for r in rows]

    def save(self, clock: sla.SlaClock) -> None:
        key = and_(_C.ticket_id == clock.ticket_id, _C.target == clock.target.value)
        done = self._conn.execute(update(t.ticket_sla).where(key).values(_clock_values(clock)))
        if done.rowcount == 0:
            self._conn.execute(insert(t.ticket_sla).values(
                ticket_id=clock.ticket_id, target=clock.target.value, **_clock_values(clock)))

    def remove(self, ticket_id: int, target: sla.Target) -> None:
        self._conn.execute(delete(t.ticket_sla).where(
            _C.ticket_id == ticket_id, _C.target == target.value))

    def running_in(self, queue: str) -> list[sla.SlaClock]:
        rows = self._conn.execute(
            select(t.ticket_sla).join(tables.tickets, tables.tickets.c.id == _C.ticket_id)
            .where(tables.tickets.c.queue == queue, _C.state.in_(("active", "warning")))
            .order_by(_C.ticket_id, _C.target))
        return [_clock(r) for r in rows]

    def due(self, now: datetime, limit: int) -> list[sla.SlaClock]:
        """Running clocks whose warning or due time has come, the earliest first."""
        warn = and_(_C.state == "active", _C.warn_at <= now)
        breach = and_(_C.state.in_(("active", "warning")), _C.due_at <= now)
        rows = self._conn.execute(select(t.ticket_sla).where(or_(warn, breach))
                                  .order_by(_C.ticket_id, _C.target).limit(limit))
        return [_clock(r) for r in rows]

    def add_outcome(self, outcome: sla.Outcome) -> None:
        values = {f: getattr(outcome, f) for f in _OUTCOME_FIELDS}
        values["target"] = outcome.target.value
        self._conn.execute(insert(t.sla_outcomes).values(values))

    def outcomes(self, since: datetime, until: datetime) -> list[sla.Outcome]:
        rows = self._conn.execute(select(t.sla_outcomes).where(
            _O.ended_at >= since, _O.ended_at < until).order_by(_O.id))
        return [sla.Outcome(**{**{f: getattr(r, f) for f in _OUTCOME_FIELDS},
                               "target": sla.Target(r.target)},
                            id=r.id) for r in rows]
