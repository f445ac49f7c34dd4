"""SQL repositories over SQLAlchemy Core (no ORM on the hot path). Each keeps an identity map for
its unit of work, so a ticket loaded twice in one transaction is one object."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, func, insert, or_, select, update

from giliran.adapters.sql import tables as t
from giliran.domain.model import (
    Agent,
    HistoryEntry,
    Priority,
    Queue,
    Reason,
    StrategyName,
    Ticket,
    TicketStatus,
)
from giliran.service.ports import TicketFilter

_AGENT_FIELDS = ("name", "max_tickets", "auto_assign", "active", "online", "rotation_order",
                 "active_tickets", "last_assigned_seq")
_TICKET_FIELDS = ("title", "description", "category", "queue", "external_id", "agent_id",
                  "assigned_seq", "assigned_at", "accepted_at", "closed_at")
_AGENT_COLUMNS = [t.agents.c.id, *(t.agents.c[f] for f in _AGENT_FIELDS)]
_QUEUE_ORDER = (t.tickets.c.priority.desc(), t.tickets.c.id)


class SqlAgentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[int, Agent] = {}

    def add(self, agent: Agent, token_hash: str) -> Agent:
        values = {f: getattr(agent, f) for f in _AGENT_FIELDS}
        agent.id = self._conn.execute(
            insert(t.agents).values(**values, token_hash=token_hash, created_at=datetime.now(UTC))
            .returning(t.agents.c.id)
        ).scalar_one()
        self._seen[agent.id] = agent
        return agent

    def get(self, agent_id: int) -> Agent | None:
        if agent_id in self._seen:
            return self._seen[agent_id]
        row = self._conn.execute(select(*_AGENT_COLUMNS).where(t.agents.c.id == agent_id)).first()
        return self._load(row) if row else None

    def by_token_hash(self, token_hash: str) -> Agent | None:
        row = self._conn.execute(
            select(*_AGENT_COLUMNS).where(t.agents.c.token_hash == token_hash)
        ).first()
        return self._load(row) if row else None

    def all(self) -> list[Agent]:
        rows = self._conn.execute(
            select(*_AGENT_COLUMNS).order_by(t.agents.c.rotation_order, t.agents.c.id)
        )
        return [self._load(r) for r in rows]

    def save(self, agent: Agent) -> None:
        self._conn.execute(
            update(t.agents).where(t.agents.c.id == agent.id)
            .values({f: getattr(agent, f) for f in _AGENT_FIELDS})
        )
        self._seen[agent.id] = agent

    def eligible(self, queue: str, ordering: tuple[str, ...], limit: int | None) -> list[Agent]:
        order = (t.agents.c[f] for f in ordering)
        query = select(*_AGENT_COLUMNS).where(t.ELIGIBLE).order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        return [self._load(r) for r in self._conn.execute(query)]

    def _load(self, row: Row[Any]) -> Agent:
        known = self._seen.get(row.id)
        if known is not None:
            return known
        agent = Agent(id=row.id, **{f: getattr(row, f) for f in _AGENT_FIELDS})
        self._seen[agent.id] = agent
        return agent


class SqlTicketRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[int, Ticket] = {}

    def add(self, ticket: Ticket) -> Ticket:
        ticket.id = self._conn.execute(
            insert(t.tickets).values(**_ticket_values(ticket), created_at=ticket.created_at)
            .returning(t.tickets.c.id)
        ).scalar_one()
        self._seen[ticket.id] = ticket
        return ticket

    def get(self, ticket_id: int) -> Ticket | None:
        if ticket_id in self._seen:
            return self._seen[ticket_id]
        return self._first(select(t.tickets).where(t.tickets.c.id == ticket_id))

    def by_external_id(self, external_id: str) -> Ticket | None:
        return self._first(select(t.tickets).where(t.tickets.c.external_id == external_id))

    def save(self, ticket: Ticket) -> None:
        self._conn.execute(
            update(t.tickets).where(t.tickets.c.id == ticket.id).values(**_ticket_values(ticket))
        )
        self._seen[ticket.id] = ticket

    def next_queued(self, skip_queues: frozenset[str]) -> Ticket | None:
        # SQLite picks the (status, id) index plus a sort unless told; the sort grows with the
        # backlog while the partial index answers in one step.
        query = select(t.tickets).with_hint(t.tickets, "INDEXED BY ix_tickets_queued_order",
                                            "sqlite").where(t.QUEUED)
        if skip_queues:
            query = query.where(t.tickets.c.queue.not_in(skip_queues))
        return self._first(query.order_by(*_QUEUE_ORDER).limit(1))

    def queue_position(self, ticket: Ticket) -> int:
        p = int(ticket.priority)
        ahead = or_(
            t.tickets.c.priority > p,
            and_(t.tickets.c.priority == p, t.tickets.c.id < ticket.id),
        )
        count = self._conn.execute(
            select(func.count()).select_from(t.tickets).where(t.QUEUED, ahead)
        ).scalar_one()
        return int(count) + 1

    def held_by(self, agent_id: int) -> list[Ticket]:
        rows = self._conn.execute(
            select(t.tickets).where(t.HELD, t.tickets.c.agent_id == agent_id)
            .order_by(t.tickets.c.assigned_seq)
        )
        return [self._load(r) for r in rows]

    def search(self, query: TicketFilter) -> Sequence[Ticket]:
        order = _QUEUE_ORDER if query.status is TicketStatus.QUEUED else (t.tickets.c.id,)
        rows = self._conn.execute(
            select(t.tickets).where(*_filters(query)).order_by(*order)
            .limit(query.limit).offset(query.offset)
        )
        return [self._load(r) for r in rows]

    def count(self, query: TicketFilter) -> int:
        return int(self._conn.execute(
            select(func.count()).select_from(t.tickets).where(*_filters(query))
        ).scalar_one())

    def _first(self, query: Any) -> Ticket | None:
        row = self._conn.execute(query).first()
        return self._load(row) if row else None

    def _load(self, row: Row[Any]) -> Ticket:
        known = self._seen.get(row.id)
        if known is not None:
            return known
        ticket = Ticket(
            id=row.id, created_at=row.created_at, priority=Priority(row.priority),
            status=TicketStatus(row.status), **{f: getattr(row, f) for f in _TICKET_FIELDS},
        )
        self._seen[ticket.id] = ticket
        return ticket


class SqlHistoryRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, entry: HistoryEntry) -> None:
        self._conn.execute(insert(t.history).values(
            ticket_id=entry.ticket_id, at=entry.at, event=entry.event, reason=entry.reason.value,
            actor=entry.actor, from_agent_id=entry.from_agent_id, to_agent_id=entry.to_agent_id,
        ))

    def for_ticket(self, ticket_id: int) -> list[HistoryEntry]:
        rows = self._conn.execute(
            select(t.history).where(t.history.c.ticket_id == ticket_id).order_by(t.history.c.id)
        )
        return [
            HistoryEntry(id=r.id, ticket_id=r.ticket_id, at=r.at, event=r.event,
                         reason=Reason(r.reason), actor=r.actor, from_agent_id=r.from_agent_id,
                         to_agent_id=r.to_agent_id)
            for r in rows
        ]


class SqlQueueRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[str, Queue] = {}

    def get(self, name: str) -> Queue | None:
        if name in self._seen:
            return self._seen[name]
        row = self._conn.execute(select(t.queues).where(t.queues.c.name == name)).first()
        if row is None:
            return None
        queue = self._seen[name] = Queue(row.name, StrategyName(row.strategy))
        return queue

    def save(self, queue: Queue) -> None:
        self._conn.execute(
            update(t.queues).where(t.queues.c.name == queue.name)
            .values(strategy=queue.strategy.value)
        )
        self._seen[queue.name] = queue


def _ticket_values(ticket: Ticket) -> dict[str, Any]:
    values = {f: getattr(ticket, f) for f in _TICKET_FIELDS}
    values["priority"] = int(ticket.priority)
    values["status"] = ticket.status.value
    return values


def _filters(query: TicketFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.status is not None:
        found.append(t.tickets.c.status == query.status.value)
    if query.agent_id is not None:
        found.append(t.tickets.c.agent_id == query.agent_id)
    if query.queue is not None:
        found.append(t.tickets.c.queue == query.queue)
    return found
