"""The SLA part of the timer pass: clocks that reached their warning share or their due time
move to `warning` or `breached` once each, with an event (`sla.warning`, `sla.breached`), and a
breach runs its policy's breach actions. It runs inside the timer pass's writing unit of work,
under the floor lock, so with several replicas ticking the second finds the clock moved on."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from giliran.domain import lifecycle, sla
from giliran.domain.event_types import EventType, HistoryKind, SlaPayload
from giliran.domain.events import Event
from giliran.domain.model import HistoryEntry, Priority, Reason, Ticket, TicketStatus
from giliran.domain.people import SYSTEM
from giliran.domain.sla import Action, BreachAction, Policy, SlaClock
from giliran.domain.views import ticket_view
from giliran.service.ports import BATCH, UnitOfWork
from giliran.service.recording import record_move
from giliran.service.sla import clocks


def anything_due(uow: UnitOfWork, now: datetime) -> bool:
    return bool(uow.sla_clocks.due(now, 1))


def run(uow: UnitOfWork, now: datetime) -> tuple[int, int, bool]:
    """(warnings, breaches, whether the batch was full)."""
    due = uow.sla_clocks.due(now, BATCH)
    policies = {p.id: p for p in uow.sla_policies.all()}
    warned = breached = 0
    for clock in due:
        ticket = uow.tickets.get(clock.ticket_id)
        policy = policies.get(clock.policy_id)
        if sla.warn_due(clock, now):
            sla.warn(clock, now)
            warned += 1
            uow.sla_clocks.save(clock)
            _told(uow, EventType.SLA_WARNING, ticket, clock, policy, [], now)
        if sla.breach_due(clock, now):
            sla.breach(clock, now)
            breached += 1
            uow.sla_clocks.save(clock)
            done = _act(uow, ticket, clock, policy, now) if ticket is not None else []
            _told(uow, EventType.SLA_BREACHED, ticket, clock, policy, done, now)
    return warned, breached, len(due) == BATCH


def _told(uow: UnitOfWork, kind: EventType, ticket: Ticket | None, clock: SlaClock,
          policy: Policy | None, actions: list[str], now: datetime) -> None:
    if ticket is None:
        return
    clocks.show(uow, ticket)
    payload = SlaPayload(ticket=ticket_view(ticket), target=clock.target.value,
                         policy=policy.name if policy is not None else None,
                         due_at=clock.due_at.isoformat() if clock.due_at else None,
                         actions=actions)
    holders = frozenset({ticket.agent_id} if ticket.agent_id is not None else set())
    uow.record(Event.of(kind, payload, now, ticket_id=ticket.id, queue=ticket.queue,
                        agents=holders))


def _act(uow: UnitOfWork, ticket: Ticket, clock: SlaClock, policy: Policy | None,
         now: datetime) -> list[str]:
    """The policy's breach actions on an open ticket; those that did something."""
    if policy is None or ticket.status.is_final:
        return []
    done = []
    why = {"sla_target": clock.target.value, "sla_policy": policy.name}
    for action in policy.breach_actions:
        if _one(uow, ticket, action, why, now):
            done.append(action.action.value)
    return done


def _one(uow: UnitOfWork, ticket: Ticket, action: Action, why: dict[str, str],
         now: datetime) -> bool:
    if action.action is BreachAction.RAISE_PRIORITY:
        return _raise(uow, ticket, why, now)
    if action.action is BreachAction.REASSIGN:
        return _take_back(uow, ticket, why, now, missed=True)
    assert action.queue is not None
    return _move(uow, ticket, action.queue, why, now)


def _raise(uow: UnitOfWork, ticket: Ticket, why: dict[str, str], now: datetime) -> bool:
    if ticket.effective_priority >= Priority.URGENT:
        return False
    higher = Priority(int(ticket.effective_priority) + 1)
    ticket.effective_priority, ticket.priority_since = higher, now
    record_move(uow, ticket, HistoryEntry(
        ticket.id, now, HistoryKind.priority(higher.label), Reason.SLA_BREACH, SYSTEM,
        note=f"SLA {why['sla_target']} breached ({why['sla_policy']}): served at "
             f"{higher.label}", detail={**why, "asked": ticket.priority.label,
                                       "served_at": higher.label}))
    uow.tickets.save(ticket)
    return True


def _take_back(uow: UnitOfWork, ticket: Ticket, why: dict[str, str], now: datetime,
               missed: bool) -> bool:
    """Back to the queue from its holder, as escalation does; the dispatch that follows the
    pass offers it to the next agent (never again to this one)."""
    if ticket.agent_id is None or ticket.status not in (
            TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD):
        return False
    holder = uow.agents.get(ticket.agent_id)
    if holder is None:
        return False
    entry = lifecycle.unassign(ticket, holder, now=now, reason=Reason.SLA_BREACH, actor=SYSTEM)
    if missed:
        ticket.missed_by = ticket.missed_by | {holder.id}
    record_move(uow, ticket, replace(
        entry, note=f"SLA {why['sla_target']} breached ({why['sla_policy']}): offered to the "
                    "next agent", detail=why))
    uow.tickets.save(ticket)
    uow.agents.save(holder)
    return True


def _move(uow: UnitOfWork, ticket: Ticket, queue: str, why: dict[str, str],
          now: datetime) -> bool:
    if ticket.queue == queue or uow.queues.get(queue) is None:
        return False
    _take_back(uow, ticket, why, now, missed=False)
    before, ticket.queue = ticket.queue, queue
    record_move(uow, ticket, HistoryEntry(
        ticket.id, now, HistoryKind.MOVED, Reason.SLA_BREACH, SYSTEM,
        note=f"SLA {why['sla_target']} breached ({why['sla_policy']}): moved to {queue}",
        detail={**why, "from_queue": before, "to_queue": queue}))
    uow.tickets.save(ticket)
    return True
