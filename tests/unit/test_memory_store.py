"""The in-memory store behaves like a database where the simulator and the unit tests rely on
it: a unit of work that fails leaves nothing behind (its journal undoes every change, indexes
included), the rows it hands out are its own copies, ids never repeat, and commits record
events as SQL's do."""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore, MemoryState
from giliran.domain.delivery import Delivery, DeliveryStatus
from giliran.domain.errors import GiliranError
from giliran.domain.model import Priority, TicketStatus
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.context import ADMIN, Context, Principal, Role
from giliran.service.ports import TicketFilter
from giliran.service.tickets import tickets
from tests.contract.test_memory_matches_sql import Command, apply, commands

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


class Boom(Exception):
    pass


def comparable(state: MemoryState) -> MemoryState:
    """The state without the id counters, which a rollback leaves moved on (as sequences)."""
    return replace(copy.deepcopy(state), last_ids={})


def floor(seed: int = 5) -> tuple[Context, InMemoryStore]:
    clock = FakeClock(T0)
    store = InMemoryStore(clock)
    return Context(store, clock, "a" * 20, rng=random.Random(seed),
                   presence_grace_seconds=90), store


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.data())
def test_a_unit_of_work_that_fails_leaves_nothing_behind(cmds: list[Command],
                                                          data: st.DataObject) -> None:
    """After any history of commands, a unit of work that changes a bit of everything and
    then fails leaves the store exactly as it was: rows, logs and every index."""
    ctx, store = floor()
    for cmd in cmds:
        apply(ctx, cmd)
    before = comparable(store.state)
    with pytest.raises(Boom), store(write=True) as uow:
        for ticket in uow.tickets.search(TicketFilter(limit=10**6)):
            ticket.status, ticket.agent_id = TicketStatus.QUEUED, None
            ticket.priority = Priority(data.draw(st.integers(0, 3)))
            uow.tickets.save(ticket)
        for agent in uow.agents.all():
            agent.max_tickets, agent.active_tickets = 0, 99
            uow.agents.save(agent)
        for queue in uow.queues.all():
            queue.next_agent_id = 42
            uow.queues.save(queue)
        uow.tickets.add(tickets.Ticket(0, "new", T0, external_id="x-1", contact="c"))
        uow.next_seq()
        uow.settings.put("anything", "at all")
        uow.events.prune(T0 + timedelta(days=1))
        uow.deliveries.add_many([Delivery(0, 1, 1)])
        uow.rate_limits.hit("key", 1)
        raise Boom
    assert comparable(store.state) == before


def test_rows_handed_out_are_copies() -> None:
    """Changing a ticket without saving it changes nothing stored, even across commits."""
    ctx, store = floor()
    made = tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("t", "default", Priority.LOW))
    with store(write=True) as uow:
        ticket = uow.tickets.get(made.ticket.id)
        assert ticket is not None and uow.tickets.get(made.ticket.id) is ticket  # one per row
        ticket.title = "changed, never saved"
        uow.commit()
    with store(write=False) as uow:
        stored = uow.tickets.get(made.ticket.id)
        assert stored is not None and stored.title == "t"


def test_a_failed_use_case_is_rolled_back() -> None:
    """A refusal halfway through a use case leaves the floor as it was."""
    ctx, store = floor()
    agent = agents.create_agent(ctx, ADMIN, agents.NewAgent("a", max_tickets=1)).agent
    presence.go_online(ctx, Principal(Role.AGENT, agent.id))
    tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("t", "default", Priority.LOW))
    before = comparable(store.state)
    with pytest.raises(GiliranError):
        tickets.complete_ticket(ctx, Principal(Role.AGENT, agent.id + 1), 1)
    assert comparable(store.state) == before


def test_ids_never_repeat() -> None:
    """After a prune or a rollback, new rows get new ids (as SQL's sequences give)."""
    ctx, store = floor()
    with store(write=True) as uow:
        uow.deliveries.add_many([Delivery(0, 1, e) for e in (1, 2, 3)])
        done = uow.deliveries.get(3)
        assert done is not None
        done.status, done.delivered_at = DeliveryStatus.DELIVERED, T0
        uow.deliveries.save(done)
        uow.commit()
    with store(write=True) as uow:
        assert uow.deliveries.prune_delivered(T0 + timedelta(seconds=1)) == 1
        fresh = [Delivery(0, 1, 4)]
        uow.deliveries.add_many(fresh)
        uow.commit()
    assert fresh[0].id == 4
    with pytest.raises(Boom), store(write=True) as uow:
        uow.tickets.add(tickets.Ticket(0, "gone", T0))
        raise Boom
    made = tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("t", "default", Priority.LOW))
    assert made.ticket.id == 2


def test_commits_record_events_like_sql() -> None:
    """Events derived from the history and the agents a commit changed, in commit order,
    dated by the store's clock when no history says when."""
    ctx, store = floor()
    agent = agents.create_agent(ctx, ADMIN, agents.NewAgent("a", max_tickets=2)).agent
    ctx.clock.advance(5)  # type: ignore[attr-defined]
    presence.go_online(ctx, Principal(Role.AGENT, agent.id))
    tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("t", "default", Priority.LOW))
    with store(write=False) as uow:
        found = uow.events.after(0, 100)
        assert [(e.id, e.type) for e in found] == [
            (1, "agent.changed"), (2, "agent.presence"), (3, "ticket.created"),
            (4, "ticket.assigned")]
        assert found[1].at == T0 + timedelta(seconds=5)
        assert uow.events.after(3, 1)[0].id == 4
        assert uow.events.bounds() == (1, 4)
    with store(write=True) as uow:
        assert uow.events.prune(T0 + timedelta(days=1)) == 4
        uow.commit()
    tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("u", "default", Priority.LOW))
    with store(write=False) as uow:
        assert uow.events.bounds()[0] > 4


def test_a_reader_cannot_commit() -> None:
    _, store = floor()
    with store(write=False) as uow, pytest.raises(RuntimeError):
        uow.commit()


def test_a_name_another_active_agent_has_is_taken_with_a_caution_in_memory_too() -> None:
    ctx, _ = floor()
    first = agents.create_agent(ctx, ADMIN, agents.NewAgent("Sari"))
    twin = agents.create_agent(ctx, ADMIN, agents.NewAgent("sari "))
    assert first.cautions == () and [c.code for c in twin.cautions] == ["duplicate_name"]
    agents.update_agent(ctx, ADMIN, first.agent.id, agents.AgentChanges(active=False))
    renamed = agents.update_agent(ctx, ADMIN, twin.agent.id, agents.AgentChanges(name="SARI"))
    assert renamed.cautions == (), "a deactivated agent's name is free"
