"""Intake's hot statements run on the DBAPI cursor, or, when someone listens to the engine's
statement events (SQL echo, a benchmark timing statements), through SQLAlchemy as usual. Both
paths must leave the same floor behind, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.context import ADMIN, Principal, Role
from giliran.service.ports import HistoryFilter, TicketFilter
from giliran.service.tickets import tickets
from tests.support.server import ADMIN_TOKEN


def work_a_floor(database_url: str, *, observed: bool) -> tuple[list[Any], list[Any], int]:
    container = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN,
                                   metrics=False), clock=FakeClock())
    seen: list[str] = []
    if observed:
        event.listen(container.db.engine, "before_cursor_execute",
                     lambda *args: seen.append(args[2]))
    try:
        ctx = container.ctx
        agent = agents.create_agent(ctx, ADMIN, agents.NewAgent(name="A", max_tickets=2)).agent
        who = Principal(Role.AGENT, agent.id)
        presence.go_online(ctx, who)
        made = [tickets.create_ticket(ctx, ADMIN, tickets.NewTicket(
            title=f"t{i}", queue="default", category="c" if i % 2 else None,
            external_id=f"x{i}" if i == 3 else None)) for i in range(4)]
        first = made[0].ticket.id
        tickets.accept_ticket(ctx, who, first)
        tickets.complete_ticket(ctx, who, first)  # frees a slot: the third is assigned
        with ctx.uow(write=False) as uow:
            floor = [(t.id, t.title, t.status, t.agent_id, t.category, t.external_id)
                     for t in uow.tickets.search(TicketFilter(limit=100))]
            moves = [(e.ticket_id, e.event, e.reason, e.to_agent_id, e.from_agent_id)
                     for e in uow.history.search(HistoryFilter(limit=100))]
        return floor, moves, len(seen)
    finally:
        container.close()


@pytest.fixture
def second_database(backend: str, tmp_path: Any, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("pg_cluster").fresh_database())
    from giliran.adapters.sql import migrate
    from giliran.adapters.sql.database import connect

    url = f"sqlite:///{tmp_path / 'observed.db'}"
    db = connect(url)
    migrate.upgrade(db)
    db.dispose()
    return url


def test_the_cursor_path_and_the_observed_path_leave_the_same_floor(
    database_url: str, second_database: str
) -> None:
    plain_floor, plain_moves, _ = work_a_floor(database_url, observed=False)
    floor, moves, statements = work_a_floor(second_database, observed=True)
    assert statements > 20  # the listener saw the hot statements too
    assert (floor, moves) == (plain_floor, plain_moves)
    assert [status.value for _, _, status, *_ in floor] == [
        "completed", "assigned", "assigned", "queued"]
