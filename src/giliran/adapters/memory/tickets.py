"""Tickets in memory, with the indexes that keep every query the dispatcher and the timer pass
ask as cheap as its answer: the queued tickets of each queue in queue order, the active ones,
each agent's, by external id and by contact."""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from giliran.adapters.memory import listing
from giliran.adapters.memory.journal import clone
from giliran.domain.errors import ContactHasOpenTicket, DuplicateExternalId
from giliran.domain.model import Priority, Ticket, TicketFlag, TicketStatus, WaitingOrder
from giliran.service.ports import TicketFilter, TicketListing

if TYPE_CHECKING:
    from giliran.adapters.memory.state import QueueKey, Session

QUEUED = TicketStatus.QUEUED
ASSIGNED = TicketStatus.ASSIGNED
ON_HOLD = TicketStatus.ON_HOLD


class InMemoryTicketRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._s = session.state
        self._j = session.journal
        self._seen = session.tickets

    def add(self, ticket: Ticket) -> Ticket:
        if ticket.external_id is not None and ticket.external_id in self._s.external_ids:
            raise DuplicateExternalId(f"external_id {ticket.external_id!r} exists")
        if ticket.contact is not None and not ticket.status.is_final \
                and not ticket.contact_shared and self._unshared_open(ticket.contact):
            raise ContactHasOpenTicket(f"{ticket.contact!r} has an open ticket")
        ticket.id = self._s.next_id("tickets")
        self._store(None, ticket)
        self._seen[ticket.id] = ticket
        return ticket

    def save(self, ticket: Ticket) -> None:
        self._store(self._s.tickets.get(ticket.id), ticket)
        self._seen[ticket.id] = ticket

    def _store(self, old: Ticket | None, ticket: Ticket) -> None:
        """Keep a copy of its own, and the indexes."""
        s, j, new = self._s, self._j, clone(ticket)
        j.put(s.tickets, new.id, new)
        if old is None or old.status is not new.status or old.queue != new.queue \
                or old.queue_key != new.queue_key:
            if old is not None and old.status is QUEUED:
                j.remove(s.queued[old.queue], old.queue_key)
            if new.status is QUEUED:
                if new.queue not in s.queued:
                    j.put(s.queued, new.queue, [])
                j.insort(s.queued[new.queue], new.queue_key)
        if old is None or old.status is not new.status or old.queue != new.queue \
                or old.assigned_at != new.assigned_at:
            if old is not None and old.status is ASSIGNED and old.assigned_at is not None:
                j.remove(s.assigned[old.queue], (old.assigned_at, old.id))
            if new.status is ASSIGNED and new.assigned_at is not None:
                if new.queue not in s.assigned:
                    j.put(s.assigned, new.queue, [])
                j.insort(s.assigned[new.queue], (new.assigned_at, new.id))
        # `active` and `held` hold the tickets held by an agent, on hold too (SQL's HELD_ROWS).
        was = old is not None and old.status.is_held
        if was != new.status.is_held or (was and old is not None
                                          and old.agent_id != new.agent_id):
            if was and old is not None:
                j.drop(s.active, old.id)
                j.drop(s.held.get(old.agent_id or 0, {}), old.id)
            if new.status.is_held:
                j.put(s.active, new.id, None)
                if new.agent_id not in s.held:
                    j.put(s.held, new.agent_id or 0, {})
                j.put(s.held[new.agent_id or 0], new.id, None)
        if new.external_id is not None and (old is None or old.external_id != new.external_id):
            j.put(s.external_ids, new.external_id, new.id)
        if new.contact is not None and (old is None or old.contact != new.contact):
            if new.contact not in s.contacts:
                j.put(s.contacts, new.contact, {})
            j.put(s.contacts[new.contact], new.id, None)

    def _view(self, ticket_id: int) -> Ticket:
        """The unit of work's copy of a stored ticket."""
        found = self._seen.get(ticket_id)
        if found is None:
            found = self._seen[ticket_id] = clone(self._s.tickets[ticket_id])
        return found

    def get(self, ticket_id: int) -> Ticket | None:
        if ticket_id in self._seen:
            return self._seen[ticket_id]
        return self._view(ticket_id) if ticket_id in self._s.tickets else None

    def many(self, ids: set[int]) -> list[Ticket]:
        return [self._view(i) for i in sorted(ids) if i in self._s.tickets]

    def by_external_id(self, external_id: str) -> Ticket | None:
        found = self._s.external_ids.get(external_id)
        return self._view(found) if found is not None else None

    def existing_external_ids(self, external_ids: set[str]) -> set[str]:
        return {e for e in external_ids if e in self._s.external_ids}

    # The queue.
    def _in_order(self, queue: str | None = None) -> Iterator[QueueKey]:
        if queue is not None:
            return iter(self._s.queued.get(queue, ()))
        waiting = [keys for keys in self._s.queued.values() if keys]
        if len(waiting) <= 1:  # most of the time: merging costs more than the walk
            return iter(waiting[0] if waiting else ())
        return heapq.merge(*waiting)

    def _in_line(self, queue: str | None) -> Iterator[QueueKey]:
        """As `_in_order`, with the queues that serve by SLA due time in their own line."""
        lines = {n: q.waiting_order for n, q in self._s.queues.items()}
        if WaitingOrder.SLA_DUE not in lines.values() or (
                queue is not None and lines.get(queue) is not WaitingOrder.SLA_DUE):
            return self._in_order(queue)
        return self._sorted(queue, lambda name: lines.get(name, WaitingOrder.PRIORITY))

    def _sorted(self, queue: str | None,
                order_of: Callable[[str], WaitingOrder]) -> Iterator[QueueKey]:
        tickets = self._s.tickets
        keys = [k for name, ks in self._s.queued.items() if queue in (None, name) for k in ks]
        keys.sort(key=lambda k: tickets[k[2]].line_key(order_of(tickets[k[2]].queue)))
        return iter(keys)

    def _head(self, keys: Iterator[QueueKey], limit: int, offset: int) -> list[Ticket]:
        tickets = self._s.tickets
        open_ = (k[2] for k in keys if tickets[k[2]].auto_dispatch)
        return [self._view(i) for i in itertools.islice(open_, offset, offset + limit)]

    def queued_head(self, limit: int, offset: int = 0) -> list[Ticket]:
        return self._head(self._in_order(), limit, offset)

    def queued_head_of(self, queue: str, limit: int, offset: int = 0,
                       order: WaitingOrder = WaitingOrder.PRIORITY) -> list[Ticket]:
        keys = (self._sorted(queue, lambda _: order) if order is WaitingOrder.SLA_DUE
                else self._in_order(queue))
        return self._head(keys, limit, offset)

    def queue_position(self, ticket: Ticket) -> int:
        found = self._s.queues.get(ticket.queue)
        if found is not None and found.waiting_order is WaitingOrder.SLA_DUE:
            line = [k[2] for k in self._sorted(ticket.queue, lambda _: WaitingOrder.SLA_DUE)]
            return 1 + line.index(ticket.id) if ticket.id in line else len(line) + 1
        return 1 + bisect.bisect_left(self._s.queued.get(ticket.queue, []), ticket.queue_key)

    def queue_positions(self, tickets: Sequence[Ticket]) -> dict[int, int]:
        stored = (self._s.tickets.get(t.id) for t in tickets)
        return {t.id: self.queue_position(t) for t in stored
                if t is not None and t.status is QUEUED}

    def front_order(self) -> int:
        return min([0, *(k[1] for keys in self._s.queued.values() for k in keys)]) - 1

    def _queued_of(self, queue: str) -> Iterator[Ticket]:
        tickets = self._s.tickets
        return (tickets[k[2]] for k in self._s.queued.get(queue, ()))

    def due_for_aging(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        found = [t for t in self._queued_of(queue) if t.effective_priority < Priority.URGENT
                 and t.priority_since is not None and t.priority_since <= cutoff]
        found.sort(key=lambda t: (t.priority_since, t.id))
        return [self._view(t.id) for t in found[:limit]]

    def waiting_since(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        found = [t for t in self._queued_of(queue) if t.flag is None
                 and t.queued_at is not None and t.queued_at <= cutoff]
        found.sort(key=lambda t: (t.queued_at, t.id))
        return [self._view(t.id) for t in found[:limit]]

    def queued_times(self, queue: str, limit: int) -> list[datetime]:
        return sorted(t.queued_at for t in self._queued_of(queue)
                      if t.queued_at is not None)[:limit]

    def count_unanswered(self, queue: str, since: datetime, before: datetime) -> int:
        return sum(t.queue == queue and t.answered_at is None and since <= t.created_at < before
                   for t in self._s.tickets.values())

    def depths(self) -> dict[str, int]:
        return {q: len(keys) for q, keys in self._s.queued.items() if keys}

    def flag_counts(self) -> dict[tuple[str, TicketFlag], int]:
        found: dict[tuple[str, TicketFlag], int] = {}
        for keys in self._s.queued.values():
            for t in (self._s.tickets[k[2]] for k in keys):
                if t.flag is not None:
                    found[(t.queue, t.flag)] = found.get((t.queue, t.flag), 0) + 1
        return found

    def held_counts(self) -> dict[tuple[int, str], tuple[int, int]]:
        found: dict[tuple[int, str], tuple[int, int]] = {}
        for t in self._active():
            if t.agent_id is None or not t.takes_slot:
                continue
            assigned, working = found.get((t.agent_id, t.queue), (0, 0))
            found[(t.agent_id, t.queue)] = ((assigned + 1, working) if t.status is ASSIGNED
                                            else (assigned, working + 1))
        return found

    # Held tickets.
    def _active(self) -> Iterator[Ticket]:
        tickets = self._s.tickets
        return (tickets[i] for i in self._s.active)

    def overdue(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        found: list[Ticket] = []
        for at, ticket_id in self._s.assigned.get(queue, ()):  # oldest assignment first
            if at > cutoff or len(found) >= limit:
                break
            found.append(self._view(ticket_id))
        return found

    def holds_due(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        found = [t for t in self._active() if t.status is ON_HOLD and t.queue == queue
                 and t.hold_until is not None and t.hold_until <= cutoff]
        found.sort(key=lambda t: (t.hold_until, t.id))
        return [self._view(t.id) for t in found[:limit]]

    def orphans(self, limit: int) -> list[Ticket]:
        agents = self._s.agents

        def orphaned(t: Ticket) -> bool:
            holder = agents.get(t.agent_id or 0)
            return holder is None or not holder.active
        found = sorted(t.id for t in self._active() if orphaned(t))
        return [self._view(i) for i in found[:limit]]

    def held_by(self, agent_id: int) -> list[Ticket]:
        held = sorted(self._s.held.get(agent_id, ()),
                      key=lambda i: self._s.tickets[i].assigned_seq)
        return [self._view(i) for i in held]

    def held_here(self, agent_id: int) -> Iterator[Ticket]:
        """The stored held tickets of an agent (for the agents' eligibility, which counts
        those that take a slot: Queue.counts)."""
        tickets = self._s.tickets
        return (tickets[i] for i in self._s.held.get(agent_id, ()))

    # By contact.
    def open_for_contact(self, contact: str) -> Ticket | None:
        tickets = self._s.tickets
        found = [i for i in self._s.contacts.get(contact, ()) if not tickets[i].status.is_final]
        return self._view(max(found)) if found else None

    def _unshared_open(self, contact: str) -> bool:
        tickets = self._s.tickets
        return any(not tickets[i].status.is_final and not tickets[i].contact_shared
                   for i in self._s.contacts.get(contact, ()))

    def for_contact(self, contact: str, limit: int) -> list[Ticket]:
        found = sorted(self._s.contacts.get(contact, ()), reverse=True)[:limit]
        return [self._view(i) for i in found]

    def for_contacts(self, contacts: Collection[str], limit: int,
                     offset: int = 0) -> tuple[list[Ticket], int]:
        found = sorted({i for c in set(contacts) for i in self._s.contacts.get(c, ())},
                       reverse=True)
        return [self._view(i) for i in found[offset:offset + limit]], len(found)

    # Lists.
    def search(self, query: TicketFilter) -> Sequence[Ticket]:
        if query.status is QUEUED:
            keys: Iterator[QueueKey] = self._in_line(query.queue)
            tickets = self._s.tickets
            found = [k[2] for k in keys if _matches(tickets[k[2]], query)]
        else:
            matching = [t for t in self._s.tickets.values() if _matches(t, query)]
            if query.flagged:  # the longest flagged first, as SQL
                matching.sort(key=lambda t: (t.flagged_at or datetime.min.replace(tzinfo=UTC),
                                             t.id))
            found = [t.id for t in matching]
        return [self._view(i) for i in found[query.offset:query.offset + query.limit]]

    def listing(self, query: TicketFilter) -> TicketListing:
        found = listing.listing(self._s, query)
        return TicketListing([replace(row, ticket=self._view(row.ticket.id))
                              for row in found.rows], found.total)

    def count(self, query: TicketFilter) -> int:
        if query == TicketFilter(status=QUEUED, queue=query.queue, limit=query.limit,
                                 offset=query.offset):
            if query.queue is not None:
                return len(self._s.queued.get(query.queue, ()))
            return sum(len(keys) for keys in self._s.queued.values())
        return sum(_matches(t, query) for t in self._s.tickets.values())


def _matches(ticket: Ticket, query: TicketFilter) -> bool:
    return listing.matches_filter(ticket, query)
