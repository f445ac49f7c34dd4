"""Who hears of an SLA warning or breach on their chat (Telegram): the ticket's holder (its
own chat, in its language) and every supervisor of the ticket's queue who linked a chat
(`supervisor_chats`), in the language the supervisor's chat was linked in. Each notice's key
names the event and the recipient, so a pass that runs twice tells nobody twice. The pages
tell the same from the event itself (a toast on the agent's page and in the console).
"""

from __future__ import annotations

from datetime import datetime

from giliran.domain import hours
from giliran.domain.conversation import TELEGRAM
from giliran.domain.event_types import EventType
from giliran.domain.events import Event
from giliran.domain.model import Ticket
from giliran.domain.notices import Notice, say
from giliran.service.lookups import schedule_of
from giliran.service.notices.supervisor_chats import supervisors_of
from giliran.service.ports import UnitOfWork

ALERTS = {EventType.SLA_WARNING: "sla_warning", EventType.SLA_BREACHED: "sla_breached"}


def tell_sla(uow: UnitOfWork, event: Event, ticket: Ticket, now: datetime) -> int:
    """The notices an SLA event makes; how many were new."""
    key = ALERTS.get(event.type)
    if key is None:
        return 0
    told = 0
    due = _due(uow, ticket, event.payload.get("due_at"))
    holder = uow.agents.get(ticket.agent_id) if ticket.agent_id is not None else None
    link = uow.chat_links.for_agent(holder.id) if holder is not None else None
    if holder is not None and holder.active and link is not None:
        text = _text(holder.language, key, event, ticket, None, due)
        told += _queue(uow, now, link.chat_id, text, f"event:{event.id}:agent:{holder.id}",
                       ticket.id)
    for chat in supervisors_of(uow, ticket.queue):
        if link is not None and chat.chat_id == link.chat_id:
            continue  # the holder's own chat already heard it
        text = _text(chat.language, key, event, ticket, holder.name if holder else "", due)
        told += _queue(uow, now, chat.chat_id, text, f"event:{event.id}:user:{chat.user_id}",
                       None)
    return told


def _queue(uow: UnitOfWork, now: datetime, chat_id: str, text: str, key: str,
           ticket_id: int | None) -> int:
    return int(uow.notices.add(Notice(0, TELEGRAM, chat_id, text, key, next_attempt_at=now,
                                      created_at=now, ticket_id=ticket_id)))


def _due(uow: UnitOfWork, ticket: Ticket, value: object) -> str:
    """The due time on the clock of the ticket's queue (its schedule's timezone; UTC without
    one), named, as a supervisor in that office reads it."""
    if not value:
        return "-"
    at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    queue = uow.queues.get(ticket.queue)
    schedule = schedule_of(uow, queue) if queue is not None else None
    name = schedule.timezone if schedule is not None else "UTC"
    return f"{at.astimezone(hours.zone(name)):%Y-%m-%d %H:%M} ({name})"


def _text(lang: str, key: str, event: Event, ticket: Ticket, holder: str | None,
          due: str) -> str:
    """What the alert says; a supervisor's (`holder` given) also says who holds the ticket."""
    p = event.payload
    target = str(p.get("target") or "")
    words = say(lang, f"target_{target}") if target in _TARGETS else target
    text = say(lang, key, number=ticket.number, title=ticket.title, queue=ticket.queue,
               target=words, due=due)
    if holder is None:
        return text
    return text + "\n" + (say(lang, "sla_holder", holder=holder) if holder
                          else say(lang, "sla_nobody"))


_TARGETS = frozenset({"first_response", "next_response", "resolution"})
