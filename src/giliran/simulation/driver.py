"""One replication of one policy: the desk's traffic driven through the real service layer.

The same use cases the server runs (create, dispatch, accept, complete, cancel, go online and
offline, the timer pass) run over the in-memory store with a virtual clock: no sleeps, no
threads, the same result for the same seed. The driver only plays the people: customers arrive
(and, when impatient, give up), agents come and go with their shifts and lose their connection
now and then, accept what they are given after a while (or never), and finish it. Everything
else (who gets what, escalations, requeues, flags) is the product deciding, and the driver
learns of it the way the server's metrics do: from the history each commit's signal carries.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.domain.errors import GiliranError
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import (
    DEFAULT_QUEUE,
    Clock,
    HistoryEntry,
    Priority,
    Reason,
    TicketStatus,
)
from giliran.domain.people import Role
from giliran.service import runtime
from giliran.service.agents import agents as agent_cases
from giliran.service.assignment import presence, timers
from giliran.service.context import ADMIN, Context, Principal
from giliran.service.events import stream
from giliran.service.ports import Committed, TicketFilter
from giliran.service.queues import admin as queue_admin
from giliran.service.tickets import tickets
from giliran.simulation import opening
from giliran.simulation.scenario import AgentGroup, Policy, Scenario, Sla, typed_settings
from giliran.simulation.traffic import DAY, Arrival

DAY_SECONDS = int(DAY)
HOUR = 3600.0
# What the server keeps by default (GILIRAN_EVENT_RETENTION_HOURS): the store holds no more.
EVENT_RETENTION = timedelta(hours=72)
CLOCKS = {"accept": Clock.ACCEPT, "wait": Clock.WAITING, "aging": Clock.AGING}


class Kind(IntEnum):
    """What happens at a moment; at the same moment, in this order."""

    SHIFT_END = 0
    DISCONNECT = 1
    OFFLINE = 2
    ONLINE = 3
    RECONNECT = 4
    ARRIVAL = 5
    ACCEPT = 6
    COMPLETE = 7
    GIVE_UP = 8
    TICK = 9
    HOUSEKEEPING = 10


@dataclass
class TicketLife:
    arrival: Arrival
    ticket_id: int = 0
    first_assigned: float | None = None
    accepted: float | None = None
    completed: float | None = None
    abandoned: float | None = None
    escalations: int = 0
    flagged: bool = False
    generation: int = 0  # bumped whenever it is taken back: pending accepts/completions lapse
    draws: random.Random | None = None
    queued_since: float | None = None
    queued_seconds: float = 0.0  # every stay in the queue, summed


@dataclass
class AgentLife:
    principal: Principal
    group: AgentGroup
    name: str
    online_since: float | None = None
    online_seconds: float = 0.0
    held: int = 0
    busy_since: float | None = None  # holding at least one ticket
    busy_seconds: float = 0.0
    held_area: float = 0.0  # ∫ held dt over time online
    last_change: float = 0.0
    assignments: int = 0
    shift_on: bool = False  # within its shift
    connected: bool = True

    def move(self, now: float) -> None:
        """Integrate up to `now` before anything about it changes."""
        if self.online_since is not None:
            self.held_area += self.held * (now - self.last_change)
        self.last_change = now


@dataclass(frozen=True)
class Turn:
    """An agent's next step on a ticket, valid while the ticket stays where it was."""

    life: TicketLife
    generation: int
    agent_id: int


@dataclass(frozen=True)
class Drop:
    life: AgentLife
    seconds: float


@dataclass
class Run:
    """What a replication produced, for the report."""

    policy: str
    replication: int
    horizon: float
    tickets: list[TicketLife]
    agents: list[AgentLife]
    queue_area: float  # ∫ tickets waiting dt
    queue_samples: list[tuple[float, int]]  # (seconds, waiting) every sample interval
    orphans: int
    violations: list[str] = field(default_factory=list)
    opening: opening.Hours | None = None  # the queues' opening hours, when any has them
    sla: Sla | None = None  # the first-response target measured


class TooLong(Exception):
    """The run passed its deadline."""


class Driver:
    def __init__(self, scenario: Scenario, policy: Policy, arrivals: Sequence[Arrival],
                 replication: int, *, check: Callable[[InMemoryStore], list[str]] | None = None,
                 sample_seconds: float = 600.0) -> None:
        self.s = scenario
        self.policy = policy
        self.arrivals = arrivals
        self.replication = replication
        self.clock = FakeClock(scenario.start)
        self.store = InMemoryStore(self.clock, daybook=False)  # it reads no day's figures
        self.store.signal.subscribe(self.committed)
        self.ctx = Context(uow=self.store, clock=self.clock, admin_token="simulation-0000000",
                           rng=random.Random(f"{scenario.seed}:{replication}:{policy.name}"),
                           presence_grace_seconds=0)
        self.events: list[tuple[float, int, int, object]] = []
        self._seq = 0
        self.now = 0.0
        self.lives: dict[int, TicketLife] = {}
        self.agents: dict[int, AgentLife] = {}
        self.waiting = 0
        self.queue_area = 0.0
        self._queue_changed = 0.0
        self.samples: list[tuple[float, int]] = []
        self._sample_every = sample_seconds
        self._check = check
        self.violations: list[str] = []
        self._ticks: set[float] = set()
        self.grace = (policy.presence_grace_seconds if policy.presence_grace_seconds is not None
                      else scenario.presence_grace_seconds)
        self.timeouts: dict[str, dict[str, int]] = {}
        self.calendar: dict[str, set[Clock]] = {}  # each queue's clocks that ignore its hours
        self._pending_life: TicketLife | None = None  # the arrival being created
        self.opening = opening.Hours(scenario.start, scenario.days * DAY, {
            q: h.schedule(q) for q, h in scenario.hours_of(policy).items()})

    # Setting up the desk.
    def setup(self) -> None:
        runtime.update_settings(self.ctx, ADMIN, presence_grace_seconds=0)
        with self.store(write=True) as uow:  # the service layer reads them as the server does
            for schedule in self.opening.schedules.values():
                uow.schedules.add(schedule)
            uow.commit()
        for spec in self.s.queues:
            settings = typed_settings({**spec.settings, **self.policy.queues.get(spec.name, {})})
            if spec.name in self.opening.schedules:
                settings["schedule"] = spec.name
            changes = queue_admin.QueueChanges(**settings)
            if spec.name == DEFAULT_QUEUE:
                queue_admin.update_queue(self.ctx, ADMIN, spec.name, changes)
            else:
                queue_admin.create_queue(self.ctx, ADMIN, spec.name, changes)
        for queue in queue_admin.list_queues(self.ctx, ADMIN):
            self.timeouts[queue.name] = {"accept": queue.accept_timeout_seconds,
                                         "wait": queue.max_wait_seconds,
                                         "aging": queue.priority_aging_seconds}
            self.calendar[queue.name] = {CLOCKS[w] for w in CLOCKS
                                         if CLOCKS[w].value in queue.calendar_clocks}
        names = [q.name for q in self.s.queues]
        order = 0
        for g, group in enumerate(self.s.agents):
            for i in range(group.count):
                order += 1
                name = (group.name if group.name and group.count == 1
                        else f"{group.name or f'group {g + 1}'} #{i + 1}")
                agent = agent_cases.create_agent(self.ctx, ADMIN, agent_cases.NewAgent(
                    name=name, max_tickets=(self.policy.max_tickets
                                            if self.policy.max_tickets is not None
                                            else group.max_tickets),
                    rotation_order=order, queues=frozenset(group.queues or names))).agent
                life = AgentLife(Principal(Role.AGENT, agent.id), group, name)
                self.agents[agent.id] = life
                self._plan_shifts(life)
                self._plan_disconnects(life)
        for arrival in self.arrivals:
            self.at(arrival.at, Kind.ARRIVAL, arrival)
        self.at(HOUR, Kind.HOUSEKEEPING, None)
        for name in self.opening.schedules:  # a queue opening: the timer pass runs
            for on, _ in self.opening.spans(name) or []:
                self._schedule_tick(on)

    def _plan_shifts(self, life: AgentLife) -> None:
        """Online for its shifts (or the periods replayed), within its queues' hours."""
        names = life.group.queues or [q.name for q in self.s.queues]
        shifts = self._shifts(life)
        if life.group.follows_hours:
            shifts = self.opening.whole_days(shifts, names)
        periods = self.opening.at_work(shifts, names)
        for on, off in periods:
            self.at(on, Kind.ONLINE, life)
            if off != math.inf:
                self.at(off, Kind.SHIFT_END, life)

    def _shifts(self, life: AgentLife) -> list[tuple[float, float]]:
        shift = life.group.shift
        horizon = self.s.days * DAY
        if life.group.online is not None:
            return [(max(0.0, on), min(off, horizon)) for on, off in life.group.online
                    if min(off, horizon) > max(0.0, on)]
        if shift.covers_whole_day() and len(shift.days) == 7:
            return [(0.0, math.inf)]
        found: list[tuple[float, float]] = []
        start = self.s.start
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        day = 0
        while True:
            date = midnight + timedelta(days=day)
            if (date - start).total_seconds() >= horizon:
                return found
            if date.weekday() in shift.days:
                begins = date.replace(hour=shift.start.hour, minute=shift.start.minute)
                ends = date.replace(hour=shift.end.hour, minute=shift.end.minute)
                if ends <= begins:
                    ends += timedelta(days=1)
                on, off = (begins - start).total_seconds(), (ends - start).total_seconds()
                if off > 0:
                    found.append((max(0.0, on), off))
            day += 1

    def _plan_disconnects(self, life: AgentLife) -> None:
        d = life.group.disconnects
        if d.per_hour <= 0:
            return
        rng = random.Random(f"{self.s.seed}:{self.replication}:drops:{life.name}")
        at, horizon = 0.0, self.s.days * DAY
        while True:
            at += rng.expovariate(d.per_hour / 3600)
            if at >= horizon:
                return
            self.at(at, Kind.DISCONNECT, Drop(life, rng.expovariate(1 / d.mean_seconds)))

    # The event loop.
    def at(self, when: float, kind: Kind, what: object) -> None:
        self._seq += 1
        heapq.heappush(self.events, (when, int(kind), self._seq, what))

    def run(self, progress: Callable[[float], None] | None = None,
            deadline: float | None = None) -> Run:
        """`deadline`: a time.monotonic() past which the run stops with TooLong (a server's
        bound on what one request may cost; it never changes what a run finds)."""
        self.setup()
        horizon = self.s.days * DAY
        next_sample = 0.0
        handlers = {Kind.ARRIVAL: self._arrive, Kind.ACCEPT: self._accept,
                    Kind.COMPLETE: self._complete, Kind.GIVE_UP: self._give_up,
                    Kind.ONLINE: self._online, Kind.SHIFT_END: self._shift_end,
                    Kind.DISCONNECT: self._disconnect, Kind.OFFLINE: self._drop,
                    Kind.RECONNECT: self._reconnect,
                    Kind.TICK: self._tick, Kind.HOUSEKEEPING: self._housekeeping}
        checked = 0
        while self.events:
            when, kind, _, what = heapq.heappop(self.events)
            if when > horizon:
                break
            while next_sample <= when:
                self.samples.append((next_sample, self._queued_in_store()))
                next_sample += self._sample_every
                if progress is not None:
                    progress(next_sample / horizon)
            self._advance(when)
            handlers[Kind(kind)](what)
            checked += 1
            if deadline is not None and checked % 512 == 0 and time.monotonic() > deadline:
                raise TooLong
            if self._check is not None and checked % 97 == 0:
                self.violations += self._check(self.store)
        self._advance(horizon)
        for life in self.agents.values():
            self._set_online(life, False)
        for ticket in self.lives.values():
            if ticket.queued_since is not None:  # still waiting at the end
                self._queued(-1, ticket)
        orphans = self._orphans()
        if self._check is not None:
            self.violations += self._check(self.store)
        return Run(self.policy.name, self.replication, horizon, list(self.lives.values()),
                   list(self.agents.values()), self.queue_area, self.samples, orphans,
                   self.violations, self.opening, self.s.sla_of(self.policy))

    def _advance(self, when: float) -> None:
        self.queue_area += self.waiting * (when - self._queue_changed)
        self._queue_changed = when
        self.now = when
        self.clock.set(self.s.start + timedelta(seconds=when))

    # What people do.
    def _arrive(self, what: object) -> None:
        assert isinstance(what, Arrival)
        life = TicketLife(what)
        new = tickets.NewTicket(title=f"{what.queue} {what.at:.0f}", queue=what.queue,
                                priority=Priority.from_label(what.priority))
        self._pending_life = life
        view = tickets.create_ticket(self.ctx, ADMIN, new)
        life.ticket_id = view.ticket.id
        if what.patience is not None:
            self.at(what.at + what.patience, Kind.GIVE_UP, life)

    def _accept(self, what: object) -> None:
        assert isinstance(what, Turn)
        if what.generation != what.life.generation:
            return
        try:
            tickets.accept_ticket(self.ctx, self.agents[what.agent_id].principal,
                                  what.life.ticket_id)
        except GiliranError:
            return

    def _complete(self, what: object) -> None:
        assert isinstance(what, Turn)
        if what.generation != what.life.generation:
            return
        try:
            tickets.complete_ticket(self.ctx, self.agents[what.agent_id].principal,
                                    what.life.ticket_id)
        except GiliranError:
            return

    def _give_up(self, what: object) -> None:
        assert isinstance(what, TicketLife)
        if what.first_assigned is None and what.abandoned is None and what.completed is None:
            try:
                tickets.cancel_ticket(self.ctx, ADMIN, what.ticket_id)
            except GiliranError:
                return
            what.abandoned = self.now

    def _online(self, what: object) -> None:
        assert isinstance(what, AgentLife)
        what.shift_on = True
        if what.connected:
            presence.go_online(self.ctx, what.principal)
            self._set_online(what, True)

    def _shift_end(self, what: object) -> None:
        assert isinstance(what, AgentLife)
        what.shift_on = False
        presence.go_offline(self.ctx, what.principal)
        self._set_online(what, False)

    def _disconnect(self, what: object) -> None:
        """The connection drops for `duration`: within the grace period nothing happens; past
        it the agent goes offline (as the timer pass would take it) until it is back."""
        assert isinstance(what, Drop)
        life, duration = what.life, what.seconds
        if not life.shift_on or not life.connected or self.grace <= 0 or duration <= self.grace:
            return
        life.connected = False
        self.at(self.now + self.grace, Kind.OFFLINE, life)
        self.at(self.now + duration, Kind.RECONNECT, life)

    def _reconnect(self, what: object) -> None:
        """The connection is back: online again if the shift still runs (else at the next
        shift's start)."""
        assert isinstance(what, AgentLife)
        what.connected = True
        if what.shift_on:
            presence.go_online(self.ctx, what.principal)
            self._set_online(what, True)

    def _drop(self, what: object) -> None:
        assert isinstance(what, AgentLife)
        presence.go_offline(self.ctx, what.principal)
        self._set_online(what, False)

    def _housekeeping(self, what: object) -> None:
        """Every hour, as the server's scheduler: events older than the retention go."""
        stream.prune(self.ctx, EVENT_RETENTION)
        self.at(self.now + HOUR, Kind.HOUSEKEEPING, None)

    def _tick(self, what: object) -> None:
        self._ticks.discard(self.now)
        timers.tick(self.ctx)

    def _set_online(self, life: AgentLife, online: bool) -> None:
        life.move(self.now)
        if online and life.online_since is None:
            life.online_since = self.now
            life.connected = True
            if life.held > 0:
                life.busy_since = self.now
        elif not online and life.online_since is not None:
            life.online_seconds += self.now - life.online_since
            life.online_since = None
            if life.busy_since is not None:
                life.busy_seconds += self.now - life.busy_since
                life.busy_since = None

    def _schedule_tick(self, when: float) -> None:
        when = round(when + 0.001, 3)
        if when not in self._ticks:
            self._ticks.add(when)
            self.at(when, Kind.TICK, None)

    # What the product did (heard from the store's commit signal).
    def committed(self, commit: Committed) -> None:
        for e in commit.entries:
            life = self.lives.get(e.ticket_id)
            if e.event == HistoryKind.CREATED:
                life = self._pending_life
                assert life is not None
                life.ticket_id = e.ticket_id
                self.lives[e.ticket_id] = life
                self._queued(+1, life)
            elif life is None:
                continue
            elif e.event == HistoryKind.ASSIGNED:
                self._assigned(life, e)
            elif e.event in (HistoryKind.ESCALATED, HistoryKind.UNASSIGNED):
                self._taken_back(life, e)
            elif e.event == HistoryKind.ACCEPTED:
                self._accepted(life, e)
            elif e.event in (HistoryKind.COMPLETED, HistoryKind.CANCELLED):
                self._closed(life, e)
            elif e.event == HistoryKind.FLAGGED:
                life.flagged = True
            elif HistoryKind(e.event).sets_priority and e.reason is Reason.AGING:
                self._timer(life, "aging")

    def _queued(self, change: int, life: TicketLife) -> None:
        self.waiting += change
        if change > 0:
            life.queued_since = self.now
            self._timer(life, "wait")
            self._timer(life, "aging")
        elif life.queued_since is not None:
            life.queued_seconds += self.now - life.queued_since
            life.queued_since = None

    def _queued_in_store(self) -> int:
        """What the store says is waiting (not the driver's own count): sampled, it checks
        the driver's bookkeeping through Little's law."""
        with self.store(write=False) as uow:
            return uow.tickets.count(TicketFilter(status=TicketStatus.QUEUED))

    def _timer(self, life: TicketLife, which: str) -> None:
        """The timer pass runs when this timer would run out: later by the time the queue is
        closed, unless the queue keeps this clock around the clock."""
        queue = life.arrival.queue
        seconds = self.timeouts[queue][which]
        if seconds > 0:
            business = CLOCKS[which] not in self.calendar[queue]
            due = self.opening.due(queue, self.now, seconds, business)
            if due is not None:
                self._schedule_tick(due)

    def _assigned(self, life: TicketLife, e: HistoryEntry) -> None:
        self._queued(-1, life)
        if life.first_assigned is None:
            life.first_assigned = self.now
        assert e.to_agent_id is not None
        agent = self.agents[e.to_agent_id]
        agent.move(self.now)
        agent.held += 1
        agent.assignments += 1
        if agent.held == 1 and agent.online_since is not None:
            agent.busy_since = self.now
        life.generation += 1
        draws = life.draws or random.Random(life.arrival.seed)
        life.draws = draws
        group = agent.group
        if draws.random() >= group.no_show:
            delay = (draws.expovariate(1 / group.accept_delay_seconds)
                     if group.accept_delay_seconds > 0 else 0.0)
            self.at(self.now + delay, Kind.ACCEPT, Turn(life, life.generation, e.to_agent_id))
        self._timer(life, "accept")

    def _taken_back(self, life: TicketLife, e: HistoryEntry) -> None:
        if e.event == HistoryKind.ESCALATED:
            life.escalations += 1
        life.generation += 1
        self._release(e.from_agent_id)
        self._queued(+1, life)

    def _accepted(self, life: TicketLife, e: HistoryEntry) -> None:
        if life.accepted is None:
            life.accepted = self.now
        agent = self.agents[e.to_agent_id or 0]
        work = life.arrival.work_seconds / agent.group.speed
        self.at(self.now + work, Kind.COMPLETE, Turn(life, life.generation, e.to_agent_id or 0))

    def _closed(self, life: TicketLife, e: HistoryEntry) -> None:
        if e.from_agent_id is not None:
            self._release(e.from_agent_id)
        else:
            self._queued(-1, life)
        if e.event == HistoryKind.COMPLETED:
            life.completed = self.now
        life.generation += 1

    def _release(self, agent_id: int | None) -> None:
        if agent_id is None:
            return
        agent = self.agents[agent_id]
        agent.move(self.now)
        agent.held -= 1
        if agent.held == 0 and agent.busy_since is not None:
            agent.busy_seconds += self.now - agent.busy_since
            agent.busy_since = None

    def _orphans(self) -> int:
        with self.store(write=False) as uow:
            held = uow.tickets.search(TicketFilter(limit=10**9))
            found = [t for t in held if t.status.is_active and (
                t.agent_id is None or (a := uow.agents.get(t.agent_id)) is None or not a.active)]
            return sum(1 for t in found if t.status is not TicketStatus.QUEUED)


def local(scenario: Scenario, seconds: float) -> datetime:
    return scenario.start + timedelta(seconds=seconds)
