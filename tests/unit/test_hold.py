"""The hold rules alone (domain/hold.py): how long a hold may be, whether it keeps the slot,
who takes it back when it ends by itself, and that every way out of a hold leaves the
holder's count equal to the tickets that take its slots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.adapters.clock import FakeClock
from giliran.domain import hold, lifecycle
from giliran.domain.actor import SYSTEM
from giliran.domain.errors import AgentFull, InvalidInput, InvalidTransition, NotYourTicket
from giliran.domain.model import (
    Agent,
    Presence,
    Queue,
    Reason,
    SlotFreedOn,
    Ticket,
    TicketStatus,
)

NOW = FakeClock().now()


def floor(*, frees: bool, status: TicketStatus = TicketStatus.IN_PROGRESS,
          max_tickets: int = 2) -> tuple[Ticket, Agent, Queue]:
    agent = Agent(1, "Sari", max_tickets=max_tickets, active_tickets=1,
                  presence=Presence.ONLINE)
    ticket = Ticket(7, "t", NOW, status=status, agent_id=1, assigned_seq=1, assigned_at=NOW,
                    accepted_at=NOW if status is TicketStatus.IN_PROGRESS else None)
    return ticket, agent, Queue("default", hold_frees_slot=frees, hold_minutes=60)


def test_a_hold_lasts_as_asked_within_the_queues_limit() -> None:
    queue = Queue("default", hold_minutes=60)
    assert hold.hold_minutes(queue, None) == 60
    assert hold.hold_minutes(queue, 15) == 15
    for asked in (0, 61):
        with pytest.raises(InvalidInput):
            hold.hold_minutes(queue, asked)
    for bad in (0, 43201):
        with pytest.raises(InvalidInput):
            hold.check_hold_settings(bad)


@pytest.mark.parametrize("frees", [False, True])
def test_a_hold_keeps_or_frees_the_slot_as_the_queue_says(frees: bool) -> None:
    ticket, agent, queue = floor(frees=frees)
    hold.hold(ticket, agent, queue, minutes=30, now=NOW, actor=SYSTEM)
    assert (ticket.status, ticket.hold_until) == (TicketStatus.ON_HOLD,
                                                  NOW + timedelta(minutes=30))
    assert (ticket.takes_slot, agent.active_tickets) == ((False, 0) if frees else (True, 1))


def test_an_assigned_ticket_is_accepted_before_its_hold() -> None:
    ticket, agent, queue = floor(frees=False, status=TicketStatus.ASSIGNED)
    entries = hold.hold(ticket, agent, queue, minutes=5, now=NOW, actor=SYSTEM)
    assert [e.event.value for e in entries] == ["accepted", "held"]
    assert ticket.accepted_at == NOW


@pytest.mark.parametrize("status", [TicketStatus.QUEUED, TicketStatus.COMPLETED,
                                    TicketStatus.ON_HOLD])
def test_only_a_ticket_being_worked_on_goes_on_hold(status: TicketStatus) -> None:
    ticket, agent, queue = floor(frees=False, status=status)
    with pytest.raises(InvalidTransition):
        hold.hold(ticket, agent, queue, minutes=5, now=NOW, actor=SYSTEM)


def test_someone_elses_ticket_is_not_held() -> None:
    ticket, _, queue = floor(frees=False)
    with pytest.raises(NotYourTicket):
        hold.hold(ticket, Agent(2, "Budi"), queue, minutes=5, now=NOW, actor=SYSTEM)


def test_a_freed_slot_must_be_free_again_to_resume() -> None:
    ticket, agent, queue = floor(frees=True, max_tickets=1)
    hold.hold(ticket, agent, queue, minutes=5, now=NOW, actor=SYSTEM)
    agent.active_tickets = 1  # another ticket took the slot
    assert not hold.can_resume(ticket, agent, queue, held_here=1)
    with pytest.raises(AgentFull):
        hold.resume(ticket, agent, queue, held_here=1, now=NOW, actor=SYSTEM)
    agent.active_tickets = 0
    hold.resume(ticket, agent, queue, held_here=0, now=NOW, actor=SYSTEM)
    assert (ticket.status, agent.active_tickets, ticket.hold_until) == (
        TicketStatus.IN_PROGRESS, 1, None)


def test_the_queues_own_limit_counts_too_unless_slots_free_on_accept() -> None:
    ticket, agent, queue = floor(frees=True)
    hold.hold(ticket, agent, queue, minutes=5, now=NOW, actor=SYSTEM)
    limited = Queue("default", max_per_agent=1)
    assert not hold.can_resume(ticket, agent, limited, held_here=1)
    on_accept = Queue("default", max_per_agent=1, slot_freed_on=SlotFreedOn.ACCEPT)
    assert hold.can_resume(ticket, agent, on_accept, held_here=1)


@pytest.mark.parametrize(("change", "back"), [
    (lambda a: None, True),
    (lambda a: setattr(a, "presence", Presence.OFFLINE), False),
    (lambda a: setattr(a, "active", False), False),
    (lambda a: setattr(a, "queues", frozenset({"sales"})), False),
    (lambda a: setattr(a, "active_tickets", a.max_tickets), False),
])
def test_a_hold_ending_by_itself_returns_to_a_holder_who_is_there_with_room(
    change: Callable[[Agent], None], back: bool,
) -> None:
    ticket, agent, queue = floor(frees=True)
    hold.hold(ticket, agent, queue, minutes=5, now=NOW, actor=SYSTEM)
    change(agent)
    assert hold.returns_to_holder(ticket, agent, queue, held_here=0) is back
    assert not hold.returns_to_holder(ticket, None, queue, held_here=0)


Exit = st.sampled_from(["resume", "to_queue", "close", "complete", "cancel", "unassign",
                        "rescue"])


@given(frees=st.booleans(), assigned=st.booleans(), way_out=Exit, others=st.integers(0, 3))
def test_every_way_out_of_a_hold_leaves_the_count_equal_to_the_slots_taken(
    frees: bool, assigned: bool, way_out: str, others: int,
) -> None:
    """`others`: the holder's other tickets that take a slot, untouched throughout."""
    status = TicketStatus.ASSIGNED if assigned else TicketStatus.IN_PROGRESS
    ticket, agent, queue = floor(frees=frees, status=status, max_tickets=5)
    agent.active_tickets = 1 + others
    hold.hold(ticket, agent, queue, minutes=5, now=NOW, actor=SYSTEM)
    assert agent.active_tickets == others + ticket.takes_slot
    later = NOW + timedelta(minutes=5)
    if way_out == "resume":
        hold.resume(ticket, agent, queue, held_here=0, now=later, actor=SYSTEM)
    elif way_out == "to_queue":
        hold.to_queue(ticket, agent, now=later, reason=Reason.CUSTOMER_WROTE)
    elif way_out == "close":
        hold.close(ticket, agent, now=later)
    elif way_out == "complete":
        lifecycle.complete(ticket, agent, now=later, actor=SYSTEM)
    elif way_out == "cancel":
        lifecycle.cancel(ticket, agent, now=later, actor=SYSTEM)
    elif way_out == "unassign":
        lifecycle.unassign(ticket, agent, now=later, reason=Reason.UNASSIGNED, actor=SYSTEM)
    else:
        lifecycle.rescue(ticket, agent, now=later)
    assert ticket.status is not TicketStatus.ON_HOLD
    assert (ticket.hold_until, ticket.hold_keeps_slot) == (None, False)
    assert agent.active_tickets == others + ticket.takes_slot
