"""Telling people on their chat (Telegram), through an outbox: agents about their work,
customers that their ticket is open and, later, resolved (queued by the use case itself).

A pass reads the events after its cursor and writes, in one transaction with the moved cursor,
a notice for each person who must hear of one: an assignment to its new holder (with Accept
and Complete buttons), a ticket taken back or moved away to its old holder. Each notice's key
names its event and recipient, so no event is told twice. Notices are then leased, sent outside
any transaction and recorded like webhook deliveries: retried with backoff while the channel is
down, dead after the last attempt for an admin to see and retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from giliran.domain import delivery as d
from giliran.domain.delivery import DeliveryStatus
from giliran.domain.events import Event
from giliran.domain.model import Agent, Reason, Ticket
from giliran.domain.notices import TELEGRAM, ChatLink, Notice, say, ticket_buttons
from giliran.service.context import Context, Principal, Role
from giliran.service.lookups import notice_or_404
from giliran.service.outbox import Backlog
from giliran.service.ports import UnitOfWork

CURSOR = "notices.last_event_id"
PAGE = 500
# A notice about something older than this helps nobody (the server was down, or the channel
# was only just configured): such events move the cursor and tell no one.
STALE = timedelta(hours=1)
_MOVED_AWAY = {Reason.REASSIGNED.value, Reason.UNASSIGNED.value}


@dataclass(frozen=True)
class Sent:
    """How one attempt went: `error` None is delivered. A permanent error (the person blocked
    the bot, the chat is gone) is not retried; `wait` is the channel's own Retry-After."""

    error: str | None = None
    permanent: bool = False
    wait: timedelta | None = None


def queue_notice(uow: UnitOfWork, now: datetime, chat_id: str, text: str, key: str,
                 buttons: tuple[tuple[str, str], ...] = ()) -> bool:
    return uow.notices.add(Notice(0, TELEGRAM, chat_id, text, key, buttons,
                                  next_attempt_at=now, created_at=now))


def tell_customer_resolved(uow: UnitOfWork, now: datetime, ticket: Ticket) -> bool:
    """A customer who wrote in on Telegram hears that their ticket is resolved, in the
    language of their last message, in the transaction that completes it; their next message
    opens a new ticket. Other channels have no way back to the customer yet."""
    prefix = f"{TELEGRAM}:"
    if ticket.contact is None or not ticket.contact.startswith(prefix):
        return False
    spoken = [m.language for m in uow.messages.for_ticket(ticket.id) if m.language]
    text = say(spoken[-1] if spoken else "en", "customer_closed", number=ticket.number)
    return queue_notice(uow, now, ticket.contact.removeprefix(prefix), text,
                        f"ticket:{ticket.id}:resolved")


def start_cursor(uow: UnitOfWork, *, restart: bool = False) -> None:
    """Notices start with the next event: at the first pass, and again whenever a chat is
    linked while no other is (passes skip events while nobody listens, and nobody could be
    told of those)."""
    if restart or uow.settings.get(CURSOR) is None:
        uow.settings.put(CURSOR, str(uow.events.bounds()[1]))


def fan_out(ctx: Context) -> int:
    """New events become notices for the linked agents they concern."""
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        if uow.settings.get(CURSOR) is None:
            start_cursor(uow)
            uow.commit()
            return 0
        events = uow.events.after(int(uow.settings.get(CURSOR) or 0), PAGE)
        if not events:
            return 0
        made = sum(_tell(uow, e, now) for e in events if now - e.at <= STALE)
        uow.settings.put(CURSOR, str(events[-1].id))
        uow.commit()
    return made


def _tell(uow: UnitOfWork, event: Event, now: datetime) -> int:
    p = event.payload
    ticket = uow.tickets.get(event.ticket_id) if event.ticket_id is not None else None
    if ticket is None:
        return 0
    told = 0
    if event.type == "ticket.assigned" and p.get("to_agent_id") is not None:
        told += _assigned(uow, event, ticket, int(p["to_agent_id"]), now)
    elif event.type == "ticket.escalated" and p.get("from_agent_id") is not None:
        told += _to_agent(uow, event, int(p["from_agent_id"]), now, "taken_back", ticket)
    elif (event.type == "ticket.unassigned" and p.get("from_agent_id") is not None
          and p.get("reason") in _MOVED_AWAY):
        told += _to_agent(uow, event, int(p["from_agent_id"]), now, "moved_away", ticket)
    return told


def _assigned(uow: UnitOfWork, event: Event, ticket: Ticket, agent_id: int,
              now: datetime) -> int:
    link, agent = _linked(uow, agent_id)
    if link is None or agent is None:
        return 0
    held = [t.id for t in uow.tickets.held_by(agent_id)]
    figures = {"number": ticket.number, "title": ticket.title, "active": agent.active_tickets,
               "max": agent.max_tickets}
    if ticket.id not in held:  # moved on before this pass: say so, without buttons
        return int(queue_notice(uow, now, link.chat_id, say(link.language, "assigned_gone",
                                **figures), _key(event, agent_id)))
    text = say(link.language, "assigned", category=ticket.category or "-",
               position=held.index(ticket.id) + 1, **figures)
    return int(queue_notice(uow, now, link.chat_id, text, _key(event, agent_id),
                            ticket_buttons(link.language, ticket.id)))


def _to_agent(uow: UnitOfWork, event: Event, agent_id: int, now: datetime, phrase: str,
              ticket: Ticket) -> int:
    link, _ = _linked(uow, agent_id)
    if link is None:
        return 0
    text = say(link.language, phrase, number=ticket.number)
    return int(queue_notice(uow, now, link.chat_id, text, _key(event, agent_id)))


def _linked(uow: UnitOfWork, agent_id: int) -> tuple[ChatLink | None, Agent | None]:
    link = uow.chat_links.for_agent(agent_id)
    agent = uow.agents.get(agent_id) if link is not None else None
    if agent is None or not agent.active:
        return None, None
    return link, agent


def _key(event: Event, agent_id: int) -> str:
    return f"event:{event.id}:agent:{agent_id}"


def claim(ctx: Context, limit: int) -> list[Notice]:
    """Lease the due notices (writers are serialized, so two processes never take the same
    one); a crash while sending lets the lease run out and the notice go again."""
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        due = uow.notices.due(now, limit)
        for notice in due:
            d.lease(notice, now=now)
            uow.notices.save(notice)
        uow.commit()
    return due


def record(ctx: Context, notice_id: int, sent: Sent, max_attempts: int) -> None:
    with ctx.uow(write=True) as uow:
        found = uow.notices.get(notice_id)
        if found is None or found.status is not DeliveryStatus.PENDING:
            return
        d.settle(found, sent.error, now=ctx.clock.now(), max_attempts=max_attempts,
                 wait=sent.wait, permanent=sent.permanent)
        uow.notices.save(found)
        uow.commit()


def backlog(ctx: Context) -> Backlog:
    """Listening while any chat is linked (only linked agents are told of events)."""
    with ctx.uow(write=False) as uow:
        listening = uow.chat_links.any()
        cursor = uow.settings.get(CURSOR)
        if cursor is None or (listening and int(cursor) < uow.events.bounds()[1]):
            return Backlog(listening, True)
        return Backlog(listening, bool(uow.notices.due(ctx.clock.now(), 1)))


def list_notices(ctx: Context, who: Principal, status: DeliveryStatus | None, limit: int,
                 offset: int) -> tuple[list[Notice], int]:
    who.require(Role.ADMIN)
    with ctx.uow(write=False) as uow:
        return uow.notices.search(status, limit, offset)


def retry_notice(ctx: Context, who: Principal, notice_id: int) -> Notice:
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        found = notice_or_404(uow, notice_id)
        d.retry(found, now=ctx.clock.now(), name=f"notice {notice_id}")
        uow.notices.save(found)
        uow.commit()
    return found


def prune(ctx: Context, keep: timedelta) -> int:
    with ctx.uow(write=True) as uow:
        removed = uow.notices.prune_delivered(ctx.clock.now() - keep)
        uow.commit()
    return removed
