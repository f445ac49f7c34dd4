"""Queues as mailboxes, through the service layer on the in-memory store: membership decides
who may receive a queue's tickets, and a backlog nobody can serve never holds up the others."""

from __future__ import annotations

import random
from typing import Any

import pytest

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.adapters.memory.agents import InMemoryAgentRepository
from giliran.domain.model import Priority, TicketStatus
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.assignment.dispatch import SKIP_LIMIT
from giliran.service.context import ADMIN, Context, Principal, Role
from giliran.service.ports import TicketFilter
from giliran.service.queues import admin as queue_admin
from giliran.service.tickets import tickets


def floor_with(*queues: str) -> Context:
    ctx = Context(InMemoryStore(), FakeClock(), "a" * 20, rng=random.Random(1))
    for name in queues:
        queue_admin.create_queue(ctx, ADMIN, name, queue_admin.QueueChanges())
    return ctx


def online_agent(ctx: Context, name: str, queues: set[str], capacity: int = 5) -> int:
    agent = agents.create_agent(ctx, ADMIN, agents.NewAgent(
        name, max_tickets=capacity, queues=frozenset(queues))).agent
    presence.go_online(ctx, Principal(Role.AGENT, agent.id))
    return agent.id


def new(ctx: Context, queue: str, priority: Priority = Priority.NORMAL) -> tickets.TicketView:
    return tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("t", queue, priority))


def test_tickets_go_only_to_members_of_their_queue() -> None:
    ctx = floor_with("sales", "support")
    seller = online_agent(ctx, "seller", {"sales"})
    helper = online_agent(ctx, "helper", {"support"})
    assert new(ctx, "sales").ticket.agent_id == seller
    assert new(ctx, "support").ticket.agent_id == helper
    assert new(ctx, "default").ticket.status is TicketStatus.QUEUED  # nobody serves default


def test_a_backlog_nobody_can_serve_does_not_hold_up_other_queues() -> None:
    ctx = floor_with("sales", "support")
    for _ in range(SKIP_LIMIT * 2):  # longer than the global walk is willing to step over
        new(ctx, "support", Priority.URGENT)
    seller = online_agent(ctx, "seller", {"sales"}, capacity=3)
    served = [new(ctx, "sales", Priority.LOW).ticket.agent_id for _ in range(3)]
    assert served == [seller] * 3


def test_an_agent_in_two_queues_serves_them_in_global_order() -> None:
    ctx = floor_with("sales", "support")
    first = new(ctx, "support", Priority.HIGH).ticket.id
    second = new(ctx, "sales", Priority.HIGH).ticket.id
    third = new(ctx, "support").ticket.id
    for _ in range(SKIP_LIMIT + 5):
        new(ctx, "default", Priority.URGENT)  # ahead of all, and nobody serves it
    both = online_agent(ctx, "both", {"sales", "support"}, capacity=2)
    held = agents.my_queue(ctx, Principal(Role.AGENT, both))[1]
    assert [t.id for t in held] == [first, second]
    tickets.accept_ticket(ctx, Principal(Role.AGENT, both), first)
    tickets.complete_ticket(ctx, ADMIN, first)
    held = agents.my_queue(ctx, Principal(Role.AGENT, both))[1]
    assert [t.id for t in held] == [second, third]


def test_joining_a_queue_brings_its_waiting_tickets() -> None:
    ctx = floor_with("sales")
    waiting = new(ctx, "sales").ticket.id
    agent = online_agent(ctx, "a", {"default"})
    assert tickets.get_ticket(ctx, ADMIN, waiting).ticket.status is TicketStatus.QUEUED
    agents.update_agent(ctx, ADMIN, agent, agents.AgentChanges(queues=frozenset({"sales"})))
    assert tickets.get_ticket(ctx, ADMIN, waiting).ticket.agent_id == agent


def test_a_pass_asks_who_is_eligible_once_for_the_tickets_everyone_eligible_missed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Escalated tickets wait at the head, missed by the only agent with room: a pass steps
    over them without asking the store who is eligible for each one again."""
    ctx = floor_with()
    agent = agents.create_agent(ctx, ADMIN, agents.NewAgent("a", max_tickets=1)).agent
    for _ in range(30):
        new(ctx, "default")
    with ctx.uow(write=True) as uow:
        for ticket in uow.tickets.search(TicketFilter(status=TicketStatus.QUEUED, limit=100)):
            ticket.missed_by = frozenset({agent.id})
            uow.tickets.save(ticket)
        uow.commit()
    fresh = [new(ctx, "default").ticket.id for _ in range(3)]
    asked = []
    original = InMemoryAgentRepository.eligible

    def counted(self: Any, *args: Any) -> Any:
        asked.append(args)
        return original(self, *args)

    monkeypatch.setattr(InMemoryAgentRepository, "eligible", counted)
    presence.go_online(ctx, Principal(Role.AGENT, agent.id))
    held = agents.my_queue(ctx, Principal(Role.AGENT, agent.id))[1]
    assert [t.id for t in held] == fresh[:1]
    # Once for the missed ones, once for the fresh one (it asks for fewer candidates, having
    # no misses to leave out), once after the assignment (nobody has room): not once a ticket.
    assert len(asked) <= 3
