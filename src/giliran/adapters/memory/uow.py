"""The in-memory unit of work and store: for unit tests and the simulator.

A unit of work changes the store in place and writes each change in its journal; a rollback
(or leaving without a commit) plays the journal backwards, so a failed use case leaves nothing
behind, as a rolled-back transaction would. Rows are handed out as copies, one per row per unit
of work (an identity map, as SQL's), and stored as copies, so nothing outside the store can
change what it holds. One lock serializes units of work, readers included. A commit writes
the events its use case recorded (as SQL does) and then tells the subscribers of its signal
what it committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from giliran.adapters.clock import SystemClock
from giliran.adapters.memory.agents import InMemoryAgentRepository, InMemoryQueueRepository
from giliran.adapters.memory.conversation import (
    InMemoryCannedReplyRepository,
    InMemoryCustomerRepository,
    InMemoryMessageRepository,
    InMemoryReadStateRepository,
)
from giliran.adapters.memory.daybook import InMemoryDaybookRepository
from giliran.adapters.memory.ledger import InMemoryAuditRepository, InMemoryPresenceLogRepository
from giliran.adapters.memory.outbox import (
    InMemoryChatLinkRepository,
    InMemoryDeliveryRepository,
    InMemoryNoticeRepository,
    InMemoryWebhookRepository,
)
from giliran.adapters.memory.people import (
    InMemorySessionRepository,
    InMemoryTokenRepository,
    InMemoryUserRepository,
)
from giliran.adapters.memory.records import (
    InMemoryEventRepository,
    InMemoryHistoryRepository,
    InMemoryRateLimitRepository,
    InMemorySettingsRepository,
)
from giliran.adapters.memory.schedules import InMemoryScheduleRepository
from giliran.adapters.memory.sla import InMemorySlaClockRepository, InMemorySlaPolicyRepository
from giliran.adapters.memory.state import MemoryState, Session
from giliran.adapters.memory.tickets import InMemoryTicketRepository
from giliran.adapters.signal import LocalSignal
from giliran.domain import daybook
from giliran.domain.events import Event
from giliran.domain.model import HistoryEntry
from giliran.service.ports import (
    AgentRepository,
    AuditRepository,
    CannedReplyRepository,
    ChatLinkRepository,
    Clock,
    Committed,
    CustomerRepository,
    DaybookRepository,
    DeliveryRepository,
    EventRepository,
    HistoryRepository,
    MessageRepository,
    NoticeRepository,
    PresenceLogRepository,
    QueueRepository,
    RateLimitRepository,
    ReadStateRepository,
    Repositories,
    SessionRepository,
    SettingsRepository,
    SlaClockRepository,
    SlaPolicyRepository,
    TicketRepository,
    TokenRepository,
    UnitOfWorkFactory,
    UserRepository,
    WebhookRepository,
)


class InMemoryUnitOfWork(Repositories):
    _session: Session

    def __init__(self, store: InMemoryStore, *, write: bool) -> None:
        self._store = store
        self._write = write

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        self._session = Session(self._store.state)
        return self

    def __getattr__(self, name: str) -> Any:
        """A repository is made when first asked for: most units of work use few."""
        make = _REPOSITORIES.get(name)
        if make is None or "_session" not in self.__dict__:
            raise AttributeError(name)
        repository = make(self)
        setattr(self, name, repository)
        return repository

    def lock_floor(self) -> None:
        """A unit of work holds the store's lock from the start: nothing to add."""

    def next_seq(self) -> int:
        state = self._session.state
        self._session.journal.set(state, "seq", state.seq + 1)
        return state.seq

    def record(self, event: Event) -> None:
        self.events.append(event)

    def commit(self) -> None:
        if not self._write:
            raise RuntimeError("commit in a read-only unit of work")
        session = self._session
        written = session.written
        agents: InMemoryAgentRepository | None = self.__dict__.get("agents")
        now = written[-1].at if written else (self._store.clock or SystemClock()).now()
        if self._store.daybook:
            self._record_figures(written, agents, now)
        upto = None
        if session.pending_events:
            events = self._events()
            events.flush()
            upto = events.bounds()[1]
        session.journal.forget()
        session.written = []
        queued, session.queued = session.queued, False
        if upto is not None or queued or written:  # as the SQL unit of work publishes
            self._store.signal.publish(Committed(upto, written, outgoing=queued))

    def _record_figures(self, written: list[HistoryEntry],
                        agents: InMemoryAgentRepository | None, now: datetime) -> None:
        """As the SQL unit of work: the day's figures from what it wrote and changed."""
        adds, moved = daybook.of_commit(written, self.tickets.get,
                                        agents.held() if agents is not None else (), now)
        for agent in moved:
            self.agents.save(agent)
        if adds:
            self.daybook.add(adds)

    def _events(self) -> InMemoryEventRepository:
        return InMemoryEventRepository(self._session)  # flushing needs no state of its own

    def rollback(self) -> None:
        session = self._session
        session.journal.undo()
        session.forget_rows()
        session.written = []
        session.pending_events = []
        session.queued = False

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()  # a no-op after a commit; otherwise nothing half-done survives
        finally:
            self._store.lock.release()


# One line per repository of the roster (service/ports/unit_of_work.py `Repositories`).
_REPOSITORIES: dict[str, Callable[[InMemoryUnitOfWork], Any]] = {
    "tickets": lambda u: InMemoryTicketRepository(u._session),
    "agents": lambda u: InMemoryAgentRepository(u._session, _tickets(u)),
    "queues": lambda u: InMemoryQueueRepository(u._session),
    "schedules": lambda u: InMemoryScheduleRepository(u._session.state, u._session.journal),
    "history": lambda u: InMemoryHistoryRepository(u._session),
    "events": lambda u: InMemoryEventRepository(u._session),
    "settings": lambda u: InMemorySettingsRepository(u._session),
    "webhooks": lambda u: InMemoryWebhookRepository(u._session),
    "deliveries": lambda u: InMemoryDeliveryRepository(u._session),
    "messages": lambda u: InMemoryMessageRepository(u._session.state.conversation,
                                                    u._session.journal,
                                                    u._session.state.tickets),
    "customers": lambda u: InMemoryCustomerRepository(u._session.state.conversation,
                                                      u._session.journal),
    "notices": lambda u: InMemoryNoticeRepository(u._session),
    "chat_links": lambda u: InMemoryChatLinkRepository(u._session),
    "rate_limits": lambda u: InMemoryRateLimitRepository(u._session),
    "audit": lambda u: InMemoryAuditRepository(u._session),
    "presence_log": lambda u: InMemoryPresenceLogRepository(u._session),
    "daybook": lambda u: InMemoryDaybookRepository(u._session),
    "users": lambda u: InMemoryUserRepository(u._session),
    "api_tokens": lambda u: InMemoryTokenRepository(u._session),
    "sessions": lambda u: InMemorySessionRepository(u._session),
    "reads": lambda u: InMemoryReadStateRepository(u._session.state.conversation,
                                                   u._session.journal),
    "canned_replies": lambda u: InMemoryCannedReplyRepository(u._session.state.conversation,
                                                              u._session.journal),
    "sla_policies": lambda u: InMemorySlaPolicyRepository(u._session),
    "sla_clocks": lambda u: InMemorySlaClockRepository(u._session),
}


def _tickets(u: InMemoryUnitOfWork) -> InMemoryTicketRepository:
    found = u.tickets
    assert isinstance(found, InMemoryTicketRepository)
    return found


class InMemoryStore:
    """The in-memory database; call it like a UnitOfWorkFactory. `clock` dates the events of
    commits that wrote no history (an agent going online), as the server's clock does."""

    def __init__(self, clock: Clock | None = None, *, daybook: bool = True) -> None:
        """`daybook` False: keep no day's figures (the simulator reads none)."""
        self.daybook = daybook
        self.state = MemoryState()
        self.lock = threading.RLock()
        self.signal = LocalSignal()  # told of every commit, after it
        self.clock = clock

    def __call__(self, *, write: bool, defer_lock: bool = False) -> InMemoryUnitOfWork:
        # As the SQL unit of work: its repositories come from the roster's table, made when
        # first asked for, which mypy cannot see.
        return InMemoryUnitOfWork(self, write=write)  # type: ignore[abstract]


if TYPE_CHECKING:  # mypy checks that each twin keeps its port's contract
    def _conforms(s: Session, t: InMemoryTicketRepository) -> None:
        _t: TicketRepository = t
        _a: AgentRepository = InMemoryAgentRepository(s, t)
        _q: QueueRepository = InMemoryQueueRepository(s)
        _h: HistoryRepository = InMemoryHistoryRepository(s)
        _e: EventRepository = InMemoryEventRepository(s)
        _s: SettingsRepository = InMemorySettingsRepository(s)
        _w: WebhookRepository = InMemoryWebhookRepository(s)
        _d: DeliveryRepository = InMemoryDeliveryRepository(s)
        _m: MessageRepository = InMemoryMessageRepository(s.state.conversation, s.journal)
        _c: CustomerRepository = InMemoryCustomerRepository(s.state.conversation, s.journal)
        _n: NoticeRepository = InMemoryNoticeRepository(s)
        _l: ChatLinkRepository = InMemoryChatLinkRepository(s)
        _r: RateLimitRepository = InMemoryRateLimitRepository(s)
        _u: AuditRepository = InMemoryAuditRepository(s)
        _p: PresenceLogRepository = InMemoryPresenceLogRepository(s)
        _b: DaybookRepository = InMemoryDaybookRepository(s)
        _us: UserRepository = InMemoryUserRepository(s)
        _to: TokenRepository = InMemoryTokenRepository(s)
        _se: SessionRepository = InMemorySessionRepository(s)
        _f: UnitOfWorkFactory = InMemoryStore()
        c, j = s.state.conversation, s.journal
        _rd: ReadStateRepository = InMemoryReadStateRepository(c, j)
        _cr: CannedReplyRepository = InMemoryCannedReplyRepository(c, j)
        _sp: SlaPolicyRepository = InMemorySlaPolicyRepository(s)
        _sc: SlaClockRepository = InMemorySlaClockRepository(s)
