"""A desk's whole backlog: 25,000 tickets through `giliran import`, on SQLite and PostgreSQL.
It must finish, assign exactly what capacity allows, and a second run must create nothing.
(How long it takes, at 100,000 rows, is printed by bench/import_backlog.py, never asserted
here: the rules hold the same at a quarter of the rows, at a quarter of the suite's time.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.context import ADMIN, Principal, Role
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ROWS, AGENTS, CAPACITY = 25_000, 50, 20


def test_a_large_backlog_imports_once_and_fills_every_free_slot(
    database_url: str, tmp_path: Path
) -> None:
    c = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN, metrics=False))
    try:
        for i in range(AGENTS):
            agent = agents.create_agent(c.ctx, ADMIN, agents.NewAgent(
                f"agent-{i}", max_tickets=CAPACITY)).agent
            presence.go_online(c.ctx, Principal(Role.AGENT, agent.id))
    finally:
        c.close()
    backlog = tmp_path / "backlog.jsonl"
    with backlog.open("w") as f:
        for i in range(ROWS):
            f.write(f'{{"external_id": "b-{i}", "title": "ticket {i}", '
                    f'"priority": "{("low", "normal", "high")[i % 3]}"}}\n')
    env = {**os.environ, "GILIRAN_DATABASE_URL": database_url, "GILIRAN_ADMIN_TOKEN": ADMIN_TOKEN}

    def run() -> str:
        done = subprocess.run([sys.executable, "-m", "giliran", "import", str(backlog),
                               "--batch", "2000"], env=env, capture_output=True, text=True,
                              timeout=200)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    slots = AGENTS * CAPACITY
    assert f"created {ROWS}, already there 0, invalid 0, assigned {slots}" in run()
    assert f"created 0, already there {ROWS}, invalid 0, assigned 0" in run()

    url = make_url(database_url)
    driver = "sqlite+pysqlite" if url.drivername.startswith("sqlite") else "postgresql+psycopg"
    engine = create_engine(url.set(drivername=driver))
    try:
        with engine.connect() as conn:
            counts = dict(conn.execute(text(
                "SELECT status, count(*) FROM tickets GROUP BY status")).all())
            held = conn.execute(text("SELECT sum(active_tickets) FROM agents")).scalar_one()
            # The head of the queue went first: every assigned ticket is high priority.
            assigned_priorities = {r[0] for r in conn.execute(text(
                "SELECT DISTINCT priority FROM tickets WHERE status = 'assigned'"))}
    finally:
        engine.dispose()
    assert counts == {"assigned": slots, "queued": ROWS - slots}
    assert held == slots
    assert assigned_priorities == {2}
