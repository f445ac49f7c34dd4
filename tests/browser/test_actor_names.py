"""The console names who made each change and how they came (issue 22, item 5): the ticket
history and the audit say "Sari Wulandari (session)", "ci-bot token (Dewi)", "admin token",
"giliran" instead of a bare key, in English at 1280 px and in Indonesian at 390 px.

The named changes are made through the service layer with a real principal (a supervisor
signed in, a personal token) on the server's own database, as sign-in will make them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.domain.people import Role, Via
from giliran.service.context import Principal
from giliran.service.queues.admin import QueueChanges, update_queue
from giliran.service.tickets.manual import reassign
from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
SARI = Principal(Role.SUPERVISOR, user_id=3, name="Sari Wulandari", via=Via.SESSION)
CI_BOT = Principal(Role.ADMIN, user_id=4, name="Dewi", via=Via.TOKEN, token_name="ci-bot")


@pytest.fixture
def beside(tmp_path: Path, floor: Floor) -> Iterator[Container]:
    """The use cases on the running server's database (the `server` fixture's SQLite file)."""
    url = f"sqlite:///{tmp_path / 'giliran.db'}"
    c = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False))
    yield c
    c.close()


@pytest.mark.parametrize("locale, viewport, said", [
    ("en-US", None, {"session": "Sari Wulandari (session)", "token": "ci-bot token (Dewi)",
                     "admin": "admin token", "system": "giliran"}),
    ("id-ID", PHONE, {"session": "Sari Wulandari (sesi)", "token": "token ci-bot (Dewi)",
                      "admin": "token admin", "system": "giliran"}),
])
def test_the_history_and_the_audit_say_who_and_how(
    floor: Floor, beside: Container, open_tab: Any, locale: str,
    viewport: dict[str, int] | None, said: dict[str, str],
) -> None:
    admin = floor.admin  # made first: the audit's newest entry is the ci-bot's
    floor.agent("Ayu")
    budi = floor.agent("Budi")
    ticket = floor.ticket("Wrong invoice address")  # the admin token; giliran gives it to Ayu
    reassign(beside.ctx, SARI, ticket["id"], budi["id"])
    update_queue(beside.ctx, CI_BOT, "default", QueueChanges(max_wait_seconds=600))

    extra = {"viewport": viewport} if viewport else {}
    tab = open_tab("/admin/audit", user=admin, locale=locale, **extra)
    page = tab.page
    history = page.locator("#history-filters")
    history.locator("[name=ticket]").fill(ticket["number"])
    history.locator("button[type=submit]").click()
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(4)  # newest first: Sari's two moves, giliran's, the admin's
    for row, who in zip(range(4), ("session", "session", "system", "admin"), strict=True):
        expect(rows.nth(row).locator("td").nth(5)).to_have_text(said[who])

    audit = page.locator("#audit tbody tr")
    expect(audit.first.locator("td").nth(1)).to_have_text(said["token"])
    # Budi was made with the admin token (his own session then made his test token).
    made = audit.filter(has_text="Budi").filter(has_text=said["admin"])
    expect(made.first.locator("td").nth(1)).to_have_text(said["admin"])
    assert no_horizontal_overflow(page)
    tab.assert_clean()
