"""SQL storage of tickets: the queue's head, a ticket's place in its queue, the timers' reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from giliran.adapters.sql import lines, listing, places
from giliran.adapters.sql import tables as t
from giliran.adapters.sql.direct import Direct
from giliran.adapters.sql.rows import RowMap
from giliran.adapters.sql.sla import sla_column, sla_loaded
from giliran.domain.errors import ContactHasOpenTicket, DuplicateExternalId
from giliran.domain.model import Ticket, TicketFlag, TicketStatus, WaitingOrder
from giliran.service.ports import TicketFilter, TicketListing

TICKET = RowMap(Ticket, t.tickets, insert_only=("created_at",),
                custom={"sla": (sla_column, sla_loaded)})
_QUEUE_ORDER = (t.tickets.c.effective_priority.desc(), t.tickets.c.queue_order, t.tickets.c.id)
# Flagged tickets, the longest flagged first (the partial index ix_tickets_flagged_since).
_FLAG_ORDER = (t.tickets.c.flagged_at, t.tickets.c.id)
_TICKET_BY_ID = Direct(select(t.tickets).where(t.tickets.c.id == bindparam("id")))
_TICKET_BY_EXTERNAL = Direct(
    select(t.tickets).where(t.tickets.c.external_id == bindparam("external_id")))
_TICKET_INSERT = Direct(insert(t.tickets).returning(t.tickets.c.id), column_keys=TICKET.added)
_TICKETS_BY_IDS = (select(t.tickets).where(t.tickets.c.id.in_(bindparam("ids", expanding=True)))
                   .order_by(t.tickets.c.id))
_TICKET_SAVE = Direct(
    update(t.tickets).where(t.tickets.c.id == bindparam("v_id"))
    .values({f: bindparam(f"v_{f}") for f in TICKET.saved})
)
# The head reads the partial index on (effective_priority DESC, queue_order, id) WHERE
# dispatchable, one index step.
_DISPATCHABLE = select(t.tickets).where(t.DISPATCHABLE)
_IN_QUEUE = t.tickets.c.queue == bindparam("queue")
# A queued ticket's place in its own queue. Neither database's B-trees can say how many entries
# precede a key without walking them, so the number of queued tickets per (queue, priority) is
# kept by triggers (table queue_depth, migrations 0016 and 0018: by effective priority) and only
# the ticket's own priority is walked, from the nearer end, on the partial index on (queue,
# effective_priority DESC, queue_order, id) WHERE queued. A new ticket is last among its
# priority: nothing behind it to count. Ranges are split on queue_order and id, since an OR of
# them makes the planners scan instead.
_DEPTH = t.queue_depth.c
_DEPTH_ABOVE = select(func.coalesce(func.sum(_DEPTH.queued), 0)).where(
    _DEPTH.queue == bindparam("queue"), _DEPTH.priority > bindparam("priority")
).scalar_subquery()
_DEPTH_OWN = select(func.coalesce(func.sum(_DEPTH.queued), 0)).where(
    _DEPTH.queue == bindparam("queue"), _DEPTH.priority == bindparam("priority")
).scalar_subquery()
_SAME_PRIORITY = (t.QUEUED, _IN_QUEUE, t.tickets.c.effective_priority == bindparam("priority"))
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
    .where(t.HELD_ROWS, or_(_HOLDER.c.id.is_(None), _HOLDER.c.active.is_(False)))
    .order_by(t.tickets.c.id).limit(bindparam("limit"))
)
# The figures of the floor, each from an index (see tables.py) or the kept depths.
_QUEUED_TIMES = (select(t.tickets.c.queued_at).where(t.QUEUED, _IN_QUEUE)
                 .order_by(t.tickets.c.queued_at).limit(bindparam("limit")))
_UNANSWERED = select(func.count()).select_from(t.tickets).where(
    t.UNANSWERED, _IN_QUEUE, t.tickets.c.created_at >= bindparam("since"),
    t.tickets.c.created_at < bindparam("before"))
_DEPTHS = (select(t.queue_depth.c.queue, func.sum(t.queue_depth.c.queued))
           .group_by(t.queue_depth.c.queue))
_FLAG_COUNTS = (select(t.tickets.c.queue, t.tickets.c.flag, func.count())
                .where(t.FLAGGED).group_by(t.tickets.c.queue, t.tickets.c.flag))
_HELD_COUNTS = (select(t.tickets.c.agent_id, t.tickets.c.queue, t.tickets.c.status, func.count())
                .where(t.HELD).group_by(t.tickets.c.agent_id, t.tickets.c.queue,
                                        t.tickets.c.status))
_EXISTING_EXTERNAL = select(t.tickets.c.external_id).where(
    t.tickets.c.external_id.in_(bindparam("ids", expanding=True)))
_OPEN_FOR_CONTACT = (select(t.tickets).where(t.OPEN, t.tickets.c.contact == bindparam("contact"))
                     .order_by(t.tickets.c.id.desc()).limit(1))
_FOR_CONTACT = (select(t.tickets).where(t.tickets.c.contact == bindparam("contact"))
                .order_by(t.tickets.c.id.desc()).limit(bindparam("limit")))
_IN_CONTACTS = t.tickets.c.contact.in_(bindparam("contacts", expanding=True))
_FOR_CONTACTS = (select(t.tickets).where(_IN_CONTACTS).order_by(t.tickets.c.id.desc())
                 .limit(bindparam("limit")).offset(bindparam("offset")))
_COUNT_FOR_CONTACTS = select(func.count()).select_from(t.tickets).where(_IN_CONTACTS)
_FRONT = select(func.min(t.tickets.c.queue_order)).where(t.QUEUED)
_HELD_BY = (
    select(t.tickets).where(t.HELD_ROWS, t.tickets.c.agent_id == bindparam("agent_id"))
    .order_by(t.tickets.c.assigned_seq)
)


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
_HOLDS_DUE = _due_in_queue(t.ON_HOLD, t.tickets.c.hold_until)
_queued_statements: dict[tuple[int, bool, bool, bool], Direct] = {}


def _queued_statement(limit: int, with_offset: bool, one_queue: bool,
                      by_due: bool = False) -> Direct:
    key = (limit, with_offset, one_queue, by_due)
    found = _queued_statements.get(key)
    if found is None:
        stmt = _DISPATCHABLE
        if one_queue:
            stmt = stmt.where(t.tickets.c.queue == bindparam("queue"))
        stmt = stmt.order_by(*(lines.due_order(_QUEUE_ORDER) if by_due else _QUEUE_ORDER))
        stmt = stmt.limit(limit)
        if with_offset:
            stmt = stmt.offset(bindparam("offset"))
        found = _queued_statements[key] = Direct(stmt)
    return found


def _violated(exc: IntegrityError) -> str | None:
    """The unique index a failed insert ran into: PostgreSQL names it; SQLite names the
    column (`UNIQUE constraint failed: tickets.contact`), which only that index makes unique."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if name is None and str(exc.orig).endswith("tickets.contact"):
        name = "ux_tickets_one_open_per_contact"
    return name


class SqlTicketRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[int, Ticket] = {}

    def add(self, ticket: Ticket) -> Ticket:
        values = TICKET.insert_values(ticket)
        try:
            ticket.id = _TICKET_INSERT.scalar(self._conn, values)
        except IntegrityError as exc:
            # What intake writes is unique in two ways (the queue was checked): the external
            # id, and one open ticket per contact.
            if _violated(exc) == "ux_tickets_one_open_per_contact":
                raise ContactHasOpenTicket(f"{ticket.contact!r} has an open ticket") from exc
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
        params = {f"v_{k}": v for k, v in TICKET.values(ticket).items()}
        params["v_id"] = ticket.id
        _TICKET_SAVE.rows(self._conn, params)
        self._seen[ticket.id] = ticket

    def queued_head(self, limit: int, offset: int = 0) -> list[Ticket]:
        stmt = _queued_statement(limit, with_offset=offset > 0, one_queue=False)
        return [self._load(r) for r in stmt.rows(self._conn, {"offset": offset})]

    def queued_head_of(self, queue: str, limit: int, offset: int = 0,
                       order: WaitingOrder = WaitingOrder.PRIORITY) -> list[Ticket]:
        stmt = _queued_statement(limit, with_offset=offset > 0, one_queue=True,
                                 by_due=order is WaitingOrder.SLA_DUE)
        rows = stmt.rows(self._conn, {"offset": offset, "queue": queue})
        return [self._load(r) for r in rows]

    def overdue(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_OVERDUE, {"queue": queue, "cutoff": cutoff, "limit": limit})
        return [self._load(r) for r in rows]

    def waiting_since(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_WAITING, {"queue": queue, "cutoff": cutoff, "limit": limit})
        return [self._load(r) for r in rows]

    def queue_position(self, ticket: Ticket) -> int:
        if ticket.queue in lines.sla_queues(self._conn):
            return lines.due_position(self._conn, ticket)
        return self._priority_position(ticket)

    def _priority_position(self, ticket: Ticket) -> int:
        """Higher priorities from the kept depths, then the ticket's own priority counted from
        the nearer end: at most half of it is walked, none of it for a new ticket."""
        params: dict[str, Any] = {
            "priority": int(ticket.effective_priority), "queue_order": ticket.queue_order,
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

    def queue_positions(self, tickets: Sequence[Ticket]) -> dict[int, int]:
        lined = lines.sla_queues(self._conn)
        found = places.places(self._conn, [k.id for k in tickets if k.queue not in lined])
        for ticket in tickets:
            if ticket.queue in lined and ticket.status is TicketStatus.QUEUED:
                found[ticket.id] = lines.due_position(self._conn, ticket)
        return found

    def holds_due(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_HOLDS_DUE, {"queue": queue, "cutoff": cutoff, "limit": limit})
        return [self._load(r) for r in rows]

    def orphans(self, limit: int) -> list[Ticket]:
        rows = self._conn.execute(_ORPHANS, {"limit": limit})
        return [self._load(r) for r in rows]

    def queued_times(self, queue: str, limit: int) -> list[datetime]:
        rows = self._conn.execute(_QUEUED_TIMES, {"queue": queue, "limit": limit})
        return [r[0] for r in rows if r[0] is not None]

    def count_unanswered(self, queue: str, since: datetime, before: datetime) -> int:
        params = {"queue": queue, "since": since, "before": before}
        return int(self._conn.execute(_UNANSWERED, params).scalar_one())

    def depths(self) -> dict[str, int]:
        return {str(q): int(n) for q, n in self._conn.execute(_DEPTHS) if n}

    def flag_counts(self) -> dict[tuple[str, TicketFlag], int]:
        return {(str(q), TicketFlag(f)): int(n) for q, f, n in self._conn.execute(_FLAG_COUNTS)}

    def held_counts(self) -> dict[tuple[int, str], tuple[int, int]]:
        found: dict[tuple[int, str], tuple[int, int]] = {}
        for agent_id, queue, status, n in self._conn.execute(_HELD_COUNTS):
            assigned, working = found.get((agent_id, queue), (0, 0))
            if status == TicketStatus.ASSIGNED.value:
                assigned += int(n)
            else:
                working += int(n)
            found[(int(agent_id), str(queue))] = (assigned, working)
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

    def for_contacts(self, contacts: Collection[str], limit: int,
                     offset: int = 0) -> tuple[list[Ticket], int]:
        if not contacts:
            return [], 0
        wanted = {"contacts": sorted(set(contacts))}
        rows = self._conn.execute(_FOR_CONTACTS, {**wanted, "limit": limit, "offset": offset})
        found = [self._load(r) for r in rows]
        return found, self._conn.execute(_COUNT_FOR_CONTACTS, wanted).scalar_one()

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
        queued = query.status is TicketStatus.QUEUED
        order = (lines.line(self._conn, query.queue, _QUEUE_ORDER) if queued else
                 _FLAG_ORDER if query.flagged else (t.tickets.c.id,))
        rows = self._conn.execute(
            select(t.tickets).where(*_filters(query)).order_by(*order)
            .limit(query.limit).offset(query.offset)
        )
        return [self._load(r) for r in rows]

    def count(self, query: TicketFilter) -> int:
        return int(self._conn.execute(
            select(func.count()).select_from(t.tickets).where(*_filters(query))
        ).scalar_one())

    def listing(self, query: TicketFilter) -> TicketListing:
        return listing.listing(self._conn, self._load, query)

    def _first(self, stmt: Select[Any], params: dict[str, Any]) -> Ticket | None:
        row = self._conn.execute(stmt, params).first()
        return self._load(row) if row else None

    def _load(self, row: Row[Any]) -> Ticket:
        known = self._seen.get(row.id)
        if known is not None:
            return known
        ticket = TICKET.load(row)
        self._seen[ticket.id] = ticket
        return ticket


def _filters(query: TicketFilter) -> list[ColumnElement[bool]]:
    return listing.filters(query)
