"""A supervisor's triage moves alone (domain/triage.py): taking a flag off changes nothing
else, and moving a queued ticket to another queue keeps its priority and its wait; anything
else is refused and left as it was."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.adapters.clock import FakeClock
from giliran.domain import triage
from giliran.domain.actor import Actor
from giliran.domain.errors import InvalidTransition, NotFlagged
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import Priority, Reason, Ticket, TicketFlag, TicketStatus

NOW = FakeClock().now()
LEAD = Actor("user:3", "Dewi")
tickets = st.builds(
    lambda status, flag, priority, auto: Ticket(
        7, "t", NOW, status=status, flag=flag, flagged_at=NOW if flag else None,
        priority=priority, effective_priority=priority, queued_at=NOW, queue="night",
        auto_dispatch=auto, agent_id=None if status is TicketStatus.QUEUED else 1),
    st.sampled_from(TicketStatus), st.none() | st.sampled_from(TicketFlag),
    st.sampled_from(Priority), st.booleans())


@given(tickets)
def test_clearing_a_flag_takes_off_the_flag_and_nothing_else(ticket: Ticket) -> None:
    before = copy.deepcopy(ticket)
    if ticket.flag is None:
        with pytest.raises(NotFlagged):
            triage.clear_flag(ticket, now=NOW, actor=LEAD)
        assert ticket == before
        return
    entry = triage.clear_flag(ticket, now=NOW, actor=LEAD)
    assert (entry.event, entry.reason, entry.actor) == (HistoryKind.RELEASED,
                                                        Reason.FLAG_CLEARED, LEAD)
    assert entry.detail == {"flag": before.flag.value if before.flag else None}
    assert (ticket.flag, ticket.flagged_at, ticket.flag_reason) == (None, None, None)
    before.flag = before.flagged_at = before.flag_reason = None
    assert ticket == before  # an exhausted ticket stays out of automatic dispatch


@given(tickets, st.sampled_from(["night", "day"]))
def test_only_a_queued_ticket_moves_and_it_keeps_its_priority_and_wait(
        ticket: Ticket, queue: str) -> None:
    before = copy.deepcopy(ticket)
    if ticket.status is not TicketStatus.QUEUED or queue == ticket.queue:
        with pytest.raises(InvalidTransition):
            triage.move_queued(ticket, queue, now=NOW, actor=LEAD)
        assert ticket == before
        return
    entry = triage.move_queued(ticket, queue, now=NOW, actor=LEAD)
    assert (entry.event, entry.detail) == (HistoryKind.MOVED, {
        "queue": "day", "from_queue": "night", "reason": "moved by Dewi"})
    assert (ticket.queue, ticket.priority, ticket.queued_at) == ("day", before.priority, NOW)
    before.queue = "day"
    assert ticket == before
