"""`giliran import` on SQLite and PostgreSQL: every invalid row is skipped and listed (an
unknown or switched-off queue included), priorities are read in any case, the valid rows are
imported, and the exit code is 1; only an unreadable file stops it, before anything is
imported (exit code 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.service.context import ADMIN
from giliran.service.ports import TicketFilter
from giliran.service.queues import admin as queue_admin
from giliran.service.tickets.tickets import list_tickets
from tests.e2e.test_cli import giliran
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def env_for(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GILIRAN_")}
    return {**env, "GILIRAN_DATABASE_URL": database_url}


def tickets(database_url: str) -> dict[str, tuple[str, str]]:
    c = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN, metrics=False))
    try:
        found = [row.ticket for row in list_tickets(c.ctx, ADMIN, TicketFilter(limit=500)).rows]
        return {t.external_id or "": (t.queue, t.priority.label) for t in found}
    finally:
        c.close()


def test_invalid_rows_are_listed_and_skipped_and_the_rest_imported(
    database_url: str, tmp_path: Path
) -> None:
    c = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN, metrics=False))
    try:
        queue_admin.create_queue(c.ctx, ADMIN, "sales", queue_admin.QueueChanges())
        queue_admin.create_queue(c.ctx, ADMIN, "closed", queue_admin.QueueChanges())
        queue_admin.update_queue(c.ctx, ADMIN, "closed", queue_admin.QueueChanges(active=False),
                                 None)
    finally:
        c.close()
    backlog = tmp_path / "backlog.csv"
    backlog.write_text(
        "external_id,title,priority,queue\n"
        "a-1,Fine,HIGH,sales\n"           # 2: priorities in any case
        "a-2,Unknown queue,normal,Sales\n"  # 3
        "a-3,Closed queue,low,closed\n"   # 4
        "a-4,Also fine, Urgent ,\n"       # 5
        "a-5,Too,many,values,here\n"      # 6
        "a-6,Bad\x00title,low,\n"         # 7
        "a-7,Bad priority,someday,\n"     # 8
        ",No id,low,\n"                   # 9
        "a-9,Last,low,default\n")         # 10
    done = giliran("import", str(backlog), "--batch", "3", env=env_for(database_url))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "created 3, already there 0, invalid 6" in done.stdout, done.stdout
    listed = [line.strip() for line in done.stderr.splitlines() if line.strip().startswith("line")]
    assert [line.split(":")[0] for line in listed] == [
        "line 3", "line 4", "line 6", "line 7", "line 8", "line 9"], done.stderr
    assert "queue 'Sales' does not exist" in done.stderr
    assert "queue 'closed' takes no new tickets" in done.stderr
    assert tickets(database_url) == {"a-1": ("sales", "high"), "a-4": ("default", "urgent"),
                                     "a-9": ("default", "low")}


def test_an_unreadable_file_stops_before_anything_is_imported(
    database_url: str, tmp_path: Path
) -> None:
    backlog = tmp_path / "latin1.csv"
    backlog.write_bytes(b"external_id,title\nok-1,Fine\nbad-2,Caf\xe9\n")
    done = giliran("import", str(backlog), env=env_for(database_url))
    assert done.returncode == 2 and "line 3 is not UTF-8" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    columns = tmp_path / "columns.csv"
    columns.write_text("external_id,titel\nx,y\n")
    done = giliran("import", str(columns), env=env_for(database_url))
    assert done.returncode == 2 and "unknown column" in done.stderr
    assert tickets(database_url) == {}
