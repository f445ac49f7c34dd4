"""Events: what the floor tells the people watching it (dashboards, bots, other systems).

The use case that makes a change records its event right there (`uow.record`), built here
from its typed payload (event_types.py) with the object as that change left it; it is written
in the same transaction, with an id that grows in commit order, so a client that reconnects can
ask for everything after the last id it saw and miss nothing. Who may see an event is a rule of
its own (`visible_to`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from giliran.domain.actor import Actor
from giliran.domain.conversation import Message
from giliran.domain.event_types import (
    OPTIONAL_KEYS,
    ActorDetail,
    AgentLoad,
    AgentPayload,
    EventType,
    HistoryKind,
    LeftQueue,
    MessagePayload,
    Payload,
    QueuePayload,
    SchedulePayload,
    TicketPayload,
    UserPayload,
)
from giliran.domain.hours import OpenState, Schedule
from giliran.domain.model import Agent, HistoryEntry, Queue, Reason, Ticket, TicketStatus
from giliran.domain.people import User
from giliran.domain.views import (
    agent_view,
    message_view,
    queue_view,
    schedule_view,
    ticket_view,
    user_view,
)

EVENT_TYPES = frozenset(EventType)


@dataclass(frozen=True)
class Event:
    type: EventType
    at: datetime
    payload: dict[str, Any]
    ticket_id: int | None = None
    queue: str | None = None
    agents: frozenset[int] = field(default_factory=frozenset)  # the agents it concerns
    id: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.type, EventType):  # read back from storage as a plain string
            object.__setattr__(self, "type", EventType(self.type))

    @classmethod
    def of(cls, kind: EventType, payload: Payload, at: datetime, *,
           ticket_id: int | None = None, queue: str | None = None,
           agents: frozenset[int] = frozenset()) -> Event:
        """An event from its typed payload (event_types.py), as it will travel."""
        assert isinstance(payload, kind.payload), (kind, payload)
        return cls(type=kind, at=at, payload=wire(payload), ticket_id=ticket_id, queue=queue,
                   agents=agents)

    def message(self) -> dict[str, Any]:
        """How the event travels (WebSocket frames, webhook bodies)."""
        return {"type": self.type.value, "id": self.id, "at": self.at.isoformat(),
                **self.payload}


def wire(payload: Payload) -> dict[str, Any]:
    found = {f.name: getattr(payload, f.name) for f in fields(payload)}
    return {k: v for k, v in found.items() if v is not None or k not in OPTIONAL_KEYS}


def ticket_event(entry: HistoryEntry, ticket: Ticket) -> Event:
    """The event of one history entry, with the ticket as that entry left it."""
    kind = HistoryKind(entry.event).event_type
    concerned = {a for a in (entry.from_agent_id, entry.to_agent_id, ticket.agent_id)
                 if a is not None}
    load = None
    if entry.load is not None:  # the new holder's load as this assignment left it
        load = AgentLoad(active_tickets=entry.load[0], max_tickets=entry.load[1])
    why = left_queue(kind, entry.reason.value, entry.actor.key, entry.from_agent_id)
    left = None
    if why is not None and entry.from_agent_id is not None:  # its page and its chat tell
        left = LeftQueue(agent_id=entry.from_agent_id, why=why)  # the agent, from one rule
    payload = TicketPayload(
        ticket=(ticket_view(ticket)), reason=entry.reason.value,
        actor=entry.actor.key, from_agent_id=entry.from_agent_id,
        to_agent_id=entry.to_agent_id, agent_load=load, left_queue=left,
        by=actor_detail(entry.actor), because=_because(entry))
    return Event.of(kind, payload, entry.at, ticket_id=ticket.id, queue=ticket.queue,
                    agents=frozenset(concerned))


def _because(entry: HistoryEntry) -> str | None:
    """A transfer's reason in the person's words, for the new holder to be told."""
    if entry.reason is not Reason.TRANSFERRED or not entry.detail:
        return None
    found = entry.detail.get("reason")
    return str(found) if found else None


def actor_detail(actor: Actor) -> ActorDetail:
    """Who an actor was, as events and the REST API carry it beside its key."""
    return ActorDetail(user_id=actor.user_id, name=actor.name or actor.key,
                       via=actor.via.value, token=actor.token)


_MOVED_AWAY = frozenset({Reason.REASSIGNED.value, Reason.FORCED.value, Reason.UNASSIGNED.value})
_LEFT_BY_OTHERS = frozenset({EventType.TICKET_CANCELLED, EventType.TICKET_COMPLETED})


def left_queue(event_type: EventType, reason: str | None, actor: str | None,
               holder: int | None) -> str | None:
    """Why a ticket left its holder's personal queue by someone else's hand, for the holder to
    be told: `escalated` (not accepted in time), `unanswered` (accepted, and no reply to the
    customer in time: the reply timer), `moved` (a supervisor reassigned, unassigned
    or transferred it), `offline` (its queue sends tickets back when the holder goes offline,
    whoever set it offline), `cancelled` or `completed` by a supervisor. None when the holder
    did it itself, when nothing left anyone's queue, or when the holder is gone (deactivated,
    orphaned)."""
    if holder is None:
        return None
    if event_type is EventType.TICKET_ESCALATED:
        return "unanswered" if reason == Reason.REPLY_TIMEOUT.value else "escalated"
    if event_type is EventType.TICKET_UNASSIGNED:
        if reason == Reason.AGENT_OFFLINE.value:
            return "offline"
        return "moved" if reason in _MOVED_AWAY else None
    if event_type is EventType.TICKET_TRANSFERRED:
        return "moved" if actor != f"agent:{holder}" else None
    if event_type in _LEFT_BY_OTHERS and actor != f"agent:{holder}":
        return event_type.value.removeprefix("ticket.")
    return None


def presence_event(agent: Agent, at: datetime) -> Event:
    return Event.of(EventType.AGENT_PRESENCE, _agent(agent), at, agents=frozenset({agent.id}))


def agent_event(agent: Agent, at: datetime, by: Actor | None = None) -> Event:
    return Event.of(EventType.AGENT_CHANGED, _agent(agent, by), at,
                    agents=frozenset({agent.id}))


def _agent(agent: Agent, by: Actor | None = None) -> AgentPayload:
    return AgentPayload(agent=agent_view(agent), by=_detail(by))


def _detail(by: Actor | None) -> ActorDetail | None:
    return actor_detail(by) if by is not None else None


def queue_event(queue: Queue, at: datetime, by: Actor | None = None) -> Event:
    return Event.of(EventType.QUEUE_CHANGED, QueuePayload(queue=queue_view(queue),
                                                          by=_detail(by)),
                    at, queue=queue.name)


def schedule_event(action: str, at: datetime, *, name: str,
                   shown: tuple[Schedule, OpenState, Sequence[str]] | None = None,
                   by: Actor | None = None) -> Event:
    """A schedule `action` (created, changed, holidays_imported, deleted): `shown` is the
    schedule after it, its state at `at` and the queues keeping it (None once deleted)."""
    view = schedule_view(*shown) if shown is not None else None
    return Event.of(EventType.SCHEDULE_CHANGED,
                    SchedulePayload(name=name, action=action, schedule=view, by=_detail(by)),
                    at)


def message_event(change: EventType, ticket: Ticket, message: Message, at: datetime) -> Event:
    """A message of a ticket's conversation arrived, left, changed state or was edited: for
    admins and the ticket's holder, whose pages show the conversation live."""
    holder = frozenset({ticket.agent_id}) if ticket.agent_id is not None else frozenset()
    payload = MessagePayload(ticket_id=ticket.id, number=ticket.number,
                             message=(message_view(message)))
    return Event.of(change, payload, at, ticket_id=ticket.id, queue=ticket.queue,
                    agents=holder)


def with_holders(events: Sequence[Event]) -> list[Event]:
    """The events of one commit, each ticket's also concerning whoever holds it when the commit
    ends: an agent handed a ticket that was just taken back from someone else hears of both
    moves, and a ticket created and assigned at once is nobody else's news."""
    holder: dict[int, int | None] = {}
    for event in events:
        if event.ticket_id is not None and event.type.is_ticket:
            holder[event.ticket_id] = event.payload["ticket"]["assigned_agent_id"]
    found = []
    for event in events:
        last = holder.get(event.ticket_id or 0) if event.type.is_ticket else None
        if last is not None and last not in event.agents:
            event = replace(event, agents=event.agents | {last})
        found.append(event)
    return found


def user_event(user: User, action: str, at: datetime, by: Actor | None = None) -> Event:
    return Event.of(EventType.USER_CHANGED,
                    UserPayload(user=user_view(user), action=action, by=_detail(by)), at)


def visible_to(event: Event, *, agent: Agent | None, user_id: int | None = None,
               sees_people: bool = False) -> bool:
    """`agent` None is a supervisor, who sees the whole floor. An agent sees what concerns
    it, and new tickets waiting in its queues (its pick-up list); never another agent's work.
    A user's changes: those who manage people (`sees_people`), and the user."""
    if event.type.is_user:
        return sees_people or (user_id is not None and event.payload["user"]["id"] == user_id)
    if agent is None:
        return True
    if agent.id in event.agents:
        return True
    ticket = event.payload.get("ticket")
    return (
        event.type is EventType.TICKET_CREATED
        and not event.agents
        and ticket is not None
        and ticket.get("status") == TicketStatus.QUEUED.value
        and event.queue in agent.queues
    )


__all__ = ["agent_view", "message_view", "queue_view", "ticket_view"]
