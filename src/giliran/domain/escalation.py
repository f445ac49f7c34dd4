"""Timers: when an assignment is overdue, a ticket has waited too long, an agent has gone
silent, and what follows. Pure functions of stored timestamps and `now`, so a restart loses
nothing and a fake clock can drive them."""

from __future__ import annotations

from datetime import datetime, timedelta

from giliran.domain import hours
from giliran.domain.hours import Schedule
from giliran.domain.model import (
    Agent,
    Clock,
    OfflinePolicy,
    Presence,
    Priority,
    Queue,
    Ticket,
    TicketStatus,
)


def cutoff(queue: Queue, clock: Clock, seconds: int, now: datetime,
           schedule: Schedule | None = None) -> datetime | None:
    """A timer of `seconds` started at or before this moment is due by `now`; None when it is
    off (0), or when its queue has not been open that long (in business time). A clock in
    business time (the queue keeps `schedule` and does not list `clock` in calendar_clocks)
    counts only open time, so it stands still while the queue is closed."""
    if seconds <= 0:
        return None
    if schedule is not None and queue.in_business_time(clock):
        return hours.back(schedule, now, seconds)
    return now - timedelta(seconds=seconds)


def accept_cutoff(queue: Queue, now: datetime,
                  schedule: Schedule | None = None) -> datetime | None:
    """Assignments made at or before this moment are overdue; None when the timer is off."""
    return cutoff(queue, Clock.ACCEPT, queue.accept_timeout_seconds, now, schedule)


def reply_cutoff(queue: Queue, now: datetime,
                 schedule: Schedule | None = None) -> datetime | None:
    """Tickets accepted at or before this moment with no reply to the customer since are taken
    back (the reply timer); None when the timer is off."""
    return cutoff(queue, Clock.REPLY, queue.reply_timeout_seconds, now, schedule)


def hold_cutoff(queue: Queue, now: datetime,
                schedule: Schedule | None = None) -> datetime | None:
    """Holds ending at or before this moment end now. A hold in business time does not end
    while its queue is closed: the ones that ran out meanwhile end at the opening."""
    if schedule is not None and queue.in_business_time(Clock.HOLD) \
            and not hours.is_open(schedule, now):
        return None
    return now


def wait_cutoff(queue: Queue, now: datetime,
                schedule: Schedule | None = None) -> datetime | None:
    """Tickets queued at or before this moment have waited too long; None when off."""
    return cutoff(queue, Clock.WAITING, queue.max_wait_seconds, now, schedule)


def presence_cutoff(grace_seconds: int, now: datetime) -> datetime | None:
    """Agents last seen at or before this moment are offline; None when expiry is off."""
    if grace_seconds <= 0:
        return None
    return now - timedelta(seconds=grace_seconds)


def due(queue: Queue, clock: Clock, start: datetime, seconds: int,
        schedule: Schedule | None = None) -> datetime | None:
    """When a timer of `seconds` started at `start` runs out, as `cutoff` counts it: in
    business time (only open time counts) for a clock the queue keeps in business time, else
    calendar time. None when the schedule never gives that much time."""
    if schedule is not None and queue.in_business_time(clock):
        return hours.add(schedule, start, seconds)
    return start + timedelta(seconds=seconds)


def accept_deadline(ticket: Ticket, queue: Queue,
                    schedule: Schedule | None = None) -> datetime | None:
    """When an assigned ticket is taken back unless accepted first (in business time when the
    queue's accept clock is: a ticket assigned just before closing is due after the opening);
    None when it is not waiting for an accept or the queue has no timer."""
    if (queue.accept_timeout_seconds <= 0 or ticket.status is not TicketStatus.ASSIGNED
            or ticket.assigned_at is None):
        return None
    return due(queue, Clock.ACCEPT, ticket.assigned_at, queue.accept_timeout_seconds, schedule)


def is_overdue(ticket: Ticket, queue: Queue, now: datetime) -> bool:
    cutoff = accept_cutoff(queue, now)
    return (
        cutoff is not None
        and ticket.status is TicketStatus.ASSIGNED
        and ticket.assigned_at is not None
        and ticket.assigned_at <= cutoff
    )


def has_waited_too_long(ticket: Ticket, queue: Queue, now: datetime) -> bool:
    """Flagged once per stay in the queue: a flagged ticket is not flagged again."""
    cutoff = wait_cutoff(queue, now)
    return (
        cutoff is not None
        and ticket.status is TicketStatus.QUEUED
        and ticket.flag is None
        and ticket.queued_at is not None
        and ticket.queued_at <= cutoff
    )


def is_silent(agent: Agent, grace_seconds: int, now: datetime) -> bool:
    cutoff = presence_cutoff(grace_seconds, now)
    return (
        cutoff is not None
        and agent.presence is not Presence.OFFLINE
        and (agent.last_seen_at is None or agent.last_seen_at <= cutoff)
    )


def is_exhausted(ticket: Ticket, queue: Queue, members_left: int) -> bool:
    """After an escalation: stop when the queue's limit is reached, or when every member who
    could receive it (`members_left` counts those who have not missed it) already has."""
    limit_reached = 0 < queue.max_escalations <= ticket.escalations
    return limit_reached or members_left == 0


def pauses(agent: Agent, queue: Queue) -> bool:
    """Too many misses in a row in this queue: stop sending the agent this queue's work (its
    other queues carry on) until it, or a supervisor, lifts the pause."""
    state = agent.state_in(queue.name)
    return (
        queue.away_after_misses > 0
        and not state.paused
        and state.missed_in_row >= queue.away_after_misses
    )


def requeued_when_offline(ticket: Ticket, policy: OfflinePolicy) -> bool:
    if policy is OfflinePolicy.REQUEUE:
        return ticket.status is TicketStatus.ASSIGNED
    if policy is OfflinePolicy.REQUEUE_ALL:
        # Not one on hold: it waits for the customer, and their message finds it a holder
        # who is online then (service/assignment/holds.py).
        return ticket.status.is_active
    return False


def aging_cutoff(queue: Queue, now: datetime,
                 schedule: Schedule | None = None) -> datetime | None:
    """Queued tickets whose priority took effect at or before this moment move up a level."""
    return cutoff(queue, Clock.AGING, queue.priority_aging_seconds, now, schedule)


def is_due_for_aging(ticket: Ticket, queue: Queue, now: datetime) -> bool:
    cutoff = aging_cutoff(queue, now)
    return (
        cutoff is not None
        and ticket.status is TicketStatus.QUEUED
        and ticket.effective_priority < Priority.URGENT
        and ticket.priority_since is not None
        and ticket.priority_since <= cutoff
    )
