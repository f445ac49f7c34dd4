"""SQL storage of agents: their rows, their queue memberships, and who is eligible."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.direct import Direct
from giliran.adapters.sql.rows import RowMap, decoded
from giliran.domain.model import Agent, Queue, QueueState, SlotFreedOn


def _state_column(states: dict[str, QueueState]) -> dict[str, Any]:
    return {q: {"missed_in_row": s.missed_in_row, "pause_reason": s.pause_reason,
                "paused_at": s.paused_at.isoformat() if s.paused_at is not None else None}
            for q, s in sorted(states.items())}


def _states(stored: Any) -> dict[str, QueueState]:
    return {q: QueueState(int(v.get("missed_in_row", 0)),
                          datetime.fromisoformat(v["paused_at"]) if v.get("paused_at") else None,
                          v.get("pause_reason"))
            for q, v in decoded(stored).items()}


AGENT = RowMap(Agent, t.agents, custom={"queue_state": (_state_column, _states)})
_AGENT_SELECT = select(*(t.agents.c[f] for f in AGENT.loaded))
_ACTIVE_NAMES = (select(t.agents.c.id, t.agents.c.name).where(t.agents.c.active)
                 .order_by(t.agents.c.id))
_AGENT_BY_ID = Direct(_AGENT_SELECT.where(t.agents.c.id == bindparam("id")))
_AGENT_BY_TOKEN = _AGENT_SELECT.where(t.agents.c.token_hash == bindparam("token_hash"))
_AGENT_INSERT = insert(t.agents).returning(t.agents.c.id)
# Bind names must differ from column names in SET clauses, hence the "v_" prefix.
_AGENT_SAVE = Direct(
    update(t.agents).where(t.agents.c.id == bindparam("v_id"))
    .values({f: bindparam(f"v_{f}") for f in AGENT.saved})
)
_IN_QUEUE = t.tickets.c.queue == bindparam("queue")
_SILENT = (
    _AGENT_SELECT.where(t.NOT_OFFLINE, t.agents.c.last_seen_at <= bindparam("cutoff"))
    .order_by(t.agents.c.last_seen_at, t.agents.c.id).limit(bindparam("limit"))
)
_SILENT_NEVER_SEEN = (
    _AGENT_SELECT.where(t.NOT_OFFLINE, t.agents.c.last_seen_at.is_(None))
    .order_by(t.agents.c.id).limit(bindparam("limit"))
)
# Membership as a correlated EXISTS: the eligible-agent query keeps walking its partial index
# in rotation order and stops at the first member, instead of collecting and sorting them.
_MEMBER_OF = and_(t.agent_queues.c.agent_id == t.agents.c.id,
                  t.agent_queues.c.queue == bindparam("queue"))
_SERVES = exists(select(literal(1)).where(_MEMBER_OF))
_SERVES_UNPAUSED = exists(select(literal(1)).where(_MEMBER_OF,
                                                   t.agent_queues.c.paused_at.is_(None)))
# The queue's per-agent limit: a correlated count over the agent's held tickets of the queue
# (the partial index on held tickets by agent makes it a few index steps), in the query itself,
# so a short candidate prefix never hides an agent who has room.
_HELD_HERE = [t.HELD, t.tickets.c.agent_id == t.agents.c.id, _IN_QUEUE]
_COUNTED: dict[SlotFreedOn, Any] = {
    SlotFreedOn.COMPLETE: select(func.count()).select_from(t.tickets).where(*_HELD_HERE),
    SlotFreedOn.ACCEPT: select(func.count()).select_from(t.tickets).where(
        *_HELD_HERE, t.PENDING_ACCEPT),
}
_MEMBERS_IN_TURN = (_AGENT_SELECT.where(t.agents.c.active, _SERVES)
                    .order_by(t.agents.c.rotation_order, t.agents.c.id))
_MEMBERSHIP_DELETE = delete(t.agent_queues).where(
    t.agent_queues.c.agent_id == bindparam("agent_id"))
_MEMBERSHIP_INSERT = insert(t.agent_queues)
# Whether anyone is left who could receive a ticket: the first such member, from the membership
# index of the queue, instead of a count over every member (5,000 agents: 1.3 ms on SQLite).
def _any_member(*where: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(
        select(literal(1)).select_from(t.agent_queues)
        .join(t.agents, t.agents.c.id == t.agent_queues.c.agent_id)
        .where(t.agent_queues.c.queue == bindparam("queue"), t.agents.c.active,
               t.agent_queues.c.agent_id.not_in(bindparam("excluded", expanding=True)), *where)
        .limit(1).subquery())


_ANY_MEMBER_BESIDES = {True: _any_member(t.agents.c.auto_assign), False: _any_member()}

_EligibleKey = tuple[tuple[str, ...], int | None, SlotFreedOn | None]
_eligible_statements: dict[_EligibleKey, Direct] = {}


def _eligible_statement(ordering: tuple[str, ...], limit: int | None,
                        limited: SlotFreedOn | None) -> Direct:
    """`limited`: the queue has a per-agent limit, counted as its `slot_freed_on` says."""
    key = (ordering, limit, limited)
    found = _eligible_statements.get(key)
    if found is None:
        stmt = _AGENT_SELECT.where(t.ELIGIBLE, _SERVES_UNPAUSED)
        if limited is not None:
            held = _COUNTED[limited].correlate(t.agents).scalar_subquery()
            stmt = stmt.where(held < bindparam("per_agent"))
        stmt = stmt.order_by(*(t.agents.c[f] for f in ordering))
        if limit is not None:
            stmt = stmt.limit(limit)
        found = _eligible_statements[key] = Direct(stmt)
    return found



class SqlAgentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[int, Agent] = {}
        self._stored_queues: dict[int, tuple[Any, ...]] = {}

    def add(self, agent: Agent, token_hash: str) -> Agent:
        values = AGENT.insert_values(agent)
        values.update(token_hash=token_hash, created_at=datetime.now(UTC))
        agent.id = self._conn.execute(_AGENT_INSERT, values).scalar_one()
        self._write_membership(agent)
        self._seen[agent.id] = agent
        return agent

    def get(self, agent_id: int) -> Agent | None:
        if agent_id in self._seen:
            return self._seen[agent_id]
        row = _AGENT_BY_ID.first(self._conn, {"id": agent_id})
        return self._load(row) if row else None

    def by_token_hash(self, token_hash: str) -> Agent | None:
        row = self._conn.execute(_AGENT_BY_TOKEN, {"token_hash": token_hash}).first()
        return self._load(row) if row else None

    def all(self) -> list[Agent]:
        rows = self._conn.execute(_AGENT_SELECT.order_by(t.agents.c.rotation_order, t.agents.c.id))
        return [self._load(r) for r in rows]

    def active_names(self) -> list[tuple[int, str]]:
        rows = self._conn.execute(_ACTIVE_NAMES)
        return [(int(i), str(name)) for i, name in rows]

    def save(self, agent: Agent) -> None:
        params = {f"v_{f}": v for f, v in AGENT.values(agent).items()}
        params["v_id"] = agent.id
        _AGENT_SAVE.rows(self._conn, params)
        if self._stored_queues.get(agent.id) != _membership(agent):
            self._conn.execute(_MEMBERSHIP_DELETE, {"agent_id": agent.id})
            self._write_membership(agent)
        self._seen[agent.id] = agent

    def held(self) -> list[Agent]:
        """Every agent this unit of work has read or written."""
        return list(self._seen.values())

    def _write_membership(self, agent: Agent) -> None:
        """The membership rows, with the agent's misses and pause in each queue."""
        rows = []
        for q in sorted(agent.queues):
            state = agent.state_in(q)
            rows.append({"agent_id": agent.id, "queue": q, "missed_in_row": state.missed_in_row,
                         "paused_at": state.paused_at, "pause_reason": state.pause_reason})
        if rows:
            self._conn.execute(_MEMBERSHIP_INSERT, rows)
        self._stored_queues[agent.id] = _membership(agent)

    def eligible(self, queue: Queue, ordering: tuple[str, ...], limit: int | None) -> list[Agent]:
        limited = queue.slot_freed_on if queue.max_per_agent > 0 else None
        params = {"queue": queue.name, "per_agent": queue.max_per_agent}
        rows = _eligible_statement(ordering, limit, limited).rows(self._conn, params)
        return [self._load(r) for r in rows]

    def members(self, queue: str) -> list[Agent]:
        rows = self._conn.execute(_MEMBERS_IN_TURN, {"queue": queue})
        return [self._load(r) for r in rows]

    def count_members(self, queue: str, excluding: frozenset[int],
                      opted_in: bool = True) -> int:
        """Stops at 1 (the port allows it): the callers ask whether anyone is left."""
        params = {"queue": queue, "excluded": sorted(excluding)}
        return int(self._conn.execute(_ANY_MEMBER_BESIDES[opted_in], params).scalar_one())

    def silent_since(self, cutoff: datetime, limit: int) -> list[Agent]:
        found = [self._load(r) for r in self._conn.execute(_SILENT_NEVER_SEEN, {"limit": limit})]
        rest = limit - len(found)
        if rest > 0:
            rows = self._conn.execute(_SILENT, {"cutoff": cutoff, "limit": rest})
            found += [self._load(r) for r in rows]
        return found

    def _load(self, row: Row[Any]) -> Agent:
        known = self._seen.get(row.id)
        if known is not None:
            return known
        agent = AGENT.load(row)
        self._stored_queues[agent.id] = _membership(agent)
        self._seen[agent.id] = agent
        return agent


def _membership(agent: Agent) -> tuple[Any, ...]:
    """What the membership rows hold: the queues, and the agent's state in each."""
    return (agent.queues, tuple(sorted((q, s.missed_in_row, s.paused_at, s.pause_reason)
                                       for q, s in agent.queue_state.items())))
