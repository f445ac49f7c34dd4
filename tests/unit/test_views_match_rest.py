"""The wire views of domain/views.py are the REST API's shapes (TicketOut, AgentOut, QueueOut,
MessageOut)
to the byte, for objects in every state the schemas show differently: a page puts a frame's
object in its store in place of what it read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from giliran.domain.conversation import Direction, Kind, Message, State
from giliran.domain.escalation import accept_deadline
from giliran.domain.model import (
    Agent,
    Presence,
    Priority,
    Queue,
    QueueState,
    Ticket,
    TicketFlag,
    TicketStatus,
)
from giliran.domain.people import Role, User
from giliran.domain.views import agent_view, message_view, queue_view, ticket_view, user_view
from giliran.entrypoints.api.routes_conversation import MessageOut
from giliran.entrypoints.api.schemas import AgentOut, TicketOut
from giliran.entrypoints.api.schemas_floor import QueueOut
from giliran.entrypoints.api.schemas_people import UserOut

NOW = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
TIMED = Queue(name="sales", accept_timeout_seconds=120)

TICKETS = {
    "queued": Ticket(id=1, title="a", created_at=NOW, queue="sales", priority=Priority.LOW),
    "assigned, timer running": Ticket(
        id=2, title="b", created_at=NOW, queue="sales", status=TicketStatus.ASSIGNED,
        agent_id=3, assigned_at=NOW + timedelta(seconds=5), contact="whatsapp:6281",
        category="billing", description="long text", external_id="crm-9"),
    "flagged": Ticket(id=3, title="c", created_at=NOW, queue="sales",
                      flag=TicketFlag.UNREACHABLE, flagged_at=NOW, flag_reason="no_members",
                      auto_dispatch=False, escalations=2),
    "closed": Ticket(id=4, title="d", created_at=NOW, status=TicketStatus.COMPLETED,
                     accepted_at=NOW, closed_at=NOW + timedelta(hours=1)),
}


@pytest.mark.parametrize("state", TICKETS)
def test_a_ticket_travels_as_rest_shows_it(state: str) -> None:
    ticket = TICKETS[state]
    place = 4 if ticket.status is TicketStatus.QUEUED else None
    rest = TicketOut.of(ticket, place, accept_deadline(ticket, TIMED))
    assert ticket_view(ticket, TIMED, place) == rest.model_dump(mode="json")


def test_an_agent_travels_as_rest_shows_it_paused_or_not() -> None:
    agent = Agent(id=3, name="Sari", queues=frozenset({"sales", "default"}),
                  presence=Presence.AWAY, last_seen_at=NOW, last_assigned_at=NOW,
                  queue_state={"sales": QueueState(2, NOW, "missed 2 tickets in a row"),
                               "default": QueueState(1)})
    assert agent_view(agent) == AgentOut.of(agent).model_dump(mode="json")
    fresh = Agent(id=4, name="Budi")
    assert agent_view(fresh) == AgentOut.of(fresh).model_dump(mode="json")


def test_a_queue_travels_as_rest_shows_it() -> None:
    assert queue_view(TIMED) == QueueOut.of(TIMED).model_dump(mode="json")


@pytest.mark.parametrize("message", [
    Message(ticket_id=7, channel="whatsapp", external_id="wamid.1", sender="Ayu", body="halo",
            at=NOW, id=11),
    Message(ticket_id=7, channel="telegram", external_id="out-2", sender="Sari", body="",
            at=NOW, id=12, direction=Direction.OUT, kind=Kind.IMAGE, author="agent:3",
            content={"media_id": "m-1", "mime_type": "image/png"}, state=State.FAILED,
            state_at=NOW + timedelta(seconds=3), error="131047: window closed"),
], ids=["in, text", "out, picture, failed"])
def test_a_message_travels_as_rest_shows_it(message: Message) -> None:
    """Plus the ticket it belongs to, which a frame names and the ticket's own list need not."""
    assert message_view(message) == {"ticket_id": 7,
                                      **MessageOut.of(message).model_dump(mode="json")}


def test_a_user_travels_as_rest_shows_it_without_their_password() -> None:
    carried_over = User(1, None, "Old agent", Role.AGENT, agent_id=4)
    signed_in = User(2, "sam@example.com", "Sam", Role.SUPERVISOR, "$argon2id$secret",
                     queues=frozenset({"sales", "billing"}), created_at=NOW,
                     last_sign_in_at=NOW + timedelta(hours=1), must_change_password=True)
    for user in (carried_over, signed_in):
        assert user_view(user) == UserOut.of(user).model_dump(mode="json")
    assert "$argon2id$secret" not in str(user_view(signed_in))
