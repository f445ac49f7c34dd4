"""In-memory twins of the SQL repositories, for unit tests and the simulator.

The contract suite runs the same tests against these and the SQL ones, which keeps them honest.
A writing unit of work works on a copy of the store and swaps it in on commit, so a failed use
case leaves nothing behind, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from giliran.adapters import memory_listing
from giliran.adapters.memory_conversation import (
    ConversationState,
    InMemoryCustomerRepository,
    InMemoryMessageRepository,
)
from giliran.adapters.memory_ledger import (
    InMemoryAuditRepository,
    InMemoryPresenceLogRepository,
    LedgerState,
)
from giliran.domain.delivery import Attempts, Delivery, DeliveryStatus, Webhook, is_due
from giliran.domain.eligibility import is_eligible, open_to, serves
from giliran.domain.errors import DuplicateExternalId
from giliran.domain.events import Event
from giliran.domain.model import (
    DEFAULT_QUEUE,
    Agent,
    HistoryEntry,
    Presence,
    Priority,
    Queue,
    StrategyName,
    Ticket,
    TicketStatus,
)
from giliran.domain.notices import ChatLink, Notice
from giliran.service.ports import (
    AgentRepository,
    AuditRepository,
    ChatLinkRepository,
    CommitObserver,
    CustomerRepository,
    DeliveryRepository,
    EventRepository,
    HistoryFilter,
    HistoryRepository,
    MessageRepository,
    NoticeRepository,
    PresenceLogRepository,
    QueueRepository,
    RateLimitRepository,
    SettingsRepository,
    TicketFilter,
    TicketListing,
    TicketRepository,
    WebhookRepository,
)

Sent = TypeVar("Sent", bound=Attempts)


@dataclass
class MemoryState:
    agents: dict[int, Agent] = field(default_factory=dict)
    token_hashes: dict[str, int] = field(default_factory=dict)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    queues: dict[str, Queue] = field(
        default_factory=lambda: {DEFAULT_QUEUE: Queue(DEFAULT_QUEUE, StrategyName.ROUND_ROBIN)}
    )
    seq: int = 0
    settings: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    conversation: ConversationState = field(default_factory=ConversationState)
    ledger: LedgerState = field(default_factory=LedgerState)
    notices: dict[int, Notice] = field(default_factory=dict)
    chat_links: dict[int, ChatLink] = field(default_factory=dict)
    link_codes: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    rate_limits: dict[str, tuple[int, int]] = field(default_factory=dict)  # window, hits
    # The last id given out per table: ids are never reused, even after a prune (as in SQL).
    last_ids: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]


class InMemoryAgentRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def add(self, agent: Agent, token_hash: str) -> Agent:
        agent.id = max(self._s.agents, default=0) + 1
        self._s.agents[agent.id] = agent
        self._s.token_hashes[token_hash] = agent.id
        return agent

    def get(self, agent_id: int) -> Agent | None:
        return self._s.agents.get(agent_id)

    def by_token_hash(self, token_hash: str) -> Agent | None:
        agent_id = self._s.token_hashes.get(token_hash)
        return self._s.agents.get(agent_id) if agent_id is not None else None

    def all(self) -> list[Agent]:
        return sorted(self._s.agents.values(), key=lambda a: (a.rotation_order, a.id))

    def save(self, agent: Agent) -> None:
        self._s.agents[agent.id] = agent

    def eligible(self, queue: Queue, ordering: tuple[str, ...], limit: int | None) -> list[Agent]:
        found = sorted(
            (a for a in self._s.agents.values() if is_eligible(a) and open_to(queue.name, a)
             and queue.has_room_for(self._held_here(a.id, queue))),
            key=lambda a: tuple(getattr(a, f) for f in ordering),
        )
        return found if limit is None else found[:limit]

    def _held_here(self, agent_id: int, queue: Queue) -> int:
        return sum(t.agent_id == agent_id and t.queue == queue.name and queue.counts(t)
                   for t in self._s.tickets.values())

    def members(self, queue: str) -> list[Agent]:
        return [a for a in self.all() if a.active and serves(queue, a)]

    def count_members(self, queue: str, excluding: frozenset[int]) -> int:
        return sum(a.active and a.auto_assign and serves(queue, a) and a.id not in excluding
                   for a in self._s.agents.values())

    def silent_since(self, cutoff: datetime, limit: int) -> list[Agent]:
        silent = [a for a in self._s.agents.values() if a.presence is not Presence.OFFLINE
                  and (a.last_seen_at is None or a.last_seen_at <= cutoff)]
        never = [a for a in silent if a.last_seen_at is None]
        seen = sorted((a for a in silent if a.last_seen_at is not None),
                      key=lambda a: (a.last_seen_at, a.id))
        return (never + seen)[:limit]


class InMemoryTicketRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def add(self, ticket: Ticket) -> Ticket:
        if ticket.external_id is not None and self.by_external_id(ticket.external_id):
            raise DuplicateExternalId(f"external_id {ticket.external_id!r} exists")
        ticket.id = max(self._s.tickets, default=0) + 1
        self._s.tickets[ticket.id] = ticket
        return ticket

    def get(self, ticket_id: int) -> Ticket | None:
        return self._s.tickets.get(ticket_id)

    def many(self, ids: set[int]) -> list[Ticket]:
        return [self._s.tickets[i] for i in sorted(ids) if i in self._s.tickets]

    def by_external_id(self, external_id: str) -> Ticket | None:
        return next(
            (t for t in self._s.tickets.values() if t.external_id == external_id), None
        )

    def save(self, ticket: Ticket) -> None:
        self._s.tickets[ticket.id] = ticket

    def queued_head(self, limit: int, offset: int = 0) -> list[Ticket]:
        open_to_dispatch = (t for t in self._queued() if t.auto_dispatch)
        return sorted(open_to_dispatch, key=lambda t: t.queue_key)[offset:offset + limit]

    def due_for_aging(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        found = [t for t in self._queued() if t.queue == queue and t.priority < Priority.URGENT
                 and t.priority_since is not None and t.priority_since <= cutoff]
        return sorted(found, key=lambda t: (t.priority_since, t.id))[:limit]

    def orphans(self, limit: int) -> list[Ticket]:
        def orphaned(t: Ticket) -> bool:
            holder = self._s.agents.get(t.agent_id or 0)
            return holder is None or not holder.active
        found = [t for t in self._s.tickets.values() if t.status.is_active and orphaned(t)]
        return sorted(found, key=lambda t: t.id)[:limit]

    def oldest_queued_at(self, queue: str) -> datetime | None:
        return min((t.queued_at for t in self._queued() if t.queue == queue
                    and t.queued_at is not None), default=None)

    def existing_external_ids(self, external_ids: set[str]) -> set[str]:
        return {t.external_id for t in self._s.tickets.values()
                if t.external_id is not None and t.external_id in external_ids}

    def open_for_contact(self, contact: str) -> Ticket | None:
        found = [t for t in self._s.tickets.values()
                 if t.contact == contact and not t.status.is_final]
        return max(found, key=lambda t: t.id, default=None)

    def for_contact(self, contact: str, limit: int) -> list[Ticket]:
        found = [t for t in self._s.tickets.values() if t.contact == contact]
        return sorted(found, key=lambda t: -t.id)[:limit]

    def front_order(self) -> int:
        return min([0, *(t.queue_order for t in self._queued())]) - 1

    def queued_head_of(self, queue: str, limit: int, offset: int = 0) -> list[Ticket]:
        return [t for t in self.queued_head(10**9) if t.queue == queue][offset:offset + limit]

    def overdue(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        found = [t for t in self._s.tickets.values()
                 if t.status is TicketStatus.ASSIGNED and t.queue == queue
                 and t.assigned_at is not None and t.assigned_at <= cutoff]
        return sorted(found, key=lambda t: (t.assigned_at, t.id))[:limit]

    def waiting_since(self, queue: str, cutoff: datetime, limit: int) -> list[Ticket]:
        found = [t for t in self._queued() if t.queue == queue and t.flag is None
                 and t.queued_at is not None and t.queued_at <= cutoff]
        return sorted(found, key=lambda t: (t.queued_at, t.id))[:limit]

    def queue_position(self, ticket: Ticket) -> int:
        return 1 + sum(t.queue_key < ticket.queue_key for t in self._queued()
                       if t.queue == ticket.queue)

    def held_by(self, agent_id: int) -> list[Ticket]:
        held = (t for t in self._s.tickets.values()
                if t.agent_id == agent_id and t.status.is_active)
        return sorted(held, key=lambda t: t.assigned_seq)

    def search(self, query: TicketFilter) -> Sequence[Ticket]:
        found = [t for t in self._s.tickets.values() if _matches(t, query)]
        if query.status is TicketStatus.QUEUED:
            found.sort(key=lambda t: t.queue_key)
        else:
            found.sort(key=lambda t: t.id)
        return found[query.offset:query.offset + query.limit]

    def count(self, query: TicketFilter) -> int:
        return sum(_matches(t, query) for t in self._s.tickets.values())

    def listing(self, query: TicketFilter) -> TicketListing:
        return memory_listing.listing(self._s, query)

    def _queued(self) -> list[Ticket]:
        return [t for t in self._s.tickets.values() if t.status is TicketStatus.QUEUED]


class InMemoryHistoryRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def append(self, entry: HistoryEntry) -> None:
        self._s.history.append(replace(entry, id=len(self._s.history) + 1))

    def for_ticket(self, ticket_id: int) -> list[HistoryEntry]:
        return [e for e in self._s.history if e.ticket_id == ticket_id]

    def for_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[HistoryEntry]]:
        found: dict[int, list[HistoryEntry]] = {tid: [] for tid in ticket_ids}
        for e in self._s.history:
            if e.ticket_id in found:
                found[e.ticket_id].append(e)
        return found

    def search(self, query: HistoryFilter) -> list[HistoryEntry]:
        found = [e for e in self._s.history if self._matches(e, query)]
        if query.newest_first:
            found.reverse()
        return found[query.offset:query.offset + query.limit]

    def count(self, query: HistoryFilter) -> int:
        return sum(self._matches(e, query) for e in self._s.history)

    def _matches(self, e: HistoryEntry, q: HistoryFilter) -> bool:
        ticket = self._s.tickets.get(e.ticket_id)
        return (
            e.id > q.after_id
            and (q.ticket_id is None or e.ticket_id == q.ticket_id)
            and (q.agent_id is None or q.agent_id in (e.from_agent_id, e.to_agent_id))
            and (q.reason is None or e.reason.value == q.reason)
            and (q.event is None or e.event == q.event)
            and (q.queue is None or (ticket is not None and ticket.queue == q.queue))
            and (q.since is None or e.at >= q.since)
            and (q.until is None or e.at < q.until)
        )


class InMemoryQueueRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def add(self, queue: Queue) -> Queue:
        self._s.queues[queue.name] = queue
        return queue

    def get(self, name: str) -> Queue | None:
        return self._s.queues.get(name)

    def all(self) -> list[Queue]:
        return [self._s.queues[name] for name in sorted(self._s.queues)]

    def save(self, queue: Queue) -> None:
        self._s.queues[queue.name] = queue

    def move_pointer(self, name: str, agent_id: int | None) -> None:
        self._s.queues[name].next_agent_id = agent_id


class InMemoryEventRepository:
    """Records the events a use case appends itself (conversation messages); the SQL unit of
    work also derives ticket, agent and queue events from what it commits, which this store
    does not yet do."""

    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def append(self, event: Event) -> None:
        self._s.events.append(replace(event, id=self._s.next_id("events")))

    def after(self, event_id: int, limit: int) -> list[Event]:
        return [e for e in self._s.events if e.id > event_id][:limit]

    def bounds(self) -> tuple[int, int]:
        ids = [e.id for e in self._s.events]
        return (min(ids), max(ids)) if ids else (0, 0)

    def prune(self, before: datetime) -> int:
        kept = [e for e in self._s.events if e.at >= before]
        removed = len(self._s.events) - len(kept)
        self._s.events = kept
        return removed


class InMemoryWebhookRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def add(self, webhook: Webhook) -> Webhook:
        webhook.id = self._s.next_id("webhooks")
        self._s.webhooks[webhook.id] = webhook
        return webhook

    def get(self, webhook_id: int) -> Webhook | None:
        return self._s.webhooks.get(webhook_id)

    def all(self) -> list[Webhook]:
        return [self._s.webhooks[i] for i in sorted(self._s.webhooks)]

    def save(self, webhook: Webhook) -> None:
        self._s.webhooks[webhook.id] = webhook


class InMemoryDeliveryRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def add_many(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            delivery.id = self._s.next_id("deliveries")
            self._s.deliveries[delivery.id] = delivery

    def get(self, delivery_id: int) -> Delivery | None:
        return self._s.deliveries.get(delivery_id)

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        return _due(self._s.deliveries, now, limit)

    def save(self, delivery: Delivery) -> None:
        self._s.deliveries[delivery.id] = delivery

    def search(self, status: DeliveryStatus | None, webhook_id: int | None, limit: int,
               offset: int) -> tuple[list[Delivery], int]:
        found = [d for i, d in sorted(self._s.deliveries.items())
                 if (status is None or d.status is status)
                 and (webhook_id is None or d.webhook_id == webhook_id)]
        return found[offset:offset + limit], len(found)

    def prune_delivered(self, before: datetime) -> int:
        return _prune_delivered(self._s.deliveries, before)


class InMemoryNoticeRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def add(self, notice: Notice) -> bool:
        if self.exists(notice.key):
            return False
        notice.id = self._s.next_id("notices")
        self._s.notices[notice.id] = notice
        return True

    def exists(self, key: str) -> bool:
        return any(n.key == key for n in self._s.notices.values())

    def by_sent_id(self, chat_id: str, sent_id: str) -> Notice | None:
        found = [n for _, n in sorted(self._s.notices.items())
                 if n.chat_id == chat_id and n.sent_id == sent_id]
        return found[-1] if found else None

    def get(self, notice_id: int) -> Notice | None:
        return self._s.notices.get(notice_id)

    def due(self, now: datetime, limit: int) -> list[Notice]:
        return _due(self._s.notices, now, limit)

    def save(self, notice: Notice) -> None:
        self._s.notices[notice.id] = notice

    def search(self, status: DeliveryStatus | None, limit: int,
               offset: int) -> tuple[list[Notice], int]:
        found = [n for _, n in sorted(self._s.notices.items())
                 if status is None or n.status is status]
        return found[offset:offset + limit], len(found)

    def prune_delivered(self, before: datetime) -> int:
        return _prune_delivered(self._s.notices, before)


class InMemoryChatLinkRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def link(self, link: ChatLink) -> None:
        for agent_id in [a for a, k in self._s.chat_links.items() if k.chat_id == link.chat_id]:
            del self._s.chat_links[agent_id]
        self._s.chat_links[link.agent_id] = link

    def for_agent(self, agent_id: int) -> ChatLink | None:
        return self._s.chat_links.get(agent_id)

    def for_chat(self, chat_id: str) -> ChatLink | None:
        return next((k for k in self._s.chat_links.values() if k.chat_id == chat_id), None)

    def unlink(self, agent_id: int) -> bool:
        return self._s.chat_links.pop(agent_id, None) is not None

    def any(self) -> bool:
        return bool(self._s.chat_links)

    def add_code(self, code_hash: str, agent_id: int, expires_at: datetime) -> None:
        self._s.link_codes[code_hash] = (agent_id, expires_at)

    def take_code(self, code_hash: str, now: datetime) -> int | None:
        found = self._s.link_codes.pop(code_hash, None)
        for code in [c for c, (_, until) in self._s.link_codes.items() if until <= now]:
            del self._s.link_codes[code]
        return found[0] if found is not None and found[1] > now else None


class InMemorySettingsRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def get(self, name: str) -> str | None:
        return self._s.settings.get(name)

    def put(self, name: str, value: str) -> None:
        self._s.settings[name] = value


class InMemoryRateLimitRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def hit(self, key: str, window_start: int) -> int:
        window, hits = self._s.rate_limits.get(key, (window_start, 0))
        hits = hits + 1 if window == window_start else 1
        self._s.rate_limits[key] = (window_start, hits)
        return hits

    def prune(self, before: int) -> int:
        gone = [k for k, (window, _) in self._s.rate_limits.items() if window < before]
        for key in gone:
            del self._s.rate_limits[key]
        return len(gone)


class InMemoryUnitOfWork:
    agents: AgentRepository
    tickets: TicketRepository
    history: HistoryRepository
    queues: QueueRepository
    settings: SettingsRepository
    events: EventRepository
    webhooks: WebhookRepository
    deliveries: DeliveryRepository
    messages: MessageRepository
    customers: CustomerRepository
    notices: NoticeRepository
    chat_links: ChatLinkRepository
    rate_limits: RateLimitRepository
    audit: AuditRepository
    presence_log: PresenceLogRepository

    def __init__(self, store: InMemoryStore, *, write: bool) -> None:
        self._store = store
        self._write = write
        self._history_mark = 0

    def __enter__(self) -> Self:
        if self._write:
            self._store.lock.acquire()
        # Committed states are never mutated (writers swap in a new one), so readers share it.
        self._state = copy.deepcopy(self._store.state) if self._write else self._store.state
        self._history_mark = len(self._state.history)
        self.agents = InMemoryAgentRepository(self._state)
        self.tickets = InMemoryTicketRepository(self._state)
        self.history = InMemoryHistoryRepository(self._state)
        self.queues = InMemoryQueueRepository(self._state)
        self.settings = InMemorySettingsRepository(self._state)
        self.events = InMemoryEventRepository(self._state)
        self.webhooks = InMemoryWebhookRepository(self._state)
        self.deliveries = InMemoryDeliveryRepository(self._state)
        self.messages = InMemoryMessageRepository(self._state.conversation)
        self.customers = InMemoryCustomerRepository(self._state.conversation)
        self.notices = InMemoryNoticeRepository(self._state)
        self.chat_links = InMemoryChatLinkRepository(self._state)
        self.rate_limits = InMemoryRateLimitRepository(self._state)
        self.audit = InMemoryAuditRepository(self._state.ledger)
        self.presence_log = InMemoryPresenceLogRepository(self._state.ledger)
        return self

    def lock_floor(self) -> None:
        """A writer holds the store's lock from the start: nothing to add."""

    def next_seq(self) -> int:
        self._state.seq += 1
        return self._state.seq

    def commit(self) -> None:
        if not self._write:
            raise RuntimeError("commit in a read-only unit of work")
        self._store.state = self._state
        written = self._state.history[self._history_mark:]
        self._state = copy.deepcopy(self._state)
        self._history_mark = len(self._state.history)
        for observer in self._store.observers:  # as the SQL unit of work tells its observers
            observer.committed(written)

    def rollback(self) -> None:
        self._state = copy.deepcopy(self._store.state)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._write:
            self._store.lock.release()


class InMemoryStore:
    """The in-memory database; call it like a UnitOfWorkFactory."""

    def __init__(self) -> None:
        self.state = MemoryState()
        self.lock = threading.Lock()
        self.observers: list[CommitObserver] = []

    def __call__(self, *, write: bool, defer_lock: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, write=write)




def _due(items: dict[int, Sent], now: datetime, limit: int) -> list[Sent]:
    found = [(item.next_attempt_at, key) for key, item in items.items() if is_due(item, now)]
    return [items[key] for _, key in sorted(found)[:limit]]


def _prune_delivered(items: dict[int, Sent], before: datetime) -> int:
    gone = [key for key, item in items.items()
            if item.status is DeliveryStatus.DELIVERED and item.delivered_at is not None
            and item.delivered_at < before]
    for key in gone:
        del items[key]
    return len(gone)


def _matches(ticket: Ticket, query: TicketFilter) -> bool:
    return memory_listing.matches_filter(ticket, query)
