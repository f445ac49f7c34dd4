"""The strict rotation against a reference model: a plain list of the members in their order and
a pointer. Over random arrivals, accepts, completions, escalations (time passing), reorders,
whole orders set, pointer moves, presence changes, capacity changes and pauses lifted, every
automatic assignment the service makes must be the first member, walking the list cyclically
from the pointer, who could take that ticket at that moment; the pointer must then be the member
after it. The model replays the history the service wrote, entry by entry, to know who held
what at each moment.

Runs on the in-memory store here; the contract suite runs the same machine on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.domain.errors import GiliranError
from giliran.domain.model import Agent, HistoryEntry, Reason, SlotFreedOn, TicketStatus
from giliran.domain.presets import Preset
from giliran.service import runtime
from giliran.service.agents import agents as agent_service
from giliran.service.assignment import pauses, presence, timers
from giliran.service.context import ADMIN, Context, Principal, Role
from giliran.service.ports import HistoryFilter, UnitOfWorkFactory
from giliran.service.queues import admin as queue_admin
from giliran.service.queues import rotation as queue_rotation
from giliran.service.tickets import tickets as ticket_service
from tests.support.invariants import check_floor, snapshot

SALES = "sales"
TIMEOUT = 60


@dataclass
class Model:
    """The rotation as a person would keep it on paper."""

    orders: dict[int, int] = field(default_factory=dict)  # agent id -> rotation_order
    pointer: int | None = None  # the member next in turn; None: the first
    held: dict[int, tuple[int, TicketStatus]] = field(default_factory=dict)
    missed: dict[int, set[int]] = field(default_factory=dict)

    def members(self) -> list[int]:
        return sorted(self.orders, key=lambda i: (self.orders[i], i))

    def from_pointer(self) -> list[int]:
        """The list read cyclically from the pointer's place (its current order)."""
        order = self.members()
        if self.pointer is None:
            return order
        place = (self.orders[self.pointer], self.pointer)
        cut = next((n for n, i in enumerate(order) if (self.orders[i], i) >= place), len(order))
        return order[cut:] + order[:cut]

    def follower(self, agent_id: int) -> int:
        order = self.members()
        return order[(order.index(agent_id) + 1) % len(order)]


class RotationMachine(RuleBasedStateMachine):
    make_store: Callable[[], UnitOfWorkFactory] = InMemoryStore

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.ctx = Context(uow=self.make_store(), clock=self.clock, admin_token="a" * 20)
        self.model = Model()
        self.capacity: dict[int, int] = {}
        self.tickets: list[int] = []
        self.seen = 0  # the last history entry replayed
        self.ceilings: dict[int, int] = {}

    @initialize(size=st.integers(2, 5), orders=st.lists(st.integers(0, 3), min_size=5,
                                                         max_size=5),
                per_agent=st.integers(0, 2), freed=st.sampled_from(list(SlotFreedOn)),
                away=st.integers(0, 2), capacities=st.lists(st.integers(1, 3), min_size=5,
                                                             max_size=5))
    def open_a_lead_desk(self, size: int, orders: list[int], per_agent: int, freed: SlotFreedOn,
                         away: int, capacities: list[int]) -> None:
        runtime.update_settings(self.ctx, ADMIN, presence_grace_seconds=0)
        queue_admin.create_queue(self.ctx, ADMIN, SALES, queue_admin.QueueChanges(
            accept_timeout_seconds=TIMEOUT, max_per_agent=per_agent, slot_freed_on=freed,
            away_after_misses=away), preset=None)
        queue_admin.update_queue(self.ctx, ADMIN, SALES, queue_admin.QueueChanges(
            accept_timeout_seconds=TIMEOUT, max_per_agent=per_agent, slot_freed_on=freed),
            preset=Preset.LEAD_ROTATION)
        for i in range(size):
            agent = agent_service.create_agent(self.ctx, ADMIN, agent_service.NewAgent(
                name=f"a{i}", max_tickets=capacities[i], rotation_order=orders[i],
                queues=frozenset({SALES}))).agent
            self.model.orders[agent.id] = orders[i]
            self.capacity[agent.id] = capacities[i]
            presence.go_online(self.ctx, Principal(Role.AGENT, agent.id))
        self.replay()

    # --- rules ---------------------------------------------------------------------------

    @rule(count=st.integers(1, 3))
    def leads_arrive(self, count: int) -> None:
        for _ in range(count):
            self.clock.advance(1)
            view = ticket_service.create_ticket(self.ctx, ADMIN, ticket_service.NewTicket(
                title="lead", queue=SALES))
            self.tickets.append(view.ticket.id)
            self.replay()

    @precondition(lambda self: self.model.held)
    @rule(data=st.data(), complete=st.booleans())
    def the_holder_works_on_it(self, data: st.DataObject, complete: bool) -> None:
        ticket_id = data.draw(st.sampled_from(sorted(self.model.held)))
        holder = Principal(Role.AGENT, self.model.held[ticket_id][0])
        with contextlib.suppress(GiliranError):  # accepted already
            if complete:
                ticket_service.complete_ticket(self.ctx, holder, ticket_id)
            else:
                ticket_service.accept_ticket(self.ctx, holder, ticket_id)
        self.replay()

    @rule(seconds=st.sampled_from([20, TIMEOUT + 1]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)
        timers.tick(self.ctx)
        self.replay()

    @rule(data=st.data(), order=st.integers(0, 3))
    def reorder(self, data: st.DataObject, order: int) -> None:
        agent_id = data.draw(st.sampled_from(sorted(self.model.orders)))
        agent_service.update_agent(self.ctx, ADMIN, agent_id,
                                   agent_service.AgentChanges(rotation_order=order))
        self.model.orders[agent_id] = order
        self.replay()

    @rule(data=st.data())
    def a_supervisor_sets_the_whole_order(self, data: st.DataObject) -> None:
        wanted = data.draw(st.permutations(self.model.members()))
        queue_rotation.set_rotation(self.ctx, ADMIN, SALES, wanted)
        self.model.orders = {agent_id: 10 * (n + 1) for n, agent_id in enumerate(wanted)}
        self.replay()

    @rule(data=st.data())
    def a_supervisor_sets_who_is_next(self, data: st.DataObject) -> None:
        agent_id = data.draw(st.sampled_from(sorted(self.model.orders)))
        self.model.pointer = agent_id  # before the dispatch that follows
        queue_admin.update_queue(self.ctx, ADMIN, SALES, queue_admin.QueueChanges(),
                                 next_agent_id=agent_id)
        self.replay()

    @rule(data=st.data(), online=st.booleans())
    def presence_changes(self, data: st.DataObject, online: bool) -> None:
        who = Principal(Role.AGENT, data.draw(st.sampled_from(sorted(self.model.orders))))
        (presence.go_online if online else presence.go_offline)(self.ctx, who)
        self.replay()

    @rule(data=st.data(), capacity=st.integers(0, 3))
    def capacity_changes(self, data: st.DataObject, capacity: int) -> None:
        agent_id = data.draw(st.sampled_from(sorted(self.model.orders)))
        agent_service.update_agent(self.ctx, ADMIN, agent_id,
                                   agent_service.AgentChanges(max_tickets=capacity))
        self.capacity[agent_id] = capacity
        self.replay()
        # It keeps what it held past a lowered capacity, and gets nothing new.
        held = sum(a == agent_id for a, _ in self.model.held.values())
        self.ceilings[agent_id] = max(capacity, held)

    @rule(data=st.data())
    def a_pause_is_lifted(self, data: st.DataObject) -> None:
        agent_id = data.draw(st.sampled_from(sorted(self.model.orders)))
        pauses.resume_mine(self.ctx, Principal(Role.AGENT, agent_id), SALES)
        self.replay()

    # --- the reference model -------------------------------------------------------------

    def replay(self) -> None:
        """Check each assignment the step made against the model, in the order made."""
        with self.ctx.uow(write=False) as uow:
            entries = uow.history.search(HistoryFilter(after_id=self.seen, limit=10**6))
            floor = {a.id: a for a in uow.agents.all()}
            queue = uow.queues.get(SALES)
        assert queue is not None
        for entry in entries:
            self.apply(entry, floor, queue.max_per_agent, queue.slot_freed_on)
            self.seen = entry.id
        assert queue.next_agent_id == self.model.pointer, (
            f"pointer {queue.next_agent_id}, the model says {self.model.pointer}")

    def apply(self, e: HistoryEntry, floor: dict[int, Agent], per_agent: int,
              freed: SlotFreedOn) -> None:
        held, missed = self.model.held, self.model.missed
        if e.event == "assigned":
            assert e.reason in (Reason.AUTO, Reason.REFILL), e
            expected = next((i for i in self.model.from_pointer()
                             if self.could_take(i, e.ticket_id, floor, per_agent, freed)), None)
            assert e.to_agent_id == expected, (
                f"ticket {e.ticket_id} went to {e.to_agent_id}; walking "
                f"{self.model.from_pointer()} from the pointer, {expected} could take it")
            assert e.note is not None and e.note.startswith("rotation: next in turn")
            held[e.ticket_id] = (expected, TicketStatus.ASSIGNED)
            self.model.pointer = self.model.follower(expected)
            event("an assignment checked against the model")
            if self.model.missed.get(e.ticket_id):
                event("an escalated lead moved on in turn")
        elif e.event == "accepted":
            held[e.ticket_id] = (held[e.ticket_id][0], TicketStatus.IN_PROGRESS)
        elif e.event == "escalated":
            missed.setdefault(e.ticket_id, set()).add(held.pop(e.ticket_id)[0])
        elif e.event in ("completed", "cancelled", "unassigned"):
            held.pop(e.ticket_id, None)

    def could_take(self, agent_id: int, ticket_id: int, floor: dict[int, Agent], per_agent: int,
                   freed: SlotFreedOn) -> bool:
        agent = floor[agent_id]
        mine = [s for a, s in self.model.held.values() if a == agent_id]
        counted = [s for s in mine if freed is SlotFreedOn.COMPLETE or s is TicketStatus.ASSIGNED]
        return (agent.online and not agent.paused_in(SALES)
                and len(mine) < self.capacity[agent_id]
                and (per_agent == 0 or len(counted) < per_agent)
                and agent_id not in self.model.missed.get(ticket_id, set()))

    @invariant()
    def the_floor_is_consistent(self) -> None:
        for agent_id, ceiling in list(self.ceilings.items()):
            held = sum(a == agent_id for a, _ in self.model.held.values())
            self.ceilings[agent_id] = max(self.capacity[agent_id], min(ceiling, held))
        check_floor(snapshot(self.ctx.uow), self.ceilings)


RotationMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRotationAgainstTheModel = RotationMachine.TestCase
