"""Keeping a ticket's SLA clocks as it moves and as people write.

Every move of a ticket goes through `recording.record_move`, which calls `moved` here before
the move's event is built, so the event (and every later read) shows the SLA as that move left
it: created (the applying policy's clocks start), priority or queue changed (policy matched
again), a pausing status entered or left, closed (every clock ends). Messages are told
separately: an agent's reply to the customer (`agent_replied`) and the customer writing
(`customer_wrote`). The clocks are rows of their own (`uow.sla_clocks`); the ticket keeps a copy
of what it shows (`ticket.sla`, `ticket.sla_due_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from giliran.domain import sla
from giliran.domain.conversation import split_contact
from giliran.domain.event_types import HistoryKind
from giliran.domain.hours import Schedule
from giliran.domain.model import HistoryEntry, Ticket
from giliran.domain.sla import Policy, SlaClock, Target
from giliran.service.lookups import schedule_of
from giliran.service.ports import UnitOfWork

_REMATCH = frozenset({HistoryKind.MOVED, HistoryKind.TRANSFERRED, HistoryKind.PRIORITY_LOW,
                      HistoryKind.PRIORITY_NORMAL, HistoryKind.PRIORITY_HIGH,
                      HistoryKind.PRIORITY_URGENT})
_CLOSES = frozenset({HistoryKind.COMPLETED, HistoryKind.CANCELLED})
_AT_ARRIVAL = (Target.FIRST_RESPONSE, Target.RESOLUTION)
# What to do to one clock under its policy and schedule; True: it changed (save it).
_Act = Callable[[SlaClock, Policy, "Schedule | None"], bool]


def schedule_for(uow: UnitOfWork, queue: str) -> Schedule | None:
    """The schedule a queue's business time follows (None: always open, or no such queue)."""
    found = uow.queues.get(queue)
    return schedule_of(uow, found) if found is not None else None


def channel_of(ticket: Ticket) -> str | None:
    return split_contact(ticket.contact)[0] if ticket.contact else None


def moved(uow: UnitOfWork, ticket: Ticket, entry: HistoryEntry) -> None:
    kind = HistoryKind(entry.event)
    if kind is HistoryKind.CREATED:
        _start(uow, ticket, entry.at)
    elif ticket.sla is None and kind not in _REMATCH:
        return
    elif kind in _CLOSES:
        _close(uow, ticket, entry.at, completed=kind is HistoryKind.COMPLETED)
    elif kind in _REMATCH:
        _rematch(uow, ticket, entry.at)
    else:
        _follow_status(uow, ticket, entry.at)


def agent_replied(uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
    """A person's reply to the customer: meets first response and the next response due."""
    if ticket.sla is None:
        return
    _each(uow, ticket, now, lambda c, p, s: c.target is not Target.RESOLUTION and _end(
        uow, ticket, c, p, s, now))


def customer_wrote(uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
    """A customer's message after an agent's reply starts the next-response clock."""
    if ticket.sla is None or ticket.status.is_final:
        return
    clocks = {c.target: c for c in uow.sla_clocks.of(ticket.id)}
    first = clocks.get(Target.FIRST_RESPONSE)
    waiting = clocks.get(Target.NEXT_RESPONSE)
    if (first is not None and first.running) or (waiting is not None and waiting.running):
        return  # no agent reply yet since the customer last wrote
    policy = _policy_of(uow, clocks.values())
    if policy is None:
        return
    seconds = policy.budget(ticket.priority).get(Target.NEXT_RESPONSE)
    if seconds is None:
        return
    clock = sla.start(ticket.id, Target.NEXT_RESPONSE, policy, seconds,
                      schedule_for(uow, ticket.queue), now)
    if ticket.status.value in policy.pause_statuses:
        sla.pause(clock, policy, schedule_for(uow, ticket.queue), now)
    uow.sla_clocks.save(clock)
    show(uow, ticket, policy)


def rescheduled(uow: UnitOfWork, queue: str, before: Schedule | None, now: datetime) -> int:
    """The queue's opening hours changed (its schedule edited, or another one chosen; call it
    after saving the change): each running business-hours clock of its tickets keeps the
    budget it used so far, counted under the hours in force while it ran, and the rest is
    counted from `now` under the new hours (a new due and warning time). A paused clock only
    stores what it used; it aims under the new hours when it resumes. Returns the clocks moved.
    """
    after = schedule_for(uow, queue)
    policies = {p.id: p for p in uow.sla_policies.all()}
    moved: set[int] = set()
    for clock in uow.sla_clocks.running_in(queue):
        policy = policies.get(clock.policy_id)
        if policy is None or not policy.business_hours or clock.paused_at is not None:
            continue
        spent = sla.used(clock, policy, before, now)
        if spent >= clock.seconds:
            continue  # already due: the timer pass breaches it
        sla.aim(clock, policy, after, now, used=spent)
        uow.sla_clocks.save(clock)
        moved.add(clock.ticket_id)
    for ticket in uow.tickets.many(moved):
        show(uow, ticket)
    return len(moved)


def schedule_edited(uow: UnitOfWork, before: Schedule, now: datetime) -> int:
    """A schedule's hours changed (saved already): `rescheduled` for each queue keeping it."""
    return sum(rescheduled(uow, q.name, before, now) for q in uow.queues.all()
               if q.schedule == before.name)


def _start(uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
    policy = sla.applying(uow.sla_policies.all(), ticket.queue, ticket.priority,
                          channel_of(ticket))
    if policy is None:
        return
    schedule = schedule_for(uow, ticket.queue)
    budget = policy.budget(ticket.priority)
    for target in _AT_ARRIVAL:
        if target in budget:
            uow.sla_clocks.save(sla.start(ticket.id, target, policy, budget[target],
                                          schedule, ticket.created_at))
    show(uow, ticket, policy)


def _rematch(uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
    """Queue or priority changed: the applying policy's budgets, with what was used kept."""
    policy = sla.applying(uow.sla_policies.all(), ticket.queue, ticket.priority,
                          channel_of(ticket))
    clocks = uow.sla_clocks.of(ticket.id)
    old = _policy_of(uow, clocks)
    if policy is None and not clocks:
        return
    if policy is not None and old is not None and policy.id == old.id \
            and all(c.seconds == policy.budget(ticket.priority).get(c.target) for c in clocks):
        return
    schedule = schedule_for(uow, ticket.queue)
    budget = policy.budget(ticket.priority) if policy is not None else {}
    for clock in clocks:
        if not clock.running:
            continue
        if clock.target not in budget or policy is None:
            uow.sla_clocks.remove(ticket.id, clock.target)
            continue
        spent = sla.used(clock, old, schedule, now) if old is not None else 0.0
        clock.policy_id, clock.seconds = policy.id, budget[clock.target]
        if clock.paused_at is not None:
            clock.paused_seconds = spent
        else:
            sla.aim(clock, policy, schedule, now, used=spent)
        uow.sla_clocks.save(clock)
    show(uow, ticket, policy)


def _follow_status(uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
    """Pausing statuses stop the running clocks; leaving them resumes with a new due time."""
    def follow(clock: SlaClock, policy: Policy, schedule: Schedule | None) -> bool:
        if ticket.status.value in policy.pause_statuses:
            return sla.pause(clock, policy, schedule, now)
        return sla.resume(clock, policy, schedule, now)
    _each(uow, ticket, now, follow)


def _close(uow: UnitOfWork, ticket: Ticket, now: datetime, *, completed: bool) -> None:
    """Every clock ends. Completed: resolution met (late, if it breached). Cancelled: nothing
    was resolved, so a clock still in time ends without an outcome (it neither met nor missed
    its target), and one that breached stays breached in the reports. A response clock never
    answered is dropped as well unless it breached."""
    def end(clock: SlaClock, policy: Policy, schedule: Schedule | None) -> bool:
        if not clock.running and clock.state is not sla.SlaState.BREACHED:
            return False
        if clock.met_at is not None:
            return False
        breached = clock.state is sla.SlaState.BREACHED
        if not breached and (clock.target is not Target.RESOLUTION or not completed):
            uow.sla_clocks.remove(ticket.id, clock.target)  # never answered, never due
            return False
        return _end(uow, ticket, clock, policy, schedule, now)
    _each(uow, ticket, now, end, always_show=True)


def _end(uow: UnitOfWork, ticket: Ticket, clock: SlaClock, policy: Policy,
         schedule: Schedule | None, now: datetime) -> bool:
    """Met, or (once breached) finally answered: one outcome row for reports."""
    if clock.met_at is not None or clock.state is sla.SlaState.MET:
        return False
    uow.sla_clocks.add_outcome(sla.outcome(
        clock, policy, schedule, now, queue=ticket.queue, agent_id=ticket.agent_id,
        priority=ticket.priority, channel=channel_of(ticket)))
    return sla.meet(clock, now)


def _each(uow: UnitOfWork, ticket: Ticket, now: datetime, act: _Act, *,
          always_show: bool = False) -> None:
    """Apply `act` to each clock of the ticket; save those it changed and, when any did (or
    `act` may remove clocks: `always_show`), save the ticket's copy. A move that changes no
    clock (most: an assignment, an accept) costs two reads and no write."""
    clocks = uow.sla_clocks.of(ticket.id)
    policies = {p.id: p for p in uow.sla_policies.all()}
    schedule = schedule_for(uow, ticket.queue)
    changed = False
    for clock in clocks:
        policy = policies.get(clock.policy_id)
        if policy is not None and act(clock, policy, schedule):
            uow.sla_clocks.save(clock)
            changed = True
    if changed or always_show:
        show(uow, ticket, None)


def _policy_of(uow: UnitOfWork, clocks: Iterable[SlaClock]) -> Policy | None:
    for clock in clocks:
        return uow.sla_policies.get(clock.policy_id)
    return None


def show(uow: UnitOfWork, ticket: Ticket, policy: Policy | None = None) -> None:
    """The ticket's copy of its clocks, saved with it."""
    clocks = uow.sla_clocks.of(ticket.id)
    if policy is None:
        policy = _policy_of(uow, clocks)
    ticket.sla = sla.summary(policy, clocks)
    ticket.sla_due_at = sla.soonest_due(clocks)
    uow.tickets.save(ticket)
