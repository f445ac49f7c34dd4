"""Racing intakes of one external_id, straight through the service on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from giliran.bootstrap import Container
from giliran.service.agents import agents
from giliran.service.context import ADMIN
from giliran.service.tickets import tickets
from tests.support.invariants import EVERYTHING


def test_concurrent_posts_of_one_external_id_make_one_ticket(container: Container) -> None:
    ctx = container.ctx
    agents.create_agent(ctx, ADMIN, agents.NewAgent("Sari"))  # a member (offline): a way in
    racers = 8
    start = threading.Barrier(racers)

    def post(i: int) -> tickets.TicketView:
        start.wait()
        return tickets.create_ticket(ctx, ADMIN, tickets.NewTicket(
            title=f"lead from attempt {i}", queue="default", external_id="wa-msg-42"))

    with ThreadPoolExecutor(racers) as pool:
        views = list(pool.map(post, range(racers)))

    assert len({v.ticket.id for v in views}) == 1
    assert sum(v.created for v in views) == 1
    with ctx.uow(write=False) as uow:
        assert len(uow.tickets.search(EVERYTHING)) == 1
        history = uow.history.for_ticket(views[0].ticket.id)
    assert [h.event for h in history] == ["created"]
