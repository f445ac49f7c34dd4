"""Stateful property test: random arrivals, completions, presence and capacity changes, queue
policies (strategies including the strict rotation, per-agent limits, claims by turn, pick-up
off, presets), the rotation's order and pointer, pauses lifted, agents opting in and out,
heartbeats and time passing (with the timer pass), with the invariants checked after every
step. Runs on the in-memory store (fast, many examples); the contract suite runs the same
machine on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.domain import escalation
from giliran.domain.errors import (
    AgentFull,
    CapacityExceeded,
    GiliranError,
    NotYourTurn,
    PausedInQueue,
    PickupDisabled,
)
from giliran.domain.model import (
    ClaimPolicy,
    HoldExpiry,
    OfflinePolicy,
    PickupPolicy,
    Priority,
    SlotFreedOn,
    StrategyName,
    TicketStatus,
)
from giliran.domain.presets import Preset
from giliran.service import runtime
from giliran.service.agents import agents as agent_service
from giliran.service.assignment import pauses as pause_service
from giliran.service.assignment import presence as presence_service
from giliran.service.assignment import timers
from giliran.service.context import ADMIN, Context, Principal, Role
from giliran.service.conversations import chat
from giliran.service.ports import UnitOfWorkFactory
from giliran.service.queues import admin as queue_admin
from giliran.service.tickets import hold as hold_service
from giliran.service.tickets import manual as manual_service
from giliran.service.tickets import tickets as ticket_service
from tests.support.invariants import check_floor, snapshot

StoreFactory = Callable[[], UnitOfWorkFactory]


class DispatchMachine(RuleBasedStateMachine):
    make_store: StoreFactory = InMemoryStore

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.ctx = Context(uow=self.make_store(), clock=self.clock, admin_token="a" * 20)
        self.agent_ids: list[int] = []
        self.created: set[int] = set()
        self.finished: dict[int, TicketStatus] = {}
        self.ceilings: dict[int, int] = {}
        self.queued_before: list[tuple[tuple[int, int], int]] = []
        self.queues: list[str] = ["default"]
        self.holders_before: dict[int, int | None] = {}
        # Force-reassigned in this step, possibly outside the new holder's queues.
        self.outsiders: set[int] = set()
        self.said = 0  # the customers' message ids

    def as_agent(self, agent_id: int) -> Principal:
        return Principal(Role.AGENT, agent_id)

    def _remember_queue(self) -> None:
        floor = snapshot(self.ctx.uow)
        self.queued_before = [(t.queue_key, t.id) for t in floor.queued]
        self.holders_before = {t.id: t.agent_id for t in floor.tickets.values()}
        self.outsiders = set()

    # --- rules -----------------------------------------------------------------------------

    @initialize(timeout=st.sampled_from([1, 30, 300]), away=st.integers(0, 2),
                policy=st.sampled_from(list(OfflinePolicy)), agents=st.integers(1, 3),
                frees=st.booleans(), hold=st.sampled_from([1, 5, 1440]),
                expiry=st.sampled_from(list(HoldExpiry)))
    def open_the_floor(self, timeout: int, away: int, policy: OfflinePolicy, agents: int,
                       frees: bool, hold: int, expiry: HoldExpiry) -> None:
        """Start where timers matter: a timeout on, holds that may free their slot and end
        within a few passes, a few agents online with some room."""
        queue_admin.update_queue(self.ctx, ADMIN, "default", queue_admin.QueueChanges(
            accept_timeout_seconds=timeout, away_after_misses=away, offline_policy=policy,
            hold_frees_slot=frees, hold_minutes=hold, hold_expiry=expiry))
        for _ in range(agents):
            agent = agent_service.create_agent(self.ctx, ADMIN, agent_service.NewAgent(
                name="a", max_tickets=2)).agent
            self.agent_ids.append(agent.id)
            presence_service.go_online(self.ctx, self.as_agent(agent.id))

    @rule(capacity=st.integers(0, 4), auto=st.booleans(), order=st.integers(0, 3))
    def add_agent(self, capacity: int, auto: bool, order: int) -> None:
        agent = agent_service.create_agent(self.ctx, ADMIN, agent_service.NewAgent(
            name="a", max_tickets=capacity, auto_assign=auto, rotation_order=order)).agent
        self.agent_ids.append(agent.id)

    @precondition(lambda self: len(self.queues) < 3)
    @rule()
    def add_queue(self) -> None:
        name = f"q{len(self.queues)}"
        queue_admin.create_queue(self.ctx, ADMIN, name, queue_admin.QueueChanges())
        self.queues.append(name)

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data())
    def change_membership(self, data: st.DataObject) -> None:
        self._remember_queue()
        agent_id = data.draw(st.sampled_from(self.agent_ids))
        queues = data.draw(st.frozensets(st.sampled_from(self.queues)))
        agent_service.update_agent(self.ctx, ADMIN, agent_id,
                                   agent_service.AgentChanges(queues=queues))

    @rule(data=st.data(), priority=st.sampled_from(list(Priority)),
          external=st.none() | st.integers(0, 5))
    def create_ticket(self, data: st.DataObject, priority: Priority,
                      external: int | None) -> None:
        self._remember_queue()
        self.clock.advance(1)
        view = ticket_service.create_ticket(self.ctx, ADMIN, ticket_service.NewTicket(
            title="t", queue=data.draw(st.sampled_from(self.queues)), priority=priority,
            external_id=None if external is None else f"ext-{external}"))
        if not view.created:
            assert view.ticket.id in self.created, "idempotent intake returned an unknown ticket"
        self.created.add(view.ticket.id)
        if view.ticket.status is TicketStatus.QUEUED:
            self.queued_before.append((view.ticket.queue_key, view.ticket.id))
            self.queued_before.sort()

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data(), online=st.booleans())
    def set_presence(self, data: st.DataObject, online: bool) -> None:
        self._remember_queue()
        who = self.as_agent(data.draw(st.sampled_from(self.agent_ids)))
        change = presence_service.go_online if online else presence_service.go_offline
        change(self.ctx, who)

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data(), capacity=st.integers(0, 5))
    def change_capacity(self, data: st.DataObject, capacity: int) -> None:
        self._remember_queue()
        agent_id = data.draw(st.sampled_from(self.agent_ids))
        held = agent_service.get_agent(self.ctx, ADMIN, agent_id).active_tickets
        self.ceilings[agent_id] = max(capacity, held)
        agent_service.update_agent(self.ctx, ADMIN, agent_id,
                                   agent_service.AgentChanges(max_tickets=capacity))

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data(), auto=st.booleans(), active=st.booleans())
    def change_agent(self, data: st.DataObject, auto: bool, active: bool) -> None:
        self._remember_queue()
        agent_id = data.draw(st.sampled_from(self.agent_ids))
        agent_service.update_agent(self.ctx, ADMIN, agent_id,
                                   agent_service.AgentChanges(auto_assign=auto, active=active))

    @precondition(lambda self: self.created)
    @rule(data=st.data(), by_admin=st.booleans(), accept_first=st.booleans())
    def work_on_ticket(self, data: st.DataObject, by_admin: bool, accept_first: bool) -> None:
        self._remember_queue()
        ticket_id = data.draw(st.sampled_from(sorted(self.created)))
        ticket = ticket_service.get_ticket(self.ctx, ADMIN, ticket_id).ticket
        holder = ticket.agent_id
        try:
            if accept_first and holder is not None and ticket.status is TicketStatus.ASSIGNED:
                ticket_service.accept_ticket(self.ctx, self.as_agent(holder), ticket_id)
            who = ADMIN if by_admin or holder is None else self.as_agent(holder)
            done = ticket_service.complete_ticket(self.ctx, who, ticket_id)
            self.finished[ticket_id] = done.status
        except GiliranError as exc:
            completable = ticket.status is TicketStatus.IN_PROGRESS or (
                ticket.status is TicketStatus.ASSIGNED and accept_first)
            assert not completable, "a ticket in progress refused completion"
            if ticket.status is TicketStatus.ASSIGNED and not by_admin:
                assert exc.code == "not_accepted", "completed before it was accepted"

    @precondition(lambda self: self.created and self.agent_ids)
    @rule(data=st.data())
    def pickup(self, data: st.DataObject) -> None:
        self._remember_queue()
        ticket_id = data.draw(st.sampled_from(sorted(self.created)))
        agent_id = data.draw(st.sampled_from(self.agent_ids))
        before = ticket_service.get_ticket(self.ctx, ADMIN, ticket_id).ticket
        agent = agent_service.get_agent(self.ctx, ADMIN, agent_id)
        floor = snapshot(self.ctx.uow)
        queue = floor.queues[before.queue]
        room_here = queue.has_room_for(floor.held_here(agent_id, queue))
        allowed = (before.status is TicketStatus.QUEUED and before.queue in agent.queues
                   and agent.active and agent.free_slots > 0 and room_here
                   and queue.pickup is PickupPolicy.ON and not agent.paused_in(queue.name))
        try:
            manual_service.pickup(self.ctx, self.as_agent(agent_id), ticket_id)
        except NotYourTurn:
            assert queue.claim is ClaimPolicy.TURN, "not your turn, in a queue without turns"
        except PickupDisabled:
            assert queue.pickup is PickupPolicy.OFF
        except PausedInQueue:
            assert agent.paused_in(queue.name)
        except CapacityExceeded:
            assert agent.free_slots == 0 or not room_here
        except GiliranError:
            assert not allowed, "a pick-up within the rules was refused"
        else:
            assert allowed, "a pick-up against the rules went through"
            self.queued_before = [(k, t) for k, t in self.queued_before if t != ticket_id]

    @precondition(lambda self: self.created and self.agent_ids)
    @rule(data=st.data(), force=st.booleans())
    def reassign(self, data: st.DataObject, force: bool) -> None:
        self._remember_queue()
        ticket_id = data.draw(st.sampled_from(sorted(self.created)))
        agent_id = data.draw(st.sampled_from(self.agent_ids))
        try:
            moved = manual_service.reassign(self.ctx, ADMIN, ticket_id, agent_id, force=force)
        except GiliranError:
            return
        self.queued_before = [(k, t) for k, t in self.queued_before if t != ticket_id]
        held = agent_service.get_agent(self.ctx, ADMIN, agent_id).active_tickets
        if force and moved.agent_id == agent_id:
            self.ceilings[agent_id] = max(self.ceilings.get(agent_id, 0), held)
            self.outsiders.add(ticket_id)  # may be held outside the agent's queues

    @precondition(lambda self: self.created)
    @rule(data=st.data())
    def unassign(self, data: st.DataObject) -> None:
        self._remember_queue()
        ticket_id = data.draw(st.sampled_from(sorted(self.created)))
        with contextlib.suppress(GiliranError):
            manual_service.unassign(self.ctx, ADMIN, ticket_id)

    @precondition(lambda self: self.created)
    @rule(data=st.data(), priority=st.sampled_from(list(Priority)), front=st.booleans())
    def reprioritize(self, data: st.DataObject, priority: Priority, front: bool) -> None:
        self._remember_queue()
        ticket_id = data.draw(st.sampled_from(sorted(self.created)))
        before = ticket_service.get_ticket(self.ctx, ADMIN, ticket_id).ticket
        try:
            if front:
                manual_service.move_to_front(self.ctx, ADMIN, ticket_id)
            else:
                manual_service.set_priority(self.ctx, ADMIN, ticket_id, priority)
        except GiliranError:
            assert before.status is not TicketStatus.QUEUED or not front, "front refused"
            return
        # Its key changed within the step; judge the others' order without it.
        self.queued_before = [(k, t) for k, t in self.queued_before if t != ticket_id]
        if front and before.status is TicketStatus.QUEUED:
            queued = snapshot(self.ctx.uow).queued
            assert not queued or queued[0].id == ticket_id or not any(
                t.id == ticket_id for t in queued), "moved to the front, but not first in line"

    @rule(data=st.data(), percent=st.sampled_from([0, 30, 100]))
    def change_rollout(self, data: st.DataObject, percent: int) -> None:
        queue = data.draw(st.sampled_from(self.queues))
        queue_admin.update_queue(self.ctx, ADMIN, queue,
                                 queue_admin.QueueChanges(auto_assign_percent=percent))

    @precondition(lambda self: self.created)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self._remember_queue()
        ticket_id = data.draw(st.sampled_from(sorted(self.created)))
        try:
            cancelled = ticket_service.cancel_ticket(self.ctx, ADMIN, ticket_id)
            self.finished[ticket_id] = cancelled.status
        except GiliranError:
            assert ticket_id in self.finished

    @rule(data=st.data(), strategy=st.sampled_from(list(StrategyName)))
    def change_strategy(self, data: st.DataObject, strategy: StrategyName) -> None:
        queue_admin.update_queue(self.ctx, ADMIN, data.draw(st.sampled_from(self.queues)),
                                 queue_admin.QueueChanges(strategy=strategy))

    @rule(data=st.data(), timeout=st.sampled_from([0, 1, 30, 300]),
          max_escalations=st.integers(0, 3), away=st.integers(0, 2),
          policy=st.sampled_from(list(OfflinePolicy)), max_wait=st.sampled_from([0, 60, 600]),
          aging=st.sampled_from([0, 60, 600]))
    def change_policy(self, data: st.DataObject, timeout: int, max_escalations: int, away: int,
                      policy: OfflinePolicy, max_wait: int, aging: int) -> None:
        self._remember_queue()
        queue = data.draw(st.sampled_from(self.queues))
        queue_admin.update_queue(self.ctx, ADMIN, queue, queue_admin.QueueChanges(
            accept_timeout_seconds=timeout, max_escalations=max_escalations,
            away_after_misses=away, offline_policy=policy, max_wait_seconds=max_wait,
            priority_aging_seconds=aging))

    @rule(data=st.data(), per_agent=st.integers(0, 2), freed=st.sampled_from(list(SlotFreedOn)),
          claim=st.sampled_from(list(ClaimPolicy)), pickup=st.sampled_from(list(PickupPolicy)))
    def change_desk_policy(self, data: st.DataObject, per_agent: int, freed: SlotFreedOn,
                           claim: ClaimPolicy, pickup: PickupPolicy) -> None:
        self._remember_queue()
        queue_admin.update_queue(
            self.ctx, ADMIN, data.draw(st.sampled_from(self.queues)), queue_admin.QueueChanges(
                max_per_agent=per_agent, slot_freed_on=freed, claim=claim, pickup=pickup))

    @rule(data=st.data(), preset=st.sampled_from(list(Preset)))
    def apply_preset(self, data: st.DataObject, preset: Preset) -> None:
        self._remember_queue()
        queue_admin.update_queue(self.ctx, ADMIN, data.draw(st.sampled_from(self.queues)),
                                 queue_admin.QueueChanges(), preset=preset)

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data(), order=st.integers(0, 3))
    def reorder(self, data: st.DataObject, order: int) -> None:
        self._remember_queue()
        agent_service.update_agent(self.ctx, ADMIN, data.draw(st.sampled_from(self.agent_ids)),
                                   agent_service.AgentChanges(rotation_order=order))

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data())
    def set_pointer(self, data: st.DataObject) -> None:
        self._remember_queue()
        with contextlib.suppress(GiliranError):  # not a member of a rotating queue
            queue_admin.update_queue(
                self.ctx, ADMIN, data.draw(st.sampled_from(self.queues)),
                queue_admin.QueueChanges(),
                next_agent_id=data.draw(st.sampled_from(self.agent_ids)))

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data(), by_admin=st.booleans())
    def resume(self, data: st.DataObject, by_admin: bool) -> None:
        self._remember_queue()
        agent_id = data.draw(st.sampled_from(self.agent_ids))
        queue = data.draw(st.sampled_from(self.queues))
        with contextlib.suppress(GiliranError):  # not a member, or deactivated
            if by_admin:
                pause_service.resume_agent(self.ctx, ADMIN, agent_id, queue)
            else:
                pause_service.resume_mine(self.ctx, self.as_agent(agent_id), queue)

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data(), auto=st.booleans())
    def opt_in_or_out(self, data: st.DataObject, auto: bool) -> None:
        self._remember_queue()
        with contextlib.suppress(GiliranError):  # locked (never here), or deactivated
            agent_service.update_me(self.ctx, self.as_agent(
                data.draw(st.sampled_from(self.agent_ids))), auto_assign=auto)

    @rule(grace=st.sampled_from([0, 30, 300]))
    def change_grace(self, grace: int) -> None:
        runtime.update_settings(self.ctx, ADMIN, presence_grace_seconds=grace)

    @precondition(lambda self: self.agent_ids)
    @rule(data=st.data())
    def heartbeat(self, data: st.DataObject) -> None:
        presence_service.heartbeat(self.ctx, self.as_agent(data.draw(st.sampled_from(
            self.agent_ids))))

    @precondition(lambda self: self.created)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        ticket_id = data.draw(st.sampled_from(sorted(self.created)))
        holder = ticket_service.get_ticket(self.ctx, ADMIN, ticket_id).ticket.agent_id
        if holder is not None:
            with contextlib.suppress(GiliranError):  # it may be in progress already
                ticket_service.accept_ticket(self.ctx, self.as_agent(holder), ticket_id)

    def _with_status(self, *statuses: TicketStatus) -> list[int]:
        floor = snapshot(self.ctx.uow)
        return sorted(i for i, t in floor.tickets.items() if t.status in statuses)

    def _some_ticket(self, data: st.DataObject, likely: list[int]) -> int:
        """Mostly one of `likely`, now and then any ticket (whose move may be refused)."""
        anyone = st.sampled_from(sorted(self.created))
        return data.draw(st.sampled_from(likely) | anyone if likely else anyone)

    @precondition(lambda self: self.created)
    @rule(data=st.data(), minutes=st.none() | st.integers(1, 6), by_admin=st.booleans())
    def hold(self, data: st.DataObject, minutes: int | None, by_admin: bool) -> None:
        """The holder (or a supervisor) parks a ticket: it stays the holder's, and takes its
        slot or frees it as the queue said then."""
        self._remember_queue()
        ticket_id = self._some_ticket(data, self._with_status(TicketStatus.ASSIGNED,
                                                              TicketStatus.IN_PROGRESS))
        before = ticket_service.get_ticket(self.ctx, ADMIN, ticket_id).ticket
        limit = queue_admin.get_queue(self.ctx, ADMIN, before.queue).hold_minutes
        who = ADMIN if by_admin or before.agent_id is None else self.as_agent(before.agent_id)
        try:
            held = hold_service.hold_ticket(self.ctx, who, ticket_id, minutes=minutes)
        except GiliranError:
            assert not before.status.is_active or (minutes or 0) > limit, "a hold was refused"
            return
        assert before.status.is_active, f"{before.status.value} ticket put on hold"
        event("hold: put on hold, " + ("slot kept" if held.hold_keeps_slot else "slot freed"))
        assert held.status is TicketStatus.ON_HOLD and held.agent_id == before.agent_id
        assert held.hold_until == self.clock.now() + timedelta(minutes=minutes or limit)

    @precondition(lambda self: self.created)
    @rule(data=st.data())
    def unhold(self, data: st.DataObject) -> None:
        self._remember_queue()
        ticket_id = self._some_ticket(data, self._with_status(TicketStatus.ON_HOLD))
        before = ticket_service.get_ticket(self.ctx, ADMIN, ticket_id).ticket
        try:
            after = hold_service.unhold_ticket(self.ctx, ADMIN, ticket_id)
        except AgentFull:
            assert not before.hold_keeps_slot, "a hold that kept its slot could not end"
            event("hold: agent_full")
            return
        except GiliranError:
            assert before.status is not TicketStatus.ON_HOLD, "a hold could not end"
            return
        event("hold: taken off hold")
        assert (after.status, after.agent_id) == (TicketStatus.IN_PROGRESS, before.agent_id)

    @rule(data=st.data())
    def customer_writes(self, data: st.DataObject) -> None:
        """A Telegram customer writes: a new ticket, a message on their open one, or the end
        of its hold (back to the holder if online with room, else to the queue)."""
        self._remember_queue()
        floor = snapshot(self.ctx.uow)
        waiting = sorted(t.contact.removeprefix("telegram:") for t in floor.tickets.values()
                         if t.status is TicketStatus.ON_HOLD and t.contact)
        chat_id = data.draw(st.sampled_from(waiting) | st.sampled_from(
            [f"customer{i}" for i in range(4)]) if waiting else st.sampled_from(
            [f"customer{i}" for i in range(4)]))
        self.clock.advance(1)
        self.said += 1
        self.queued_before = []  # a hold that ends goes back to its place, mid-step
        with self.ctx.uow(write=False) as uow:
            before = uow.tickets.open_for_contact(f"telegram:{chat_id}")
        chat.on_message(self.ctx, chat.ChatMessage(
            update_id=self.said, chat_id=chat_id, message_id=self.said, text="hello",
            sender=chat_id, language=None, at=self.clock.now()), "default")
        with self.ctx.uow(write=False) as uow:
            opened = uow.tickets.open_for_contact(f"telegram:{chat_id}")
        assert opened is not None and opened.status is not TicketStatus.ON_HOLD, (
            "a customer's message left their ticket on hold")
        if before is not None and before.status is TicketStatus.ON_HOLD:
            assert opened.id == before.id, "the customer's message opened a second ticket"
            back = opened.agent_id == before.agent_id and opened.status.is_active
            event("hold: the customer wrote, " + ("back to its holder" if back
                                                  else "back to the queue"))
        self.created.add(opened.id)

    # Holds are a few rules among thirty, and each needs a ticket in progress first: drawn
    # more often, so that runs reach their ends (the customer, the limit) too.
    hold_another = hold
    hold_once_more = hold
    unhold_another = unhold
    customer_writes_again = customer_writes

    @precondition(lambda self: self.queues)
    @rule(data=st.data(), frees=st.booleans(), minutes=st.sampled_from([1, 5, 1440]),
          expiry=st.sampled_from(list(HoldExpiry)))
    def change_hold_policy(self, data: st.DataObject, frees: bool, minutes: int,
                           expiry: HoldExpiry) -> None:
        queue_admin.update_queue(
            self.ctx, ADMIN, data.draw(st.sampled_from(self.queues)), queue_admin.QueueChanges(
                hold_frees_slot=frees, hold_minutes=minutes, hold_expiry=expiry))

    @rule(seconds=st.integers(1, 400))
    def time_passes(self, seconds: int) -> None:
        """The clock moves and the timer pass runs; afterwards nothing due is left undone."""
        self._remember_queue()
        on_hold = set(self._with_status(TicketStatus.ON_HOLD))
        self.clock.advance(timedelta(seconds=seconds).total_seconds())
        report = timers.tick(self.ctx)
        for name, count in report.__dict__.items():
            if count:
                event(f"timer pass: {name}")
        self.queued_before = []  # escalations requeue in the middle of the pass
        now = self.clock.now()
        queues = {q.name: q for q in queue_admin.list_queues(self.ctx, ADMIN)}
        grace = runtime.get_settings(self.ctx, ADMIN).presence_grace_seconds
        floor = snapshot(self.ctx.uow)
        for ticket in floor.tickets.values():
            queue = queues[ticket.queue]
            if ticket.status.is_final and ticket.id not in self.finished:
                # Only a hold at its limit in a queue that closes them ends a ticket by itself.
                assert ticket.id in on_hold and queue.hold_expiry is HoldExpiry.CLOSE, (
                    f"{ticket.id} {ticket.status.value} by the timer pass")
                self.finished[ticket.id] = ticket.status
            assert not escalation.is_overdue(ticket, queue, now), f"{ticket.id} not escalated"
            assert not escalation.has_waited_too_long(ticket, queue, now), f"{ticket.id} unflagged"
            assert not escalation.is_due_for_aging(ticket, queue, now), f"{ticket.id} not aged"
            assert ticket.hold_until is None or ticket.hold_until > now, (
                f"{ticket.id} still on hold past its limit")
        for agent in floor.agents.values():
            assert not escalation.is_silent(agent, grace, now), f"agent {agent.id} not expired"
            for name, state in agent.queue_state.items():
                assert name in agent.queues, f"agent {agent.id} has a state in {name}"
                if state.paused:
                    # Paused by its misses; an accept since (a ticket it held, or one given by
                    # hand) resets the count but not the pause, which stays until lifted.
                    assert state.pause_reason, f"agent {agent.id} paused without a reason"

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def floor_is_consistent(self) -> None:
        floor = snapshot(self.ctx.uow)
        for agent_id, ceiling in list(self.ceilings.items()):
            agent = floor.agents[agent_id]
            # The allowance shrinks as the agent works its tickets off.
            self.ceilings[agent_id] = max(agent.max_tickets, min(ceiling, agent.active_tickets))
        check_floor(floor, self.ceilings)

    @invariant()
    def nothing_is_lost_and_finished_stays_finished(self) -> None:
        floor = snapshot(self.ctx.uow)
        assert set(floor.tickets) == self.created
        for ticket_id, status in self.finished.items():
            assert floor.tickets[ticket_id].status is status

    @invariant()
    def new_work_goes_only_to_members_of_its_queue(self) -> None:
        floor = snapshot(self.ctx.uow)
        for ticket in floor.tickets.values():
            moved = ticket.agent_id != self.holders_before.get(ticket.id)
            if moved and ticket.agent_id is not None and ticket.id not in self.outsiders:
                agent = floor.agents[ticket.agent_id]
                assert ticket.queue in agent.queues, (
                    f"ticket {ticket.id} of {ticket.queue} went to agent {agent.id}, who serves "
                    f"{sorted(agent.queues)}")
                queue = floor.queues[ticket.queue]
                if queue.max_per_agent > 0:
                    held = floor.held_here(agent.id, queue)
                    assert held <= queue.max_per_agent, (
                        f"agent {agent.id} holds {held} of {queue.name}, over its limit")

    @invariant()
    def dispatch_took_the_head_of_the_queue(self) -> None:
        """Whatever left the queue by assignment in the last step came from its head."""
        floor = snapshot(self.ctx.uow)
        still_queued = {t.id for t in floor.queued}
        left = [floor.tickets[tid] for _, tid in self.queued_before
                if tid not in still_queued and floor.tickets[tid].status.is_active]
        remaining = [floor.tickets[tid] for _, tid in self.queued_before if tid in still_queued]
        for later in left:
            for earlier in remaining:
                if earlier.queue_key < later.queue_key and earlier.dispatchable:
                    # Passing a ticket over is only right for an agent who may not take it:
                    # one who already missed it, who does not serve its queue, is paused
                    # there, or is at that queue's limit.
                    agent = floor.agents[later.agent_id or 0]
                    queue = floor.queues[earlier.queue]
                    assert (agent.id in earlier.missed_by
                            or earlier.queue not in agent.queues
                            or agent.paused_in(earlier.queue)
                            or not queue.has_room_for(floor.held_here(agent.id, queue))), (
                        f"ticket {later.id} was served before the earlier {earlier.id}")


DispatchMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestDispatchInMemory = DispatchMachine.TestCase
