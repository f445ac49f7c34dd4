"""The audit log: every change to agents, queues and run-time settings, with who made it, when,
and the fields before and after. Written in the transaction of the change and never pruned, so
a reviewer can reconstruct who set what, long after the events are gone.

Only what changed is recorded (a save that changes nothing leaves no line); a creation has no
`before`, and pauses and resumes are changes to an agent like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from giliran.domain.actor import Actor
from giliran.domain.model import Agent, Queue
from giliran.domain.people import ApiToken, User


class AuditKind(StrEnum):
    AGENT = "agent"
    QUEUE = "queue"
    SETTINGS = "settings"
    USER = "user"
    TOKEN = "token"
    CANNED_REPLY = "canned_reply"
    SLA_POLICY = "sla_policy"  # an SLA policy created, changed, reordered or deleted
    TICKETS = "tickets"  # a bulk action on tickets: its arguments and the tickets it moved
    CHANNEL = "channel"  # a channel's own settings (its subject says which, e.g. "mailbox:3")
    CUSTOMER = "customer"  # customers linked as one person, or unlinked (domain/person.py)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: Actor
    kind: AuditKind
    subject: str  # the agent's id, the queue's name, the setting's name
    action: str  # created, changed, deactivated, preset, pointer, paused, resumed
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    id: int = 0


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def agent_fields(agent: Agent) -> dict[str, Any]:
    """What an admin or the agent itself sets, and the pauses in its queues."""
    paused = {q: {"since": _plain(s.paused_at), "reason": s.pause_reason}
              for q, s in sorted(agent.queue_state.items()) if s.paused}
    return {"name": agent.name, "max_tickets": agent.max_tickets,
            "auto_assign": agent.auto_assign, "auto_assign_locked": agent.auto_assign_locked,
            "rotation_order": agent.rotation_order, "active": agent.active,
            "queues": sorted(agent.queues), "language": agent.language.value,
            "telegram_ticket_left": agent.telegram_ticket_left, "paused": paused}


def user_fields(user: User) -> dict[str, Any]:
    """What an admin or the user sets; never a password or its hash (only when it changed)."""
    return {"email": user.email, "name": user.name, "role": user.role.value,
            "language": user.language.value, "active": user.active,
            "queues": sorted(user.queues), "must_change_password": user.must_change_password,
            "password_changed_at": _plain(user.password_changed_at)}


def token_fields(token: ApiToken) -> dict[str, Any]:
    """Its name, role and life; never the token or its hash."""
    return {"name": token.name, "role": token.role.value, "user_id": token.user_id,
            "expires_at": _plain(token.expires_at), "revoked_at": _plain(token.revoked_at)}


def queue_fields(queue: Queue) -> dict[str, Any]:
    """Its policy. The pointer moves with every assignment in a rotation; a supervisor's
    setting of it is recorded as an entry of its own (action `pointer`)."""
    return {f.name: _plain(getattr(queue, f.name)) for f in fields(queue)
            if f.name not in ("name", "next_agent_id", "pointer_set_by_hand")}


def change(*, at: datetime, actor: Actor, kind: AuditKind, subject: str, action: str,
           before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> AuditEntry | None:
    """The entry for a change, with only the fields that differ; None when nothing did."""
    if before is None:
        return AuditEntry(at, actor, kind, subject, action, None, dict(after))
    keys = [k for k in after if before.get(k) != after[k]]
    if not keys:
        return None
    return AuditEntry(at, actor, kind, subject, action, {k: before.get(k) for k in keys},
                      {k: after[k] for k in keys})
