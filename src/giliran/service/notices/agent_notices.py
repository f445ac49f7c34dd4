"""What an event tells the agents it concerns on their own chat (Telegram): an assignment to
its new holder (with Accept and Complete buttons, the load the assignment left, and a
transfer's reason), a ticket that left its old holder's queue by someone else's hand
(escalated, moved, cancelled, completed by a supervisor, sent back as it went offline) to that
holder unless it said not to, a customer's new message to the agent holding the ticket, a
reply of the desk that failed to its holder (once per message). Each notice's key names its
event and recipient, so no event is told twice. `service.notices.notify` runs the pass.
"""

from __future__ import annotations

from datetime import datetime

from giliran.domain.conversation import SYSTEM_AUTHOR, TELEGRAM, Direction, Kind, State, summary
from giliran.domain.event_types import EventType
from giliran.domain.events import Event, left_queue
from giliran.domain.model import Agent, Ticket
from giliran.domain.notices import ChatLink, Notice, say, ticket_buttons
from giliran.service.notices.sla_alerts import ALERTS, tell_sla
from giliran.service.ports import UnitOfWork


def queue_notice(uow: UnitOfWork, now: datetime, chat_id: str, text: str, key: str,
                 buttons: tuple[tuple[str, str], ...] = (), *, ticket_id: int | None = None
                 ) -> bool:
    """A notice to a person's own chat on Telegram (an agent's, or an answer to a command)."""
    return uow.notices.add(Notice(0, TELEGRAM, chat_id, text, key, buttons,
                                  next_attempt_at=now, created_at=now, ticket_id=ticket_id))


def tell(uow: UnitOfWork, event: Event, now: datetime) -> int:
    """The notices one event makes for the agents it concerns; how many were new."""
    p = event.payload
    ticket = uow.tickets.get(event.ticket_id) if event.ticket_id is not None else None
    if ticket is None:
        return 0
    told = 0
    holder = p.get("from_agent_id")
    why = left_queue(event.type, p.get("reason"), p.get("actor"), holder)
    if event.type is EventType.TICKET_ASSIGNED and p.get("to_agent_id") is not None:
        told += _assigned(uow, event, ticket, int(p["to_agent_id"]), now)
    elif why is not None and holder is not None:
        told += _left(uow, event, int(holder), now, why, ticket)
    elif event.type is EventType.MESSAGE_RECEIVED and ticket.agent_id is not None:
        told += _customer_wrote(uow, event, ticket, ticket.agent_id, now)
    elif event.type is EventType.MESSAGE_STATUS and ticket.agent_id is not None:
        told += _reply_failed(uow, event, ticket, ticket.agent_id, now)
    elif event.type in ALERTS:
        told += tell_sla(uow, event, ticket, now)
    return told


def _reply_failed(uow: UnitOfWork, event: Event, ticket: Ticket, agent_id: int,
                  now: datetime) -> int:
    """A reply of the desk that the channel refused, or the outbox gave up on, is told to the
    ticket's holder once per message (the key names the message, not the event), since the
    customer is otherwise never answered and nobody notices."""
    m = event.payload.get("message") or {}
    if not is_failed_reply(m):
        return 0
    link, agent = _linked(uow, agent_id)
    if link is None or agent is None:
        return 0
    customer = uow.customers.get(ticket.contact) if ticket.contact is not None else None
    named = (customer.name or customer.shown_address) if customer is not None else "-"
    text = say(agent.language, "reply_failed", customer=named, number=ticket.number,
               reason=m.get("error") or "-")
    return int(queue_notice(uow, now, link.chat_id, text,
                            f"message:{m.get('id')}:failed:agent:{agent_id}",
                            ticket_id=ticket.id))


def is_failed_reply(message: dict[str, object]) -> bool:
    """A message (as it travels) the desk wrote to the customer and that did not get there;
    giliran's own words (`system`) are not a person's reply."""
    return (message.get("direction") == Direction.OUT.value
            and message.get("state") == State.FAILED.value
            and message.get("author") != SYSTEM_AUTHOR)


def _customer_wrote(uow: UnitOfWork, event: Event, ticket: Ticket, agent_id: int,
                    now: datetime) -> int:
    """The holder reads a customer's new message in its chat, and may answer it by replying."""
    link, agent = _linked(uow, agent_id)
    m = event.payload.get("message") or {}
    if link is None or agent is None or not ticket.status.is_active:
        return 0
    said = summary(Kind.of(m.get("kind", "text")), str(m.get("body", "")),
                   dict(m.get("content") or {}))
    text = say(agent.language, "customer_wrote", number=ticket.number,
               sender=m.get("sender", ""), text=said)
    return int(queue_notice(uow, now, link.chat_id, text, _key(event, agent_id),
                            ticket_id=ticket.id))


def _assigned(uow: UnitOfWork, event: Event, ticket: Ticket, agent_id: int,
              now: datetime) -> int:
    link, agent = _linked(uow, agent_id)
    if link is None or agent is None:
        return 0
    named = {"number": ticket.number, "title": ticket.title}
    if ticket.agent_id != agent_id or not ticket.status.is_active:
        # Moved on (or done) before this pass: say so, without buttons, with the load now.
        return int(queue_notice(uow, now, link.chat_id, say(
            agent.language, "assigned_gone", active=agent.active_tickets,
            max=agent.max_tickets, **named), _key(event, agent_id)))
    active, capacity = _load_of(event, agent)
    # Its place as the assignment left it: the last of the agent's tickets, in the order
    # they came (as /myqueue lists them), like the count beside it.
    text = say(agent.language, "assigned", category=ticket.category or "-",
               position=active, active=active, max=capacity, **named)
    because = event.payload.get("because")
    if because:
        by = event.payload.get("by") or {}
        text += "\n" + say(agent.language, "transferred_by",
                           name=by.get("name") or event.payload.get("actor"), reason=because)
    if ticket.contact is not None:
        text += "\n" + say(agent.language, "reply_hint")
    return int(queue_notice(uow, now, link.chat_id, text, _key(event, agent_id),
                            ticket_buttons(agent.language, ticket.id), ticket_id=ticket.id))


def _load_of(event: Event, agent: Agent) -> tuple[int, int]:
    """The agent's (active tickets, capacity) as the assignment left them: a burst of
    assignments told after the burst reads 1/5, 2/5, 3/5, not 3/5 three times. Events
    written before the load was recorded fall back to the load now."""
    load = event.payload.get("agent_load") or {}
    return (int(load.get("active_tickets", agent.active_tickets)),
            int(load.get("max_tickets", agent.max_tickets)))


# What the chat says when a ticket left the agent's queue, by why (domain.events.left_queue).
_LEFT = {"escalated": "taken_back", "unanswered": "taken_back_unanswered",
         "moved": "moved_away", "offline": "left_offline", "cancelled": "left_cancelled",
         "completed": "left_completed"}


def _left(uow: UnitOfWork, event: Event, agent_id: int, now: datetime, why: str,
          ticket: Ticket) -> int:
    """A ticket left the agent's queue by someone else's hand: told unless the agent said
    not to (`telegram_ticket_left`; its page tells it in any case)."""
    link, agent = _linked(uow, agent_id)
    if link is None or agent is None or not agent.telegram_ticket_left:
        return 0
    text = say(agent.language, _LEFT[why], number=ticket.number)
    return int(queue_notice(uow, now, link.chat_id, text, _key(event, agent_id)))


def _linked(uow: UnitOfWork, agent_id: int) -> tuple[ChatLink | None, Agent | None]:
    """The agent's chat, and the agent, whose own `language` its notices are written in."""
    link = uow.chat_links.for_agent(agent_id)
    agent = uow.agents.get(agent_id) if link is not None else None
    if agent is None or not agent.active:
        return None, None
    return link, agent


def _key(event: Event, agent_id: int) -> str:
    return f"event:{event.id}:agent:{agent_id}"
