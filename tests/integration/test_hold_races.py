"""Every way a hold ends, racing, straight through the service on SQLite and PostgreSQL: the
customer writes, the agent takes it off hold, the timer pass finds it at its limit, and a new
ticket wants the slot the hold freed, all at once. One of them ends the hold; the others find
it ended; nobody is over capacity and every count equals a recount."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.domain.errors import GiliranError
from giliran.domain.model import TicketStatus
from giliran.domain.people import Role
from giliran.service.agents import agents
from giliran.service.assignment import presence, timers
from giliran.service.context import ADMIN, Principal
from giliran.service.conversations import channels
from giliran.service.queues import admin as queues
from giliran.service.tickets import hold, tickets
from tests.support.invariants import check_floor, snapshot

ENDS = {"unheld", "hold_returned", "hold_expired", "unassigned"}


def incoming(n: int, clock: FakeClock) -> channels.Incoming:
    return channels.Incoming(channel="telegram", queue="default", contact="9001",
                             sender="Budi", message_id=str(n), text=f"message {n}",
                             at=clock.now())


def test_the_ends_of_a_hold_race_and_exactly_one_wins(container: Container,
                                                       clock: FakeClock) -> None:
    ctx = container.ctx
    sari = agents.create_agent(ctx, ADMIN, agents.NewAgent("Sari", max_tickets=1)).agent
    as_sari = Principal(Role.AGENT, sari.id)
    presence.go_online(ctx, as_sari)
    queues.update_queue(ctx, ADMIN, "default", queues.QueueChanges(
        hold_frees_slot=True, hold_minutes=5))
    _, held = channels.receive(ctx, incoming(1, clock))
    assert held is not None and held.agent_id == sari.id
    hold.hold_ticket(ctx, as_sari, held.id)
    clock.advance(timedelta(minutes=5).total_seconds())  # at its limit

    racers: list[Callable[[], object]] = [
        lambda: channels.receive(ctx, incoming(2, clock)),
        lambda: hold.unhold_ticket(ctx, as_sari, held.id),
        lambda: timers.tick(ctx),
        lambda: tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("wants the slot",
                                                                    queue="default")),
    ]
    start = threading.Barrier(len(racers))

    def run(racer: Callable[[], object]) -> str:
        start.wait()
        try:
            racer()
        except GiliranError as refused:  # the hold ended, the slot taken, or the ticket
            return refused.code  # gone to the queue (no longer Sari's to take off hold)
        return "ok"

    with ThreadPoolExecutor(len(racers)) as pool:
        outcomes = list(pool.map(run, racers))

    assert set(outcomes) <= {"ok", "invalid_transition", "agent_full", "not_your_ticket"}, (
        outcomes)
    floor = snapshot(ctx.uow)
    check_floor(floor)
    assert floor.tickets[held.id].status is not TicketStatus.ON_HOLD
    with ctx.uow(write=False) as uow:
        history = [h.event.value for h in uow.history.for_ticket(held.id)]
    after_hold = history[history.index("held") + 1:]
    assert len([e for e in after_hold if e in ENDS]) == 1, history
