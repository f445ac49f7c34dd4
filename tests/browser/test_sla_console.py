"""The SLA policy editor (Queues view) and the SLA report (Reports view) in a real browser, on
the seeded busy console (conftest.py busy_console): in English at 1440 px and in Indonesian at
390 px, an admin creates a policy with per-priority targets and a breach action and a flat one
that moves a breached ticket, moves the second above the first and sees them listed in that
order (the API agrees); the report shows the figures of seeded clocks that ended."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, insert

from giliran.adapters.sql import tables as t
from tests.browser.conftest import PHONE, Floor, Tab, no_horizontal_overflow, show_view
from tests.browser.console_floor import SeededFloor
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
WIDE = {"width": 1440, "height": 900}

EN = {"locale": "en-US", "viewport": WIDE, "suffix": "", "new": "New SLA policy",
      "name": "Name", "per_priority": "Per priority", "urgent": "Urgent", "high": "High",
      "first": "First response", "resolution": "Resolution", "raise": "Raise the priority",
      "move": "Move to the queue", "save": "Save", "up": "Move {name} up",
      "vip": "VIP promise", "all": "Everyone", "every": "Every priority",
      "urgent_text": "Urgent: First response 5 min · Resolution 60 min",
      "whole": "Everything shown", "met": "50% met (2 of 4)", "queue": "Queue sales",
      "median": "50 s"}
ID = {"locale": "id-ID", "viewport": PHONE, "suffix": "-phone", "new": "Kebijakan SLA baru",
      "name": "Nama", "per_priority": "Per prioritas", "urgent": "Mendesak", "high": "Tinggi",
      "first": "Respons pertama", "resolution": "Penyelesaian", "raise": "Naikkan prioritas",
      "move": "Pindahkan ke antrean", "save": "Simpan", "up": "Naikkan {name}",
      "vip": "Janji VIP", "all": "Semua tiket", "every": "Setiap prioritas",
      "urgent_text": "Mendesak: Respons pertama 5 mnt · Penyelesaian 60 mnt",
      "whole": "Semua yang ditampilkan", "met": "50% terpenuhi (2 dari 4)",
      "queue": "Antrean sales", "median": "50 dtk"}


@pytest.fixture(scope="module")
def server(busy_console: SeededFloor) -> ServerProcess:
    return busy_console.server


@pytest.fixture(scope="module")
def desk(server: ServerProcess) -> Floor:
    return Floor(server.base_url)


def open_console(open_tab: Any, floor: Floor, view: str, words: dict[str, Any],
                 user: dict[str, Any] | None = None) -> Tab:
    tab: Tab = open_tab(f"/admin/{view}", user=user or floor.admin, locale=words["locale"],
                        viewport=words["viewport"])
    expect(tab.page.locator(f'.view[data-view="{view}"]')).to_be_visible()
    return tab


def rows(page: Page) -> Any:
    return page.locator("#sla-policies tbody tr")


@pytest.mark.parametrize("words", [EN, ID], ids=["en-1440", "id-390"])
def test_an_admin_creates_policies_and_reorders_them(
    desk: Floor, open_tab: Any, screenshots: Path, words: dict[str, Any],
) -> None:
    before = len(desk.call("GET", "/sla-policies")["items"])
    page = open_console(open_tab, desk, "queues", words).page
    if before:  # the list drawn (after the floor's first read)
        expect(rows(page)).to_have_count(before)
    else:
        expect(page.locator("#sla-empty")).to_be_visible()
    dialog = page.locator("#sla-dialog")

    page.get_by_role("button", name=words["new"]).click()
    expect(dialog).to_be_visible()
    dialog.get_by_label(words["name"], exact=True).fill(words["vip"])
    dialog.get_by_label(words["per_priority"]).check()
    dialog.get_by_label(f"{words['urgent']}: {words['first']}").fill("5")
    dialog.get_by_label(f"{words['urgent']}: {words['resolution']}").fill("60")
    dialog.get_by_label(f"{words['high']}: {words['first']}").fill("15")
    dialog.get_by_label(words["raise"]).check()
    page.screenshot(path=screenshots / f"sla-dialog{words['suffix']}.png")
    dialog.get_by_role("button", name=words["save"]).click()
    expect(dialog).to_be_hidden()
    expect(rows(page)).to_have_count(before + 1)

    page.get_by_role("button", name=words["new"]).click()
    dialog.get_by_label(words["name"], exact=True).fill(words["all"])
    dialog.get_by_label(f"{words['every']}: {words['first']}").fill("30")
    dialog.get_by_label(words["move"], exact=True).check()
    dialog.locator("#sla-move-queue").select_option("sales")
    dialog.get_by_role("button", name=words["save"]).click()
    expect(dialog).to_be_hidden()
    expect(rows(page)).to_have_count(before + 2)
    vip = rows(page).nth(before)
    expect(vip).to_contain_text(words["vip"])
    expect(vip).to_contain_text(words["urgent_text"])

    page.get_by_role("button", name=words["up"].format(name=words["all"])).click()
    expect(rows(page).nth(before)).to_contain_text(words["all"])
    expect(rows(page).nth(before + 1)).to_contain_text(words["vip"])
    listed = desk.call("GET", "/sla-policies")["items"][before:]
    assert [p["name"] for p in listed] == [words["all"], words["vip"]]
    assert listed[1]["targets"] == {
        "urgent": {"first_response_seconds": 300, "resolution_seconds": 3600},
        "high": {"first_response_seconds": 900}}
    assert listed[1]["breach_actions"] == [{"action": "raise_priority"}]
    assert listed[0]["targets"] == {"first_response_seconds": 1800}
    assert listed[0]["breach_actions"] == [{"action": "move", "queue": "sales"}]

    page.locator("#sla-title").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f"sla-policies{words['suffix']}.png", full_page=True)
    assert no_horizontal_overflow(page)


def seed_outcomes(server: ServerProcess, agent_ids: list[int]) -> None:
    """Four first responses that ended an hour ago: 20 s and 50 s met in sales, 200 s and
    400 s breached in billing; and a resolution of 30 minutes met in sales."""
    ended = datetime.now(UTC) - timedelta(hours=1)
    made = [("first_response", "sales", agent_ids[0], "met", 20),
            ("first_response", "sales", agent_ids[1], "met", 50),
            ("first_response", "billing", agent_ids[0], "breached", 200),
            ("first_response", "billing", None, "breached", 400),
            ("resolution", "sales", agent_ids[1], "met", 1800)]
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(insert(t.sla_outcomes), [
            {"ticket_id": 100_000 + i, "target": target, "policy_id": 1, "queue": queue,
             "agent_id": agent, "priority": "normal", "channel": None,
             "started_at": ended - timedelta(seconds=spent), "due_at": ended,
             "ended_at": ended, "outcome": outcome, "elapsed_seconds": spent,
             "breached_at": ended if outcome == "breached" else None}
            for i, (target, queue, agent, outcome, spent) in enumerate(made)])
    engine.dispose()


@pytest.fixture(scope="module")
def seeded(busy_console: SeededFloor) -> SeededFloor:
    seed_outcomes(busy_console.server, sorted(set(busy_console.names) - {busy_console.gone}))
    return busy_console


@pytest.mark.parametrize("words", [EN, ID], ids=["en-1440", "id-390"])
def test_the_report_shows_the_periods_figures(
    desk: Floor, seeded: SeededFloor, open_tab: Any, screenshots: Path, words: dict[str, Any],
) -> None:
    """As a supervisor, who reads the report but does not see the policies (only admins
    configure them) and whose console asks for none (no refused call in its log)."""
    supervisor = desk.person(f"Sinta {words['locale']}", "supervisor")
    tab = open_console(open_tab, desk, "queues", words, supervisor)
    page = tab.page
    expect(page.locator("#sla-title")).to_be_visible()
    expect(page.locator("#sla-policies")).to_be_hidden()
    expect(page.get_by_role("button", name=words["new"])).to_be_hidden()
    show_view(page, "reports")
    report = page.locator("#sla-report tbody")
    whole = report.locator("tr", has=page.get_by_role("rowheader", name=words["whole"]))
    expect(whole).to_contain_text(words["met"])
    expect(whole.locator("td").nth(3)).to_have_text(words["median"])
    sales = report.locator("tr", has=page.get_by_role("rowheader", name=words["queue"]))
    expect(sales).to_contain_text("100%")
    expect(page.locator("#sla-report-csv")).to_have_attribute(
        "href", re.compile(r"^/api/v1/reports/sla\?.*thresholds=30%2C60%2C300.*format=csv"))
    page.locator("#sla-report").screenshot(path=screenshots / f"sla-report{words['suffix']}.png")
    assert no_horizontal_overflow(page)
    tab.assert_clean()

