"""Events: what the floor tells the people watching it (dashboards, bots, other systems).

An event is written in the same transaction as the change it describes, with an id that grows
in commit order, so a client that reconnects can ask for everything after the last id it saw
and miss nothing. Who may see an event is a rule of its own (`visible_to`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from giliran.domain.conversation import Message
from giliran.domain.model import Agent, HistoryEntry, Queue, Reason, Ticket, TicketStatus
from giliran.domain.views import agent_view, message_view, queue_view, ticket_view

# History events and the event types they become.
EVENT_TYPES = frozenset({
    "ticket.created", "ticket.assigned", "ticket.accepted", "ticket.completed",
    "ticket.cancelled", "ticket.escalated", "ticket.unassigned", "ticket.flagged",
    "ticket.released",
    "ticket.priority", "agent.presence", "agent.changed", "queue.changed",
    *(f"message.{change}" for change in ("received", "sent", "status", "edited")),
})
TICKET_TYPES: Mapping[str, str] = {
    "created": "ticket.created",
    "assigned": "ticket.assigned",
    "accepted": "ticket.accepted",
    "completed": "ticket.completed",
    "cancelled": "ticket.cancelled",
    "escalated": "ticket.escalated",
    "unassigned": "ticket.unassigned",
    "flagged": "ticket.flagged",
    "released": "ticket.released",
    "moved to front": "ticket.priority",
}


@dataclass(frozen=True)
class Event:
    type: str
    at: datetime
    payload: dict[str, Any]
    ticket_id: int | None = None
    queue: str | None = None
    agents: frozenset[int] = field(default_factory=frozenset)  # the agents it concerns
    id: int = 0

    def message(self) -> dict[str, Any]:
        """How the event travels (WebSocket frames, webhook bodies)."""
        return {"type": self.type, "id": self.id, "at": self.at.isoformat(), **self.payload}


def ticket_event(entry: HistoryEntry, ticket: Ticket) -> Event:
    kind = TICKET_TYPES.get(entry.event)
    if kind is None:  # priority_<level>
        kind = "ticket.priority"
    concerned = {a for a in (entry.from_agent_id, entry.to_agent_id, ticket.agent_id)
                 if a is not None}
    payload = {
        "ticket": ticket_view(ticket), "reason": entry.reason.value, "actor": entry.actor,
        "from_agent_id": entry.from_agent_id, "to_agent_id": entry.to_agent_id,
    }
    if entry.load is not None:  # the new holder's load as this assignment left it
        payload["agent_load"] = {"active_tickets": entry.load[0], "max_tickets": entry.load[1]}
    why = left_queue(kind, entry.reason.value, entry.actor, entry.from_agent_id)
    if why is not None:  # its page and its chat tell the agent, from this one rule
        payload["left_queue"] = {"agent_id": entry.from_agent_id, "why": why}
    return Event(type=kind, at=entry.at, ticket_id=ticket.id, queue=ticket.queue,
                 agents=frozenset(concerned), payload=payload)


_MOVED_AWAY = frozenset({Reason.REASSIGNED.value, Reason.FORCED.value, Reason.UNASSIGNED.value})


def left_queue(event_type: str, reason: str | None, actor: str | None,
               holder: int | None) -> str | None:
    """Why a ticket left its holder's personal queue by someone else's hand, for the holder to
    be told: `escalated` (not accepted in time), `moved` (a supervisor reassigned or unassigned
    it), `offline` (its queue sends tickets back when the holder goes offline, whoever set it
    offline), `cancelled` or `completed` by a supervisor. None when the holder did it itself,
    when nothing left anyone's queue, or when the holder is gone (deactivated, orphaned)."""
    if holder is None:
        return None
    if event_type == "ticket.escalated":
        return "escalated"
    if event_type == "ticket.unassigned":
        if reason == Reason.AGENT_OFFLINE.value:
            return "offline"
        return "moved" if reason in _MOVED_AWAY else None
    if event_type in ("ticket.cancelled", "ticket.completed") and actor != f"agent:{holder}":
        return event_type.removeprefix("ticket.")
    return None


def events_of(entries: Sequence[HistoryEntry], ticket_of: Callable[[int], Ticket | None],
              agents: Iterable[tuple[Watched | None, Agent]], queues: Iterable[Queue],
              now: datetime) -> list[Event]:
    """The events of one commit, from what it wrote and changed: one per history entry (with
    the ticket as it is at commit), one per agent whose watched fields changed (`agents` gives
    what was watched before the unit of work changed it, None for a new agent), one per queue
    it saved (the last save of each). Every storage derives its events here, so the memory
    store and SQL cannot tell different stories."""
    found = []
    for entry in entries:
        ticket = ticket_of(entry.ticket_id)
        if ticket is not None:
            found.append(ticket_event(entry, ticket))
    for before, agent in agents:
        after = watched(agent)
        if before != after:
            moved = before is not None and before[0] != after[0]
            found.append((presence_event if moved else agent_event)(agent, now))
    for queue in {q.name: q for q in queues}.values():
        found.append(queue_event(queue, now))
    return found


Watched = tuple[Any, ...]


def watched(agent: Agent) -> Watched:
    """What of an agent the people watching the floor see change (presence first)."""
    return (agent.presence, agent.name, agent.max_tickets, agent.auto_assign, agent.active,
            agent.queues, agent.language, agent.auto_assign_locked, agent.rotation_order,
            agent.telegram_ticket_left,
            tuple(sorted((q, s.missed_in_row, s.paused_at, s.pause_reason)
                         for q, s in agent.queue_state.items())))


def presence_event(agent: Agent, at: datetime) -> Event:
    return Event(type="agent.presence", at=at, agents=frozenset({agent.id}),
                 payload={"agent": agent_view(agent)})


def agent_event(agent: Agent, at: datetime) -> Event:
    return Event(type="agent.changed", at=at, agents=frozenset({agent.id}),
                 payload={"agent": agent_view(agent)})


def queue_event(queue: Queue, at: datetime) -> Event:
    return Event(type="queue.changed", at=at, queue=queue.name,
                 payload={"queue": queue_view(queue)})


def message_event(change: str, ticket: Ticket, message: Message, at: datetime) -> Event:
    """A message of a ticket's conversation arrived, left, changed state or was edited: for
    admins and the ticket's holder, whose pages show the conversation live."""
    holder = frozenset({ticket.agent_id}) if ticket.agent_id is not None else frozenset()
    return Event(type=f"message.{change}", at=at, ticket_id=ticket.id, queue=ticket.queue,
                 agents=holder, payload={"ticket_id": ticket.id, "number": ticket.number,
                                         "message": message_view(message)})




def visible_to(event: Event, *, agent: Agent | None) -> bool:
    """`agent` None is an admin, who sees everything. An agent sees what concerns it, and new
    tickets waiting in its queues (its pick-up list); never another agent's work."""
    if agent is None:
        return True
    if agent.id in event.agents:
        return True
    ticket = event.payload.get("ticket")
    return (
        event.type == "ticket.created"
        and not event.agents
        and ticket is not None
        and ticket.get("status") == TicketStatus.QUEUED.value
        and event.queue in agent.queues
    )


__all__ = ["agent_view", "message_view", "queue_view", "ticket_view"]
