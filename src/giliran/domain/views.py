"""How the floor's objects travel in events (WebSocket frames, webhook bodies): one function per
kind, the same for every event that carries it, so a page or an integrator keeps one shape per
object. A ticket, an agent or a queue travels exactly as the REST API shows it (TicketOut,
AgentOut, QueueOut, to the same JSON: tests/unit/test_views_match_rest.py holds them together),
so a page can put a frame's object in its store in place of what it read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from giliran.domain.conversation import Message, split_contact
from giliran.domain.escalation import accept_deadline
from giliran.domain.event_types import (
    AgentWire,
    MessageWire,
    QueueWire,
    ScheduleWire,
    TicketWire,
    UserWire,
)
from giliran.domain.hours import OpenState, Schedule, format_minute, weekly_text
from giliran.domain.model import Agent, Queue, Ticket, TicketSla
from giliran.domain.people import User


def message_view(m: Message) -> MessageWire:
    return MessageWire({
        "id": m.id, "ticket_id": m.ticket_id, "direction": m.direction.value,
        "channel": m.channel, "kind": m.kind.value, "sender": m.sender, "author": m.author,
        "body": m.body, "content": m.content, "at": _utc(m.at),
        "state": m.state.value if m.state is not None else None,
        "state_at": _iso(m.state_at), "error": m.error, "edited_at": _iso(m.edited_at),
        "has_media": m.media_id is not None, "channel_message_id": m.at_channel,
    })


def ticket_view(ticket: Ticket, queue: Queue | None = None,
                queue_position: int | None = None, schedule: Schedule | None = None
                ) -> TicketWire:
    """`queue` (the ticket's) gives the accept deadline, with its `schedule` in business
    time; `queue_position` a queued ticket's place, which only a read of the queue knows."""
    deadline = accept_deadline(ticket, queue, schedule) if queue is not None else None
    return TicketWire({
        "id": ticket.id, "number": ticket.number, "title": ticket.title,
        "category": ticket.category, "description": ticket.description,
        "priority": ticket.priority.label, "effective_priority": ticket.effective_priority.label,
        "queue": ticket.queue, "status": ticket.status.value, "assigned_agent_id": ticket.agent_id,
        "external_id": ticket.external_id, "created_at": _iso(ticket.created_at),
        "assigned_at": _iso(ticket.assigned_at), "accepted_at": _iso(ticket.accepted_at),
        "closed_at": _iso(ticket.closed_at), "escalations": ticket.escalations,
        "flag": ticket.flag.value if ticket.flag is not None else None,
        "flag_reason": ticket.flag_reason, "flagged_at": _iso(ticket.flagged_at),
        "auto_dispatch": ticket.auto_dispatch, "queue_position": queue_position,
        "channel": split_contact(ticket.contact)[0] if ticket.contact else None,
        "accept_deadline": _iso(deadline), "hold_until": _iso(ticket.hold_until),
        "sla": sla_view(ticket.sla),
    })


def sla_view(sla: TicketSla | None) -> dict[str, Any]:
    if sla is None:
        return {"policy": None, "targets": []}
    return {"policy": sla.policy, "targets": [
        {"target": m.target, "due_at": _iso(m.due_at), "state": m.state,
         "warn_at": _iso(m.warn_at)} for m in sla.targets]}


def agent_view(agent: Agent) -> AgentWire:
    paused = [
        {"queue": q, "since": _iso(s.paused_at), "reason": s.pause_reason or "",
         "missed_in_row": s.missed_in_row}
        for q, s in sorted(agent.queue_state.items()) if s.paused_at is not None]
    return AgentWire({
        "id": agent.id, "name": agent.name, "max_tickets": agent.max_tickets,
        "auto_assign": agent.auto_assign, "rotation_order": agent.rotation_order,
        "active": agent.active, "online": agent.online, "presence": agent.presence.value,
        "last_seen_at": _iso(agent.last_seen_at), "active_tickets": agent.active_tickets,
        "missed_in_row": agent.missed_in_row, "queues": sorted(agent.queues), "paused": paused,
        "language": agent.language.value, "language_chosen": agent.language_chosen,
        "auto_assign_locked": agent.auto_assign_locked,
        "last_assigned_at": _iso(agent.last_assigned_at),
        "telegram_ticket_left": agent.telegram_ticket_left,
    })


def user_view(user: User) -> UserWire:
    return UserWire({
        "id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
        "language": user.language.value, "active": user.active, "queues": sorted(user.queues),
        "agent_id": user.agent_id, "has_password": user.password_hash is not None,
        "must_change_password": user.must_change_password,
        "created_at": _iso(user.created_at), "last_sign_in_at": _iso(user.last_sign_in_at),
    })


def queue_view(queue: Queue) -> QueueWire:
    return QueueWire({
        "name": queue.name, "strategy": queue.strategy.value,
        "accept_timeout_seconds": queue.accept_timeout_seconds,
        "max_escalations": queue.max_escalations, "away_after_misses": queue.away_after_misses,
        "offline_policy": queue.offline_policy.value, "max_wait_seconds": queue.max_wait_seconds,
        "auto_assign_percent": queue.auto_assign_percent, "active": queue.active,
        "priority_aging_seconds": queue.priority_aging_seconds,
        "reply_accepts": queue.reply_accepts, "max_per_agent": queue.max_per_agent,
        "slot_freed_on": queue.slot_freed_on.value, "claim": queue.claim.value,
        "pickup": queue.pickup.value, "service_level_seconds": queue.service_level_seconds,
        "hold_frees_slot": queue.hold_frees_slot, "hold_minutes": queue.hold_minutes,
        "hold_expiry": queue.hold_expiry.value, "schedule": queue.schedule,
        "calendar_clocks": sorted(queue.calendar_clocks),
        "out_of_hours_reply": queue.out_of_hours_reply,
        "offline_at_closing": queue.offline_at_closing,
        "reply_timeout_seconds": queue.reply_timeout_seconds,
        "waiting_order": queue.waiting_order.value,
    })


def schedule_view(schedule: Schedule, now: OpenState, queues: Sequence[str]) -> ScheduleWire:
    """As GET /schedules/{name} shows it: open or not at `now`'s moment, until when, and the
    queues that keep it."""
    return ScheduleWire({
        "name": schedule.name, "timezone": schedule.timezone, "hours": weekly_text(schedule),
        "exceptions": [{"date": x.day.isoformat(), "note": x.note,
                        "hours": [[format_minute(a), format_minute(b)] for a, b in x.hours]}
                       for x in schedule.exceptions],
        "holidays": [{"date": h.day.isoformat(), "name": h.name} for h in schedule.holidays],
        "holiday_country": schedule.holiday_country, "open_now": now.open,
        "until": _iso(now.until), "queues": list(queues),
    })


def _iso(value: datetime | None) -> str | None:
    return _utc(value) if value is not None else None


def _utc(value: datetime) -> str:
    """As Pydantic writes it (the REST API's JSON): UTC as `Z`."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
