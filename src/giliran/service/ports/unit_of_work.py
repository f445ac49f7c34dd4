"""The unit of work and what surrounds it: the clock, the roster of repositories a unit of work
holds, the commit signal, and the factory a use case opens units of work with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from giliran.domain.events import Event
from giliran.domain.model import HistoryEntry
from giliran.service.ports import conversation, floor, outgoing, people, records, sla
from giliran.service.ports import tickets as ticketing  # `tickets` is a repository below

BATCH = 100  # rows a timer pass claims per transaction


class Clock(Protocol):
    def now(self) -> datetime: ...


class DestinationCheck(Protocol):
    def check(self, url: str) -> None:
        """Raise DestinationNotAllowed when an outgoing webhook may not go to `url`."""


class Repositories(Protocol):
    """The roster: every repository a unit of work holds, by name, declared once. The
    UnitOfWork port extends it, and both units of work (adapters/sql/uow.py,
    adapters/memory/uow.py) inherit it and make their repositories from a table keyed by these
    names, so adding a repository is this line and one line in each table (a contract test
    checks that each unit of work makes exactly the roster)."""

    agents: floor.AgentRepository
    tickets: ticketing.TicketRepository
    history: ticketing.HistoryRepository
    queues: floor.QueueRepository
    schedules: floor.ScheduleRepository
    settings: floor.SettingsRepository
    events: outgoing.EventRepository
    webhooks: outgoing.WebhookRepository
    deliveries: outgoing.DeliveryRepository
    messages: conversation.MessageRepository
    customers: conversation.CustomerRepository
    notices: outgoing.NoticeRepository
    chat_links: outgoing.ChatLinkRepository
    rate_limits: records.RateLimitRepository
    audit: records.AuditRepository
    presence_log: floor.PresenceLogRepository
    daybook: floor.DaybookRepository
    users: people.UserRepository
    api_tokens: people.TokenRepository
    sessions: people.SessionRepository
    reads: conversation.ReadStateRepository
    canned_replies: conversation.CannedReplyRepository
    sla_policies: sla.SlaPolicyRepository
    sla_clocks: sla.SlaClockRepository


REPOSITORIES: tuple[str, ...] = tuple(Repositories.__annotations__)


class UnitOfWork(Repositories, Protocol):
    """One transaction. Writers are serialized by the database (BEGIN IMMEDIATE on SQLite, a
    transaction-scoped advisory lock on PostgreSQL); readers never block them."""

    def lock_floor(self) -> None:
        """Serialize with every other writer from here on (idempotent). A writing unit of work
        holds this from its start unless opened with `defer_lock=True`, for work that touches
        no shared row first (inserting a new ticket)."""
        ...

    def next_seq(self) -> int:
        """A strictly increasing number that orders assignments (the rotation's clock)."""
        ...

    def record(self, event: Event) -> None:
        """The event of a change, recorded by the use case where it makes the change: written
        with the commit, in the same transaction, in the order recorded."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@dataclass(frozen=True)
class Committed:
    """What one commit tells the process's subscribers, once it is durable: "events up to N"
    (and the history that came with them), and whether a sender has work. Heard from another
    process (PostgreSQL NOTIFY), it knows neither N nor the history: read what is new."""

    events_upto: int | None = None  # the last event id it wrote; None: none, or not known
    entries: Sequence[HistoryEntry] = ()  # the history it wrote (this process's commits)
    # A sender has work whether or not anyone subscribes to events: a notice or a delivery
    # awaits its first attempt (a reply to a customer, an admin's retry), or, heard from a
    # process that sends nothing itself, its events and notices wait for a sender.
    outgoing: bool = False
    here: bool = True  # committed by this process

    @property
    def moved(self) -> bool:
        """Whether there may be events to read."""
        return self.events_upto is not None or not self.here

    def gives_work(self, listening: bool) -> bool:
        """Whether a sender of this process should look now: work queued, or (when anyone
        subscribes to events, `listening`) this process's events to fan out. Another process's
        events are its own senders' (Wake.EVENTS in adapters/sql/wakeup.py): racing them for
        every commit would only make the replicas' senders contend."""
        return self.outgoing or (listening and self.here and self.events_upto is not None)


Subscriber = Callable[[Committed], None]


class CommitSignal(Protocol):
    """The one path from a commit to whatever must react to it in this process (the event
    hub, the senders, the metrics): units of work publish after commit, other processes'
    commits arrive through the same signal. Subscribers run in the publishing thread, must be
    quick and must not raise (they cannot undo the commit)."""

    def publish(self, commit: Committed) -> None: ...

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Hear every commit from now on; the result unsubscribes."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool, defer_lock: bool = False) -> UnitOfWork: ...
