"""SQL repositories over SQLAlchemy Core (no ORM on the hot path).

Statements are built once, at import, with bind parameters: building a Core statement per call
cost ~70 µs against ~15 µs to execute a prebuilt one, and intake runs about ten of them. Each
repository keeps an identity map for its unit of work, so a row loaded twice is one object.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.direct import Direct
from giliran.domain.errors import DuplicateExternalId
from giliran.domain.events import Event
from giliran.domain.model import (
    Agent,
    ClaimPolicy,
    HistoryEntry,
    Language,
    OfflinePolicy,
    PickupPolicy,
    Presence,
    Priority,
    Queue,
    QueueState,
    Reason,
    SlotFreedOn,
    StrategyName,
    Ticket,
    TicketFlag,
    TicketStatus,
)
from giliran.service.ports import HistoryFilter, TicketFilter

_AGENT_FIELDS = ("name", "max_tickets", "auto_assign", "active", "presence", "rotation_order",
                 "active_tickets", "last_assigned_seq", "last_seen_at", "missed_in_row", "queues",
                 "language", "auto_assign_locked", "queue_state")
_TICKET_FIELDS = ("title", "description", "category", "queue", "external_id", "agent_id",
                  "assigned_seq", "assigned_at", "accepted_at", "closed_at", "priority", "status",
                  "queued_at", "escalations", "missed_by", "flag", "flagged_at", "auto_dispatch",
                  "queue_order", "priority_since", "contact")
_QUEUE_FIELDS = ("strategy", "accept_timeout_seconds", "max_escalations", "away_after_misses",
                 "offline_policy", "max_wait_seconds", "auto_assign_percent", "active",
                 "priority_aging_seconds", "reply_accepts", "max_per_agent", "slot_freed_on",
                 "claim", "pickup", "next_agent_id")
_AGENT_COLUMNS = [t.agents.c.id, *(t.agents.c[f] for f in _AGENT_FIELDS)]
_QUEUE_ORDER = (t.tickets.c.priority.desc(), t.tickets.c.queue_order, t.tickets.c.id)

_AGENT_SELECT = select(*_AGENT_COLUMNS)
_AGENT_BY_ID = Direct(_AGENT_SELECT.where(t.agents.c.id == bindparam("id")))
_AGENT_BY_TOKEN = _AGENT_SELECT.where(t.agents.c.token_hash == bindparam("token_hash"))
_AGENT_INSERT = insert(t.agents).returning(t.agents.c.id)
# Bind names must differ from column names in SET clauses, hence the "v_" prefix.
_AGENT_SAVE = Direct(
    update(t.agents).where(t.agents.c.id == bindparam("v_id"))
    .values({f: bindparam(f"v_{f}") for f in _AGENT_FIELDS})
)

_TICKET_BY_ID = Direct(select(t.tickets).where(t.tickets.c.id == bindparam("id")))
_TICKET_BY_EXTERNAL = Direct(
    select(t.tickets).where(t.tickets.c.external_id == bindparam("external_id")))
_TICKET_INSERT = Direct(insert(t.tickets).returning(t.tickets.c.id),
                        column_keys=("created_at", *_TICKET_FIELDS))
_TICKETS_BY_IDS = (select(t.tickets).where(t.tickets.c.id.in_(bindparam("ids", expanding=True)))
                   .order_by(t.tickets.c.id))
_TICKET_SAVE = Direct(
    update(t.tickets).where(t.tickets.c.id == bindparam("v_id"))
    .values({f: bindparam(f"v_{f}") for f in _TICKET_FIELDS})
)
# The head reads the partial index on (priority DESC, queue_order, id) WHERE dispatchable, one
# index step.
_DISPATCHABLE = select(t.tickets).where(t.DISPATCHABLE)
_IN_QUEUE = t.tickets.c.queue == bindparam("queue")
# A queued ticket's place in its own queue. Neither database's B-trees can say how many entries
# precede a key without walking them, so the number of queued tickets per (queue, priority) is
# kept by triggers (table queue_depth, migration 0016) and only the ticket's own priority is
# walked, from the nearer end, on the partial index on (queue, priority DESC, queue_order, id)
# WHERE queued. A new ticket is last among its priority: nothing behind it to count. Ranges
# are split on queue_order and id, since an OR of them makes the planners scan instead.
_DEPTH = t.queue_depth.c
_DEPTH_ABOVE = select(func.coalesce(func.sum(_DEPTH.queued), 0)).where(
    _DEPTH.queue == bindparam("queue"), _DEPTH.priority > bindparam("priority")
).scalar_subquery()
_DEPTH_OWN = select(func.coalesce(func.sum(_DEPTH.queued), 0)).where(
    _DEPTH.queue == bindparam("queue"), _DEPTH.priority == bindparam("priority")
).scalar_subquery()
_SAME_PRIORITY = (t.QUEUED, _IN_QUEUE, t.tickets.c.priority == bindparam("priority"))
_SAME_ORDER = t.tickets.c.queue_order == bindparam("queue_order")


def _counted(*where: ColumnElement[bool]) -> Any:
    """How many queued tickets of the priority match, counting no further than `cap`."""
    found = select(literal(1)).where(*_SAME_PRIORITY, *where).limit(bindparam("cap"))
    return select(func.count()).select_from(found.subquery()).scalar_subquery()


_BEHIND = (_counted(t.tickets.c.queue_order > bindparam("queue_order"))
           + _counted(_SAME_ORDER, t.tickets.c.id > bindparam("id")))
_AHEAD = (_counted(t.tickets.c.queue_order < bindparam("queue_order"))
          + _counted(_SAME_ORDER, t.tickets.c.id < bindparam("id")))
_POSITION_FROM_END = select(_DEPTH_ABOVE, _DEPTH_OWN, _BEHIND)
_BEHIND_ONLY = select(_BEHIND)
_AHEAD_ONLY = select(_AHEAD)
_NEAR_END = 64  # counted in the first statement; a new ticket has none behind it
_HOLDER = t.agents.alias("holder")
_ORPHANS = (
    select(t.tickets)
    .outerjoin(_HOLDER, _HOLDER.c.id == t.tickets.c.agent_id)
    .where(t.HELD, or_(_HOLDER.c.id.is_(None), _HOLDER.c.active.is_(False)))
    .order_by(t.tickets.c.id).limit(bindparam("limit"))
)
_OLDEST_QUEUED = select(func.min(t.tickets.c.queued_at)).where(
    t.QUEUED, t.tickets.c.queue == bindparam("queue"))
_EXISTING_EXTERNAL = select(t.tickets.c.external_id).where(
    t.tickets.c.external_id.in_(bindparam("ids", expanding=True)))
_OPEN_FOR_CONTACT = (select(t.tickets).where(t.OPEN, t.tickets.c.contact == bindparam("contact"))
                     .order_by(t.tickets.c.id.desc()).limit(1))
_FOR_CONTACT = (select(t.tickets).where(t.tickets.c.contact == bindparam("contact"))
                .order_by(t.tickets.c.id.desc()).limit(bindparam("limit")))
_FRONT = select(func.min(t.tickets.c.queue_order)).where(t.QUEUED)
_HELD_BY = (
    select(t.tickets).where(t.HELD, t.tickets.c.agent_id == bindparam("agent_id"))
    .order_by(t.tickets.c.assigned_seq)
)
_HISTORY_INSERT = Direct(insert(t.history), column_keys=(
    "ticket_id", "at", "event", "reason", "actor", "from_agent_id", "to_agent_id", "note",
    "detail"))
_HISTORY_FOR_TICKET = (
    select(t.history).where(t.history.c.ticket_id == bindparam("ticket_id"))
    .order_by(t.history.c.id)
)
_HISTORY_FOR_TICKETS = (
    select(t.history).where(t.history.c.ticket_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.history.c.id)
)
_IN_CHUNK = 500  # ids per IN list: well under SQLite's and PostgreSQL's parameter limits
_QUEUE_BY_NAME = Direct(select(t.queues).where(t.queues.c.name == bindparam("name")))
_QUEUES = select(t.queues).order_by(t.queues.c.name)
_QUEUE_SAVE = (
    update(t.queues).where(t.queues.c.name == bindparam("v_name"))
    .values({f: bindparam(f"v_{f}") for f in _QUEUE_FIELDS})
)
_QUEUE_POINTER = Direct(update(t.queues).where(t.queues.c.name == bindparam("v_name"))
                        .values(next_agent_id=bindparam("v_next")))


def _due_in_queue(state: ColumnElement[bool], since: Any) -> Select[Any]:
    """A timer's query: tickets of one queue in `state` whose `since` is at or before the
    cutoff, oldest first (each has a partial index on (queue, since) WHERE state)."""
    return (
        select(t.tickets)
        .where(state, t.tickets.c.queue == bindparam("queue"), since <= bindparam("cutoff"))
        .order_by(since, t.tickets.c.id).limit(bindparam("limit"))
    )


_OVERDUE = _due_in_queue(t.PENDING_ACCEPT, t.tickets.c.assigned_at)
_WAITING = _due_in_queue(t.UNFLAGGED_QUEUED, t.tickets.c.queued_at)
_AGEING = _due_in_queue(t.AGEING, t.tickets.c.priority_since)
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
_ANY_MEMBER_BESIDES = select(func.count()).select_from(
    select(literal(1)).select_from(t.agent_queues)
    .join(t.agents, t.agents.c.id == t.agent_queues.c.agent_id)
    .where(t.agent_queues.c.queue == bindparam("queue"), t.agents.c.active,
           t.agents.c.auto_assign,
           t.agent_queues.c.agent_id.not_in(bindparam("excluded", expanding=True)))
    .limit(1).subquery())
_SETTING = select(t.runtime_settings.c.value).where(t.runtime_settings.c.name == bindparam("name"))

_EligibleKey = tuple[tuple[str, ...], int | None, SlotFreedOn | None]
_eligible_statements: dict[_EligibleKey, Direct] = {}
_queued_statements: dict[tuple[int, bool, bool], Direct] = {}


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


def _queued_statement(limit: int, with_offset: bool, one_queue: bool) -> Direct:
    key = (limit, with_offset, one_queue)
    found = _queued_statements.get(key)
    if found is None:
        stmt = _DISPATCHABLE
        if one_queue:
            stmt = stmt.where(t.tickets.c.queue == bindparam("queue"))
        stmt = stmt.order_by(*_QUEUE_ORDER).limit(limit)
        if with_offset:
            stmt = stmt.offset(bindparam("offset"))
        found = _queued_statements[key] = Direct(stmt)
    return found


class SqlAgentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[int, Agent] = {}
        self._stored_queues: dict[int, tuple[Any, ...]] = {}
        self._loaded: dict[int, tuple[Any, ...]] = {}  # what each agent looked like when read

    def add(self, agent: Agent, token_hash: str) -> Agent:
        values = _agent_values(agent)
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

    def save(self, agent: Agent) -> None:
        params = {f"v_{f}": v for f, v in _agent_values(agent).items()}
        params["v_id"] = agent.id
        _AGENT_SAVE.rows(self._conn, params)
        if self._stored_queues.get(agent.id) != _membership(agent):
            self._conn.execute(_MEMBERSHIP_DELETE, {"agent_id": agent.id})
            self._write_membership(agent)
        self._seen[agent.id] = agent

    def changed(self) -> Iterator[tuple[Agent, bool]]:
        """Agents this unit of work changed in a way watchers care about, and whether their
        presence changed (the rest: settings, membership, creation)."""
        for agent_id, agent in self._seen.items():
            before = self._loaded.get(agent_id)
            now = _watched(agent)
            if before != now:
                yield agent, before is not None and before[0] != now[0]

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

    def count_members(self, queue: str, excluding: frozenset[int]) -> int:
        """Stops at 1 (the port allows it): the escalation asks whether anyone is left."""
        params = {"queue": queue, "excluded": sorted(excluding)}
        return int(self._conn.execute(_ANY_MEMBER_BESIDES, params).scalar_one())

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
        values = {f: getattr(row, f) for f in _AGENT_FIELDS}
        values["presence"] = Presence(row.presence)
        values["queues"] = frozenset(_json(row.queues))
        values["language"] = Language(row.language)
        values["queue_state"] = _states(_json(row.queue_state))
        agent = Agent(id=row.id, **values)
        self._stored_queues[agent.id] = _membership(agent)
        self._loaded[agent.id] = _watched(agent)
        self._seen[agent.id] = agent
        return agent


class SqlTicketRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[int, Ticket] = {}

    def add(self, ticket: Ticket) -> Ticket:
        values = _ticket_values(ticket)
        values["created_at"] = ticket.created_at
        try:
            ticket.id = _TICKET_INSERT.scalar(self._conn, values)
        except IntegrityError as exc:
            # Only external_id is unique among what intake writes (the queue was checked).
            raise DuplicateExternalId(f"external_id {ticket.external_id!r} exists") from exc
        self._seen[ticket.id] = ticket
        return ticket

    def get(self, ticket_id: int) -> Ticket | None:
        if ticket_id in self._seen:
            return self._seen[ticket_id]
        row = _TICKET_BY_ID.first(self._conn, {"id": ticket_id})
        return self._load(row) if row else None

    def by_external_id(self, external_id: str) -> Ticket | None:
        row = _TICKET_BY_EXTERNAL.first(self._conn, {"external_id": external_id})
        return self._load(row) if row else None

    def many(self, ids: set[int]) -> list[Ticket]:
        if not ids:
            return []
        rows = self._conn.execute(_TICKETS_BY_IDS, {"ids": sorted(ids)})
        return [self._load(r) for r in rows]

    def save(self, ticket: Ticket) -> None:
        params = {f"v_{k}": v for k, v in _ticket_values(ticket).items()}
        params["v_id"] = ticket.id
        _TICKET_SAVE.rows(self._conn, params)
        self._seen[ticket.id] = ticket

    def queued_head(self, limit: int, offset: int = 0) -> list[Ticket]:
        stmt = _queued_statement(limit, with_offset=offset > 0, one_queue=False)
        return [self._load(r) for r in stmt.rows(self._conn, {"offset": offset})]

    def queued_head_of(self, queue: str, limit: int, offset: int = 0) -> list[Ticket]:
        stmt = _queued_statement(limit, with_offset=offset > 0, one_queue=True)
        rows = stmt.rows(self._conn, {"offset": offset, "queue": queue})
        return [self._load(r) for r in rows]

    def overdue(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_OVERDUE, {"queue": queue, "cutoff": cutoff, "limit": limit})
        return [self._load(r) for r in rows]

    def waiting_since(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_WAITING, {"queue": queue, "cutoff": cutoff, "limit": limit})
        return [self._load(r) for r in rows]

    def queue_position(self, ticket: Ticket) -> int:
        """Higher priorities from the kept depths, then the ticket's own priority counted from
        the nearer end: at most half of it is walked, none of it for a new ticket."""
        params: dict[str, Any] = {
            "priority": int(ticket.priority), "queue_order": ticket.queue_order,
            "id": ticket.id, "queue": ticket.queue, "cap": _NEAR_END}
        above, own, behind = map(int, self._conn.execute(_POSITION_FROM_END, params).one())
        if behind >= _NEAR_END:
            half = params["cap"] = own // 2 + 1
            behind = int(self._conn.execute(_BEHIND_ONLY, params).scalar_one())
            if behind >= half:  # nearer the head: count those ahead instead
                params["cap"] = own
                ahead = int(self._conn.execute(_AHEAD_ONLY, params).scalar_one())
                return above + ahead + 1
        # Outside one transaction (PostgreSQL's read committed) a concurrent change may land
        # between the statements; a place is never below 1.
        return max(above + own - behind, 1)

    def orphans(self, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_ORPHANS, {"limit": limit})
        return [self._load(r) for r in rows]

    def oldest_queued_at(self, queue: str) -> datetime | None:
        found: datetime | None = self._conn.execute(
            _OLDEST_QUEUED, {"queue": queue}).scalar_one_or_none()
        return found

    def existing_external_ids(self, external_ids: set[str]) -> set[str]:
        if not external_ids:
            return set()
        rows = self._conn.execute(_EXISTING_EXTERNAL, {"ids": sorted(external_ids)})
        return {str(r[0]) for r in rows}

    def open_for_contact(self, contact: str) -> Ticket | None:
        return self._first(_OPEN_FOR_CONTACT, {"contact": contact})

    def for_contact(self, contact: str, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_FOR_CONTACT, {"contact": contact, "limit": limit})
        return [self._load(r) for r in rows]

    def front_order(self) -> int:
        lowest = self._conn.execute(_FRONT).scalar_one()
        return min(int(lowest or 0), 0) - 1

    def due_for_aging(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_AGEING, {"queue": queue, "cutoff": cutoff, "limit": limit})
        return [self._load(r) for r in rows]

    def held_by(self, agent_id: int) -> list[Ticket]:
        rows = self._conn.execute(_HELD_BY, {"agent_id": agent_id})
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

    def _first(self, stmt: Select[Any], params: dict[str, Any]) -> Ticket | None:
        row = self._conn.execute(stmt, params).first()
        return self._load(row) if row else None

    def _load(self, row: Row[Any]) -> Ticket:
        known = self._seen.get(row.id)
        if known is not None:
            return known
        ticket = Ticket(
            id=row.id, title=row.title, created_at=row.created_at, queue=row.queue,
            priority=Priority(row.priority), status=TicketStatus(row.status),
            category=row.category, description=row.description, external_id=row.external_id,
            agent_id=row.agent_id, assigned_seq=row.assigned_seq, assigned_at=row.assigned_at,
            accepted_at=row.accepted_at, closed_at=row.closed_at, queued_at=row.queued_at,
            escalations=row.escalations, missed_by=frozenset(_json(row.missed_by)),
            flag=TicketFlag(row.flag) if row.flag is not None else None,
            flagged_at=row.flagged_at, auto_dispatch=row.auto_dispatch,
            queue_order=row.queue_order, priority_since=row.priority_since,
            contact=row.contact,
        )
        self._seen[ticket.id] = ticket
        return ticket


class SqlHistoryRepository:
    """Appends are buffered and written in one statement when the unit of work commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[dict[str, Any]] = []
        self.written: list[HistoryEntry] = []  # what this unit of work appended

    def append(self, entry: HistoryEntry) -> None:
        self.written.append(entry)
        self._pending.append({
            "ticket_id": entry.ticket_id, "at": entry.at, "event": entry.event,
            "reason": entry.reason.value, "actor": entry.actor,
            "from_agent_id": entry.from_agent_id, "to_agent_id": entry.to_agent_id,
            "note": entry.note, "detail": entry.detail,
        })

    def flush(self) -> None:
        if self._pending:
            _HISTORY_INSERT.many(self._conn, self._pending)
            self._pending = []

    def for_ticket(self, ticket_id: int) -> list[HistoryEntry]:
        self.flush()
        rows = self._conn.execute(_HISTORY_FOR_TICKET, {"ticket_id": ticket_id})
        return [_entry(r) for r in rows]

    def for_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[HistoryEntry]]:
        self.flush()
        found: dict[int, list[HistoryEntry]] = {tid: [] for tid in ticket_ids}
        ids = sorted(found)
        for start in range(0, len(ids), _IN_CHUNK):
            rows = self._conn.execute(_HISTORY_FOR_TICKETS,
                                      {"ids": ids[start:start + _IN_CHUNK]})
            for r in rows:
                found[r.ticket_id].append(_entry(r))
        return found

    def search(self, query: HistoryFilter) -> list[HistoryEntry]:
        self.flush()
        stmt = (select(t.history).where(*_history_filters(query)).order_by(t.history.c.id)
                .limit(query.limit).offset(query.offset))
        return [_entry(r) for r in self._conn.execute(stmt)]

    def count(self, query: HistoryFilter) -> int:
        self.flush()
        stmt = select(func.count()).select_from(t.history).where(*_history_filters(query))
        return int(self._conn.execute(stmt).scalar_one())


def _entry(r: Row[Any]) -> HistoryEntry:
    return HistoryEntry(id=r.id, ticket_id=r.ticket_id, at=r.at, event=r.event,
                        reason=Reason(r.reason), actor=r.actor, from_agent_id=r.from_agent_id,
                        to_agent_id=r.to_agent_id, note=r.note,
                        detail=_json(r.detail) if r.detail is not None else None)


def _history_filters(q: HistoryFilter) -> list[ColumnElement[bool]]:
    h = t.history.c
    found: list[ColumnElement[bool]] = []
    if q.after_id:
        found.append(h.id > q.after_id)
    if q.ticket_id is not None:
        found.append(h.ticket_id == q.ticket_id)
    if q.agent_id is not None:
        found.append(or_(h.from_agent_id == q.agent_id, h.to_agent_id == q.agent_id))
    if q.reason is not None:
        found.append(h.reason == q.reason)
    if q.event is not None:
        found.append(h.event == q.event)
    if q.queue is not None:
        found.append(h.ticket_id.in_(select(t.tickets.c.id).where(t.tickets.c.queue == q.queue)))
    if q.since is not None:
        found.append(h.at >= q.since)
    if q.until is not None:
        found.append(h.at < q.until)
    return found


class SqlQueueRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[str, Queue] = {}
        self._all: list[Queue] | None = None
        self.changed: list[Queue] = []

    def add(self, queue: Queue) -> Queue:
        values = _queue_values(queue)
        values.update(name=queue.name, created_at=datetime.now(UTC))
        self._conn.execute(insert(t.queues).values(values))
        self._seen[queue.name] = queue
        self._all = None
        self.changed.append(queue)
        return queue

    def get(self, name: str) -> Queue | None:
        if name in self._seen:
            return self._seen[name]
        row = _QUEUE_BY_NAME.first(self._conn, {"name": name})
        return self._load(row) if row is not None else None

    def all(self) -> list[Queue]:
        if self._all is None:
            self._all = [self._load(r) for r in self._conn.execute(_QUEUES)]
        return list(self._all)

    def save(self, queue: Queue) -> None:
        params = {f"v_{f}": v for f, v in _queue_values(queue).items()}
        params["v_name"] = queue.name
        self._conn.execute(_QUEUE_SAVE, params)
        self._seen[queue.name] = queue
        self._all = None
        self.changed.append(queue)

    def move_pointer(self, name: str, agent_id: int | None) -> None:
        _QUEUE_POINTER.rows(self._conn, {"v_name": name, "v_next": agent_id})
        known = self._seen.get(name)
        if known is not None:
            known.next_agent_id = agent_id

    def _load(self, row: Row[Any]) -> Queue:
        known = self._seen.get(row.name)
        if known is not None:
            return known
        queue = self._seen[row.name] = Queue(
            name=row.name, strategy=StrategyName(row.strategy),
            accept_timeout_seconds=row.accept_timeout_seconds,
            max_escalations=row.max_escalations, away_after_misses=row.away_after_misses,
            offline_policy=OfflinePolicy(row.offline_policy),
            max_wait_seconds=row.max_wait_seconds, auto_assign_percent=row.auto_assign_percent,
            active=row.active, priority_aging_seconds=row.priority_aging_seconds,
            reply_accepts=row.reply_accepts, max_per_agent=row.max_per_agent,
            slot_freed_on=SlotFreedOn(row.slot_freed_on), claim=ClaimPolicy(row.claim),
            pickup=PickupPolicy(row.pickup), next_agent_id=row.next_agent_id,
        )
        return queue


class SqlSettingsRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, name: str) -> str | None:
        value = self._conn.execute(_SETTING, {"name": name}).scalar_one_or_none()
        return str(value) if value is not None else None

    def put(self, name: str, value: str) -> None:
        updated = self._conn.execute(
            update(t.runtime_settings).where(t.runtime_settings.c.name == name)
            .values(value=value)
        )
        if updated.rowcount == 0:
            self._conn.execute(insert(t.runtime_settings).values(name=name, value=value))


def _watched(agent: Agent) -> tuple[Any, ...]:
    return (agent.presence, agent.name, agent.max_tickets, agent.auto_assign, agent.active,
            agent.queues, agent.language, agent.auto_assign_locked, agent.rotation_order,
            _membership(agent))


def _membership(agent: Agent) -> tuple[Any, ...]:
    """What the membership rows hold: the queues, and the agent's state in each."""
    return (agent.queues, tuple(sorted((q, s.missed_in_row, s.paused_at, s.pause_reason)
                                       for q, s in agent.queue_state.items())))


def _agent_values(agent: Agent) -> dict[str, Any]:
    values = {f: getattr(agent, f) for f in _AGENT_FIELDS}
    values["presence"] = agent.presence.value
    values["queues"] = sorted(agent.queues)
    values["language"] = agent.language.value
    values["queue_state"] = {
        q: {"missed_in_row": s.missed_in_row, "pause_reason": s.pause_reason,
            "paused_at": s.paused_at.isoformat() if s.paused_at is not None else None}
        for q, s in sorted(agent.queue_state.items())}
    return values


def _states(stored: dict[str, Any]) -> dict[str, QueueState]:
    return {q: QueueState(int(v.get("missed_in_row", 0)),
                          datetime.fromisoformat(v["paused_at"]) if v.get("paused_at") else None,
                          v.get("pause_reason"))
            for q, v in stored.items()}


def _queue_values(queue: Queue) -> dict[str, Any]:
    values = {f: getattr(queue, f) for f in _QUEUE_FIELDS}
    for name in ("strategy", "offline_policy", "slot_freed_on", "claim", "pickup"):
        values[name] = values[name].value
    return values


def _json(value: Any) -> Any:
    """JSON columns come back decoded; a raw string only from a hand-written INSERT."""
    return json.loads(value) if isinstance(value, str) else value


def _ticket_values(ticket: Ticket) -> dict[str, Any]:
    return {
        "title": ticket.title, "description": ticket.description, "category": ticket.category,
        "queue": ticket.queue, "external_id": ticket.external_id, "agent_id": ticket.agent_id,
        "assigned_seq": ticket.assigned_seq, "assigned_at": ticket.assigned_at,
        "accepted_at": ticket.accepted_at, "closed_at": ticket.closed_at,
        "priority": int(ticket.priority), "status": ticket.status.value,
        "queued_at": ticket.queued_at, "escalations": ticket.escalations,
        "missed_by": sorted(ticket.missed_by),
        "flag": ticket.flag.value if ticket.flag is not None else None,
        "flagged_at": ticket.flagged_at, "auto_dispatch": ticket.auto_dispatch,
        "queue_order": ticket.queue_order, "priority_since": ticket.priority_since,
        "contact": ticket.contact,
    }


def _filters(query: TicketFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.status is not None:
        found.append(t.tickets.c.status == query.status.value)
    if query.agent_id is not None:
        found.append(t.tickets.c.agent_id == query.agent_id)
    if query.queue is not None:
        found.append(t.tickets.c.queue == query.queue)
    if query.flagged is not None:
        found.append(t.FLAGGED if query.flagged else t.tickets.c.flag.is_(None))
    return found


_EVENT_INSERT = Direct(insert(t.events),
                       column_keys=("at", "type", "ticket_id", "queue", "agents", "payload"))
_EVENTS_AFTER = (select(t.events).where(t.events.c.id > bindparam("after"))
                 .order_by(t.events.c.id).limit(bindparam("limit")))
_EVENT_BOUNDS = select(func.min(t.events.c.id), func.max(t.events.c.id))
# Events are written in time order, so the ones to drop are a prefix of the id order: find where
# it ends by walking the primary key from the start, instead of keeping an index on `at` that
# every write would pay for.
_FIRST_KEPT = select(func.min(t.events.c.id)).where(t.events.c.at >= bindparam("before"))
_EVENTS_PRUNE = delete(t.events).where(
    t.events.c.id < func.coalesce(_FIRST_KEPT.scalar_subquery(),
                                  select(func.max(t.events.c.id) + 1).scalar_subquery()))


class SqlEventRepository:
    """Appends are written with the unit of work's commit, after its history."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[Event] = []

    def append(self, event: Event) -> None:
        self._pending.append(event)

    def flush(self, then: str | None = None) -> None:
        """Write what was appended; and when there was anything, run `then` in the same
        round trip (the unit of work's NOTIFY)."""
        if not self._pending:
            return
        _EVENT_INSERT.many(self._conn, [
            {"at": e.at, "type": e.type, "ticket_id": e.ticket_id, "queue": e.queue,
             "agents": sorted(e.agents), "payload": e.payload}
            for e in self._pending
        ], then)
        self._pending = []

    def after(self, event_id: int, limit: int) -> list[Event]:
        rows = self._conn.execute(_EVENTS_AFTER, {"after": event_id, "limit": limit})
        return [Event(id=r.id, at=r.at, type=r.type, ticket_id=r.ticket_id, queue=r.queue,
                      agents=frozenset(_json(r.agents)), payload=_json(r.payload))
                for r in rows]

    def bounds(self) -> tuple[int, int]:
        """(first, last) ids kept; (0, 0) when there are none."""
        first, last = self._conn.execute(_EVENT_BOUNDS).one()
        return int(first or 0), int(last or 0)

    def prune(self, before: datetime) -> int:
        return int(self._conn.execute(_EVENTS_PRUNE, {"before": before}).rowcount or 0)
