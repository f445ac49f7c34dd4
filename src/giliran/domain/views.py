"""How the floor's objects travel in events (WebSocket frames, webhook bodies): one function per
kind, the same for every event that carries it, so a page or an integrator keeps one shape per
object."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from giliran.domain.conversation import Message
from giliran.domain.model import Agent, Queue, Ticket


def message_view(m: Message) -> dict[str, Any]:
    return {
        "id": m.id, "ticket_id": m.ticket_id, "direction": m.direction.value,
        "channel": m.channel, "kind": m.kind.value, "sender": m.sender, "author": m.author,
        "body": m.body, "content": m.content, "at": m.at.isoformat(),
        "state": m.state.value if m.state is not None else None,
        "state_at": _iso(m.state_at), "error": m.error, "edited_at": _iso(m.edited_at),
    }


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id, "number": ticket.number, "title": ticket.title,
        "category": ticket.category, "queue": ticket.queue, "priority": ticket.priority.label,
        "effective_priority": ticket.effective_priority.label,
        "status": ticket.status.value, "assigned_agent_id": ticket.agent_id,
        "assigned_at": _iso(ticket.assigned_at), "created_at": _iso(ticket.created_at),
        "escalations": ticket.escalations,
        "flag": ticket.flag.value if ticket.flag is not None else None,
        "flag_reason": ticket.flag_reason,
        "auto_dispatch": ticket.auto_dispatch,
    }


def agent_view(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id, "name": agent.name, "presence": agent.presence.value,
        "active_tickets": agent.active_tickets, "max_tickets": agent.max_tickets,
        "auto_assign": agent.auto_assign, "active": agent.active,
        "queues": sorted(agent.queues),
    }


def queue_view(queue: Queue) -> dict[str, Any]:
    return {
        "name": queue.name, "strategy": queue.strategy.value, "active": queue.active,
        "accept_timeout_seconds": queue.accept_timeout_seconds,
        "auto_assign_percent": queue.auto_assign_percent,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
