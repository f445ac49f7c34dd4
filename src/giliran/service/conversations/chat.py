"""The bot's side of a chat channel (Telegram): what a message or a pressed button does.

A chat linked to an agent (once, with a one-time code: `service.conversations.chat_links`)
speaks for that agent: `/online`, `/offline`, `/myqueue`, `/status`, and the Accept / Complete
buttons under an assignment act through the same use cases and rules as the API; a reply to an
assignment (or to a customer's message relayed to the chat), or `/reply INC… text`, answers
the ticket's customer. Any other chat is a customer's: what they write opens a ticket, or
joins their open one.

Answers are notices keyed by the update they answer, so an update the channel delivers twice
(a retried webhook, a poll repeated after a crash) is answered once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from giliran.domain.conversation import TELEGRAM, Kind
from giliran.domain.errors import (
    AssignmentRevoked,
    CustomerBlocked,
    GiliranError,
    NotFound,
    NotYourTicket,
    OutsideCustomerWindow,
)
from giliran.domain.model import Agent, Presence, TicketStatus
from giliran.domain.notices import LARGEST_ID, ChatLink, language, parse_button, say
from giliran.domain.people import Role, Via
from giliran.service.assignment import presence
from giliran.service.context import Context, Principal, hash_token
from giliran.service.conversations import channels, conversation
from giliran.service.notices import notify, supervisor_chats
from giliran.service.notices.notify import queue_notice
from giliran.service.ports import TicketFilter, UnitOfWork
from giliran.service.tickets import tickets

LINK_COMMANDS = ("/start", "/link")
POLLER = "telegram.poller"  # "<owner> <lease end>": which process long-polls
OFFSET = "telegram.offset"  # the first update not yet handled
TICKET_NUMBER = re.compile(r"INC(\d{8})(\d{6,})")


@dataclass(frozen=True)
class ChatMessage:
    update_id: int
    chat_id: str
    message_id: int
    text: str  # the text, or a caption
    sender: str
    language: str | None
    at: datetime
    kind: Kind = Kind.TEXT
    content: dict[str, Any] = field(default_factory=dict)
    username: str | None = None
    edited: bool = False  # a new version of a message sent earlier
    reply_to: int | None = None  # the message (in this chat) it replies to


@dataclass(frozen=True)
class ButtonPress:
    update_id: int
    callback_id: str
    chat_id: str
    data: str
    language: str | None


def on_message(ctx: Context, msg: ChatMessage, queue: str) -> channels.Outcome | None:
    """What a customer's message did to their ticket; None for anything else."""
    text = msg.text if msg.kind is Kind.TEXT and not msg.edited else ""
    command, _, argument = text.strip().partition(" ")
    command = command.split("@")[0].lower() if command.startswith("/") else ""
    if command in LINK_COMMANDS and argument.strip():
        _answer(ctx, msg.update_id, msg.chat_id, _link(ctx, msg, argument.strip()))
        return None
    agent, lang = _linked(ctx, msg.chat_id, msg.language)
    if agent is not None:
        _answer(ctx, msg.update_id, msg.chat_id, _from_agent(ctx, agent, lang, msg, command,
                                                             argument))
        return None
    if command:  # a command is never a customer's question
        _answer(ctx, msg.update_id, msg.chat_id, say(language(msg.language), "customer_welcome"))
        return None
    incoming = channels.Incoming(
        channel=TELEGRAM, queue=queue, contact=msg.chat_id, sender=msg.sender,
        message_id=f"{msg.chat_id}:{msg.message_id}", text=msg.text, at=msg.at,
        kind=msg.kind, content=msg.content, acknowledge=True, language=msg.language,
        username=msg.username)
    if msg.edited:
        return channels.edit(ctx, channels.Edit(incoming))[0]
    return channels.receive(ctx, incoming)[0]


def _from_agent(ctx: Context, agent: Agent, lang: str, msg: ChatMessage, command: str,
                argument: str) -> str:
    """A linked agent's message: a command, or an answer to a customer (a reply to the
    ticket's notice in this chat, or `/reply INC… text`)."""
    if command == "/reply":
        number, _, text = argument.strip().partition(" ")
        return _relay(ctx, agent, lang, _ticket_by_number(ctx, number), text, msg.update_id)
    if not command and msg.reply_to is not None and msg.kind is Kind.TEXT and not msg.edited:
        with ctx.uow(write=False) as uow:
            notice = uow.notices.by_sent_id(msg.chat_id, str(msg.reply_to))
        ticket_id = notice.ticket_id if notice is not None else None
        return _relay(ctx, agent, lang, ticket_id, msg.text, msg.update_id)
    return _command(ctx, agent, command, lang)


def _ticket_by_number(ctx: Context, number: str) -> int | None:
    found = TICKET_NUMBER.fullmatch(number.strip().upper())
    if found is None or int(found.group(2)) > LARGEST_ID:
        return None
    with ctx.uow(write=False) as uow:
        ticket = uow.tickets.get(int(found.group(2)))
    return ticket.id if ticket is not None and ticket.number == number.strip().upper() else None


def _relay(ctx: Context, agent: Agent, lang: str, ticket_id: int | None, text: str,
           update_id: int) -> str:
    """The agent's words to the ticket's customer, under the same rules as the API; the
    update's id keys the reply, so an update delivered twice is sent once."""
    if ticket_id is None or not text.strip():
        return say(lang, "relay_unknown" if ticket_id is None else "agent_help")
    who = Principal(Role.AGENT, agent.id, name=agent.name, via=Via.CHANNEL)  # their chat
    try:
        conversation.reply(ctx, who, ticket_id, conversation.Reply(
            text=text.strip(), idempotency_key=f"telegram-update:{update_id}"))
    except (NotYourTicket, NotFound):
        return say(lang, "relay_unknown")
    except OutsideCustomerWindow:
        return say(lang, "relay_window")
    except CustomerBlocked:
        return say(lang, "relay_blocked")
    except AssignmentRevoked:
        return say(lang, "revoked")
    except GiliranError as exc:
        return say(lang, "not_possible", code=exc.code)
    with ctx.uow(write=False) as uow:
        ticket = uow.tickets.get(ticket_id)
    return say(lang, "relayed", number=ticket.number if ticket is not None else ticket_id)


def on_button(ctx: Context, press: ButtonPress) -> str:
    """Accept or Complete from under an assignment notice; the answer is shown to the agent at
    once (a callback answer), so it is returned rather than queued."""
    agent, lang = _linked(ctx, press.chat_id, press.language)
    wanted = parse_button(press.data)
    if agent is None or wanted is None:
        return say(lang, "not_linked")
    action, ticket_id = wanted
    who = Principal(Role.AGENT, agent.id, name=agent.name, via=Via.CHANNEL)  # their chat
    try:
        if action == "accept":
            ticket = tickets.accept_ticket(ctx, who, ticket_id)
        else:
            ticket = tickets.complete_ticket(ctx, who, ticket_id)
    except AssignmentRevoked:
        return say(lang, "revoked")
    except GiliranError as exc:
        return say(lang, "not_possible", code=exc.code)
    return say(lang, "accepted" if action == "accept" else "completed", number=ticket.number)


def _link(ctx: Context, msg: ChatMessage, code: str) -> str:
    lang = language(msg.language)
    with ctx.uow(write=True) as uow:
        agent_id = uow.chat_links.take_code(hash_token(code.upper()), ctx.clock.now())
        agent = uow.agents.get(agent_id) if agent_id is not None else None
        if agent is None or not agent.active:
            return _link_supervisor(ctx, uow, msg, code, lang)
        first = not _listening(uow)
        uow.chat_links.link(ChatLink(agent.id, msg.chat_id, lang))
        notify.start_cursor(uow, restart=first)
        uow.commit()
    return say(agent.language, "linked", name=agent.name)


def _link_supervisor(ctx: Context, uow: UnitOfWork, msg: ChatMessage, code: str,
                     lang: str) -> str:
    """A code a supervisor took on its console: its chat hears SLA alerts of its queues."""
    found = supervisor_chats.take_code(uow, hash_token(code.upper()), ctx.clock.now())
    if found is None:
        uow.commit()  # the code is used up either way
        return say(lang, "bad_code")
    user, chosen = found
    lang = chosen or lang
    first = not _listening(uow)
    supervisor_chats.link(uow, user, msg.chat_id, lang)
    notify.start_cursor(uow, restart=first)
    uow.commit()
    return say(lang, "linked_supervisor", name=user.name)


def _listening(uow: UnitOfWork) -> bool:
    """Whether the notices pass already reads the events (some chat is linked)."""
    return uow.chat_links.any() or supervisor_chats.any_linked(uow)


def _command(ctx: Context, agent: Agent, command: str, lang: str) -> str:
    who = Principal(Role.AGENT, agent.id, name=agent.name, via=Via.CHANNEL)  # their chat
    if command == "/online":
        agent = presence.go_online(ctx, who)
        return say(lang, "online", active=agent.active_tickets, max=agent.max_tickets)
    if command == "/offline":
        presence.go_offline(ctx, who)
        return say(lang, "offline")
    if command == "/myqueue":
        return _my_queue(ctx, agent, lang)
    if command == "/status":
        return _status(ctx, agent, lang)
    return say(lang, "agent_help")


def _my_queue(ctx: Context, agent: Agent, lang: str) -> str:
    with ctx.uow(write=False) as uow:
        held = uow.tickets.held_by(agent.id)
    figures = {"active": agent.active_tickets, "max": agent.max_tickets}
    if not held:
        return say(lang, "queue_empty", **figures)
    lines = [say(lang, "queue_head", **figures)]
    for position, t in enumerate(held, start=1):
        status = say(lang, f"{t.status.value}_status")
        lines.append(say(lang, "queue_line", position=position, number=t.number,
                         title=t.title, status=status))
    return "\n".join(lines)


def _status(ctx: Context, agent: Agent, lang: str) -> str:
    with ctx.uow(write=False) as uow:
        waiting = sum(uow.tickets.count(TicketFilter(status=TicketStatus.QUEUED, queue=q))
                      for q in sorted(agent.queues))
    word = {Presence.ONLINE: "online_word", Presence.AWAY: "away_word",
            Presence.OFFLINE: "offline_word"}[agent.presence]
    return say(lang, "status", presence=say(lang, word), active=agent.active_tickets,
               max=agent.max_tickets, auto=say(lang, "on" if agent.auto_assign else "off"),
               waiting=waiting)


def _linked(ctx: Context, chat_id: str, fallback: str | None) -> tuple[Agent | None, str]:
    """The active agent a chat speaks for, and the language to answer in."""
    with ctx.uow(write=False) as uow:
        link = uow.chat_links.for_chat(chat_id)
        agent = uow.agents.get(link.agent_id) if link is not None else None
    if link is None or agent is None or not agent.active:
        return None, language(fallback)
    return agent, agent.language


def _answer(ctx: Context, update_id: int, chat_id: str, text: str) -> None:
    with ctx.uow(write=True) as uow:
        queue_notice(uow, ctx.clock.now(), chat_id, text, f"update:{update_id}")
        uow.commit()


def hold_poller(ctx: Context, owner: str, lease: timedelta) -> int | None:
    """Take or renew the long-polling lease; when it is `owner`'s, the offset to poll from."""
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        holder, _, until = (uow.settings.get(POLLER) or "").rpartition(" ")
        if holder and holder != owner and datetime.fromisoformat(until) > now:
            return None
        uow.settings.put(POLLER, f"{owner} {(now + lease).isoformat()}")
        offset = int(uow.settings.get(OFFSET) or 0)
        uow.commit()
    return offset


def polled(ctx: Context, offset: int) -> None:
    """Updates before `offset` are handled: the next poll confirms them to Telegram."""
    with ctx.uow(write=True) as uow:
        uow.settings.put(OFFSET, str(offset))
        uow.commit()
