"""Each use case says what it emits: the events a command records, in order, with the ticket
as its own move left it and the agents each event concerns."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.domain.event_types import EventType as E
from giliran.domain.events import Event
from giliran.domain.model import Priority
from giliran.service.agents import agents
from giliran.service.assignment import presence, timers
from giliran.service.context import ADMIN, Context, Principal, Role
from giliran.service.conversations import chat, chat_links, conversation
from giliran.service.notices import notify
from giliran.service.queues import admin as queue_admin
from giliran.service.tickets import manual, tickets

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)


class Floor:
    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        self.store = InMemoryStore(self.clock)
        self.ctx = Context(self.store, self.clock, "a" * 20, rng=random.Random(5),
                           presence_grace_seconds=90, sending=frozenset({"telegram"}))
        self.seen = 0

    def emitted(self) -> list[Event]:
        """The events committed since the last call."""
        with self.store(write=False) as uow:
            found = uow.events.after(self.seen, 10**6)
        if found:
            self.seen = found[-1].id
        return found

    def types(self) -> list[E]:
        return [e.type for e in self.emitted()]

    def agent(self, name: str, *, online: bool = True, **settings: Any) -> int:
        made = agents.create_agent(self.ctx, ADMIN, agents.NewAgent(name, **settings))
        if online:
            presence.go_online(self.ctx, Principal(Role.AGENT, made.agent.id))
        self.emitted()
        return made.agent.id

    def ticket(self, title: str = "t", queue: str = "default") -> int:
        view = tickets.create_ticket(self.ctx, ADMIN, tickets.NewTicket(title, queue,
                                                                        Priority.NORMAL))
        return view.ticket.id


def as_agent(agent_id: int) -> Principal:
    return Principal(Role.AGENT, agent_id)


def test_creating_a_ticket_nobody_can_take_tells_it_waits_and_is_flagged() -> None:
    f = Floor()
    f.ticket()
    created, flagged = f.emitted()
    assert (created.type, flagged.type) == (E.TICKET_CREATED, E.TICKET_FLAGGED)
    assert created.payload["ticket"]["status"] == "queued" and created.agents == frozenset()
    assert flagged.payload["ticket"]["flag"] == "unreachable"


def test_a_ticket_that_finds_an_agent_is_created_and_assigned_for_that_agent_only() -> None:
    f = Floor()
    sari = f.agent("Sari")
    f.ticket()
    created, assigned = f.emitted()
    assert (created.type, assigned.type) == (E.TICKET_CREATED, E.TICKET_ASSIGNED)
    assert created.agents == assigned.agents == frozenset({sari})
    assert assigned.payload["to_agent_id"] == sari
    assert assigned.payload["agent_load"] == {"active_tickets": 1, "max_tickets": 5}


def test_going_online_tells_the_presence_then_the_waiting_ticket_it_takes() -> None:
    f = Floor()
    sari = f.agent("Sari", online=False)
    f.ticket()
    f.emitted()
    presence.go_online(f.ctx, as_agent(sari))
    came, assigned = f.emitted()
    assert came.type is E.AGENT_PRESENCE and came.payload["agent"]["presence"] == "online"
    assert assigned.type is E.TICKET_ASSIGNED and assigned.payload["to_agent_id"] == sari


def test_accept_complete_and_cancel_each_tell_their_move() -> None:
    f = Floor()
    sari = f.agent("Sari")
    first, second = f.ticket(), f.ticket()
    f.emitted()
    tickets.accept_ticket(f.ctx, as_agent(sari), first)
    [accepted] = f.emitted()
    assert accepted.type is E.TICKET_ACCEPTED
    assert accepted.payload["ticket"]["status"] == "in_progress"
    tickets.complete_ticket(f.ctx, as_agent(sari), first)
    [completed] = f.emitted()
    assert completed.type is E.TICKET_COMPLETED and "left_queue" not in completed.payload
    tickets.cancel_ticket(f.ctx, ADMIN, second)
    [cancelled] = f.emitted()
    assert cancelled.type is E.TICKET_CANCELLED
    assert cancelled.payload["left_queue"] == {"agent_id": sari, "why": "cancelled"}


def test_escalation_tells_the_ticket_taken_back_and_the_agent_s_miss() -> None:
    f = Floor()
    queue_admin.update_queue(f.ctx, ADMIN, "default",
                             queue_admin.QueueChanges(accept_timeout_seconds=60))
    sari = f.agent("Sari")
    f.ticket()
    f.emitted()
    f.clock.advance(61)
    timers.tick(f.ctx)
    found = f.emitted()
    assert [e.type for e in found][:2] == [E.TICKET_ESCALATED, E.AGENT_CHANGED]
    assert found[0].payload["left_queue"] == {"agent_id": sari, "why": "escalated"}
    assert found[0].payload["ticket"]["status"] == "queued"  # as the escalation left it


def test_unassign_and_reassign_tell_each_move_with_the_ticket_as_it_left_it() -> None:
    f = Floor()
    sari, budi = f.agent("Sari"), f.agent("Budi", auto_assign=False)
    ticket = f.ticket()
    f.emitted()
    manual.reassign(f.ctx, ADMIN, ticket, budi)
    unassigned, assigned = f.emitted()
    assert (unassigned.type, assigned.type) == (E.TICKET_UNASSIGNED, E.TICKET_ASSIGNED)
    assert unassigned.payload["ticket"]["assigned_agent_id"] is None
    assert assigned.payload["ticket"]["assigned_agent_id"] == budi
    # Whoever holds it when the commit ends hears of both moves, as before.
    assert unassigned.agents == frozenset({sari, budi})
    manual.unassign(f.ctx, ADMIN, ticket)
    assert f.types()[0] is E.TICKET_UNASSIGNED


def test_priority_and_move_to_front_tell_ticket_priority() -> None:
    f = Floor()
    ticket = f.ticket()
    f.emitted()
    manual.set_priority(f.ctx, ADMIN, ticket, Priority.URGENT)
    [changed] = f.emitted()
    assert changed.type is E.TICKET_PRIORITY and changed.payload["ticket"]["priority"] == "urgent"
    manual.move_to_front(f.ctx, ADMIN, ticket)
    assert f.types() == [E.TICKET_PRIORITY]


def test_a_flagged_ticket_is_released_when_its_queue_has_a_way_in_again() -> None:
    f = Floor()
    ticket = f.ticket()
    f.emitted()
    f.agent("Sari", online=False)
    with f.store(write=False) as uow:
        moves = [e for e in uow.events.after(0, 10**6) if e.ticket_id == ticket]
    assert [e.type for e in moves][-1] is E.TICKET_RELEASED


def test_going_offline_and_changing_an_agent_or_a_queue_tell_it() -> None:
    f = Floor()
    sari = f.agent("Sari")
    presence.go_offline(f.ctx, as_agent(sari))
    [gone] = f.emitted()
    assert gone.type is E.AGENT_PRESENCE and gone.payload["agent"]["presence"] == "offline"
    agents.update_agent(f.ctx, ADMIN, sari, agents.AgentChanges(max_tickets=2))
    [changed] = f.emitted()
    assert changed.type is E.AGENT_CHANGED and changed.payload["agent"]["max_tickets"] == 2
    agents.update_me(f.ctx, as_agent(sari), auto_assign=True)  # no change: nothing to tell
    assert f.types() == []
    queue_admin.update_queue(f.ctx, ADMIN, "default",
                             queue_admin.QueueChanges(accept_timeout_seconds=90))
    [queue] = f.emitted()
    assert queue.type is E.QUEUE_CHANGED and queue.payload["queue"]["accept_timeout_seconds"] == 90


def test_a_conversation_tells_each_message_received_sent_delivered_and_edited() -> None:
    f = Floor()
    sari = f.agent("Sari")
    code, _ = chat_links.link_code_for(f.ctx, ADMIN, sari)
    chat.on_message(f.ctx, said("sari-chat", 1, f"/start {code}", f), "default")
    f.emitted()
    chat.on_message(f.ctx, said("customer", 2, "my internet is down", f), "default")
    found = f.types()
    assert found[:3] == [E.TICKET_CREATED, E.TICKET_ASSIGNED, E.MESSAGE_RECEIVED]
    ticket = f.store.state.tickets[max(f.store.state.tickets)].id
    conversation.reply(f.ctx, as_agent(sari), ticket, conversation.Reply(text="on it"))
    assert E.MESSAGE_SENT in f.types()
    notify.fan_out(f.ctx)
    for notice in notify.claim(f.ctx, 10):
        notify.record(f.ctx, notice.id, notify.Sent(channel_id=f"m{notice.id}"), 3)
    assert E.MESSAGE_STATUS in f.types()
    chat.on_message(f.ctx, replace(said("customer", 2, "my internet is down!", f),
                                   edited=True), "default")
    [edited] = f.emitted()
    assert edited.type is E.MESSAGE_EDITED and edited.agents == frozenset({sari})
    assert edited.payload["message"]["body"] == "my internet is down!"


def said(chat_id: str, message_id: int, text: str, f: Floor) -> chat.ChatMessage:
    return chat.ChatMessage(update_id=message_id, chat_id=chat_id, message_id=message_id,
                            text=text, sender=chat_id, language=None, at=f.clock.now())
