"""A busy supervisors' floor, seeded once per module straight through the service layer (the
API would take a minute for it): 30 agents online in 6 queues, 2,000 tickets, the first 150 of
them assigned, 60 completed, and one agent deactivated after it held and passed on tickets, so
its name must still be found in the history, the audit and the period's figures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.domain.model import Priority, SlotFreedOn, StrategyName
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.context import ADMIN, Principal, Role
from giliran.service.queues import admin as queues
from giliran.service.tickets import importing, tickets
from tests.browser.conftest import serving
from tests.support.server import ServerProcess
from tests.support.sqlite_template import migrated_sqlite

QUEUES = ("sales", "billing", "tech", "vip", "returns")
FIRST = ("Rina", "Joko", "Maya", "Eko", "Sri", "Bambang", "Lestari", "Andi", "Putri", "Agus")
LAST = ("Kusuma", "Widodo", "Saputra")
NAMES = [f"{first} {last}" for last in LAST for first in FIRST]  # 30
GONE = "Dewi Anggraini"  # the agent deactivated after its work: one of the 30
TICKETS = 2000


@dataclass(frozen=True)
class SeededFloor:
    server: ServerProcess
    names: dict[int, str]  # every agent, the deactivated one included
    gone: int  # the deactivated agent's id


def _seed(url: str) -> tuple[dict[int, str], int]:
    c = bootstrap(Settings(database_url=url, admin_token="x" * 20))
    try:
        # A long policy on a card ("1 per agent, once responded to") beside short labels.
        queues.create_queue(c.ctx, ADMIN, "sales", queues.QueueChanges(
            max_per_agent=1, slot_freed_on=SlotFreedOn.ACCEPT, service_level_seconds=600))
        for name in QUEUES[1:]:
            queues.create_queue(c.ctx, ADMIN, name, queues.QueueChanges(
                strategy=StrategyName.LEAST_LOADED, service_level_seconds=900))
        names: dict[int, str] = {}
        for i, name in enumerate([GONE, *NAMES[1:]]):
            agent = agents.create_agent(c.ctx, ADMIN, agents.NewAgent(
                name, max_tickets=5,
                queues=frozenset({"default", QUEUES[i % 5], QUEUES[(i + 2) % 5]}))).agent
            presence.go_online(c.ctx, Principal(Role.AGENT, agent.id))
            names[agent.id] = name
        rows = [tickets.NewTicket(f"Customer question {i}", ("default", *QUEUES)[i % 6],
                                  priority=(Priority.NORMAL, Priority.HIGH, Priority.LOW)[i % 3],
                                  external_id=f"seed-{i}") for i in range(TICKETS)]
        for start in range(0, TICKETS, 1000):
            importing.import_batch(c.ctx, ADMIN, rows[start:start + 1000])
        importing.dispatch_batch(c.ctx, ADMIN, 1000)
        gone = next(iter(names))
        _complete_some(c, names)
        agents.update_agent(c.ctx, ADMIN, gone, agents.AgentChanges(active=False))
        return names, gone
    finally:
        c.close()


def _complete_some(c: Container, names: dict[int, str]) -> None:
    """Two tickets of each agent accepted and completed (the next ones follow), so the
    history and the period's figures hold every agent's work, the deactivated one's too."""
    for agent_id in names:
        me = Principal(Role.AGENT, agent_id)
        for ticket in agents.my_queue(c.ctx, me)[1][:2]:
            tickets.accept_ticket(c.ctx, me, ticket.id)
            tickets.complete_ticket(c.ctx, me, ticket.id)


@contextmanager
def console_floor(where: Path) -> Iterator[SeededFloor]:
    url = migrated_sqlite(where / "giliran.db")
    names, gone = _seed(url)
    with serving(where) as started:
        yield SeededFloor(started, names, gone)
