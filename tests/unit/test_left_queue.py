"""The one rule that decides when an agent is told a ticket left its queue, and why."""

from __future__ import annotations

import pytest

from giliran.domain.event_types import EventType
from giliran.domain.events import left_queue

HOLDER = 7


@pytest.mark.parametrize(("event_type", "reason", "actor", "why"), [
    ("ticket.escalated", "escalation", "system", "escalated"),
    ("ticket.escalated", "reply_timeout", "system", "unanswered"),  # the reply timer
    ("ticket.unassigned", "reassigned", "admin", "moved"),
    ("ticket.unassigned", "unassigned", "admin", "moved"),
    ("ticket.unassigned", "agent_offline", "system", "offline"),  # its presence expired
    ("ticket.unassigned", "agent_offline", f"agent:{HOLDER}", "offline"),  # it went offline
    ("ticket.cancelled", "cancelled", "admin", "cancelled"),
    ("ticket.completed", "completed", "admin", "completed"),
    # By its own hand, or with nobody left to tell, or not leaving anyone's queue: silence.
    ("ticket.completed", "completed", f"agent:{HOLDER}", None),
    ("ticket.unassigned", "agent_deactivated", "admin", None),
    ("ticket.unassigned", "orphaned", "system", None),
    ("ticket.accepted", "accepted", f"agent:{HOLDER}", None),
    ("ticket.assigned", "auto", "system", None),
])
def test_why_a_ticket_left_its_holders_queue(event_type: str, reason: str, actor: str,
                                             why: str | None) -> None:
    assert left_queue(EventType(event_type), reason, actor, HOLDER) == why


def test_a_ticket_nobody_held_left_nobodys_queue() -> None:
    assert left_queue(EventType.TICKET_CANCELLED, "cancelled", "admin", None) is None
