"""The supervisors' console on a busy floor (issue 24, item 7): loaded 20 times, every table
names its agents (never "#<id>"), the deactivated one and one created after the page loaded
included, however late the agent list arrives; History brings its results into view every
time, however slow the read; and on a phone no word breaks inside itself, no button's text
wraps, on the page or in any dialog."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow, show_view
from tests.browser.console_floor import GONE, SeededFloor
from tests.support.e2e_server import API
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
WIDE = {"width": 1440, "height": 900}
LOADS = 20
# Where the console names agents; none may show a bare id or the "not known yet" mark.
NAMED = ("#workload", "#period", "#history", "#audit", "#tickets")
BARE_ID = re.compile(r"#\d|…")


@pytest.fixture(scope="module")
def seeded(busy_console: SeededFloor) -> SeededFloor:
    return busy_console


@pytest.fixture(scope="module")
def server(seeded: SeededFloor) -> ServerProcess:
    return seeded.server


class Held:
    """Requests to `pattern` wait while `holding`, until `release` (a slow read, made
    deterministic)."""

    def __init__(self, page: Page, pattern: str) -> None:
        self.holding = False
        self.waiting: list[Any] = []
        page.route(pattern, self._arrived)

    def _arrived(self, route: Any) -> None:
        if self.holding:
            self.waiting.append(route)
        else:
            route.continue_()

    def release(self) -> None:
        self.holding = False
        waiting, self.waiting = self.waiting, []
        for route in waiting:
            route.continue_()


def names_everywhere(page: Page, active: int, *also: str) -> None:
    """Every table drawn, with the deactivated agent named where its work shows, and no bare
    id anywhere."""
    expect(page.locator("#workload tbody tr")).to_have_count(active)
    for table in ("#period", "#history", "#audit"):
        expect(page.locator(table)).to_contain_text(GONE)
    expect(page.locator("#tickets tbody")).not_to_have_count(0)
    for name in also:
        expect(page.locator("#workload")).to_contain_text(name)
        expect(page.locator("#history")).to_contain_text(name)
    for table in NAMED:
        expect(page.locator(table)).not_to_contain_text(BARE_ID)


def ask_history(page: Page, held: Held, ticket: str = "") -> None:
    """The supervisor searches the history; the read is slow; the click shows it is busy, and
    the results come into view with the focus on their heading."""
    form = page.locator("#history-filters")
    form.get_by_label("Ticket number").fill(ticket)
    held.holding = True
    form.get_by_role("button", name="Search").click()
    expect(form.locator("#history-search")).to_have_text("Searching…")
    expect(page.locator("#history")).to_have_attribute("aria-busy", "true")
    page.evaluate("window.scrollTo(0, 0)")  # the supervisor looks elsewhere meanwhile
    held.release()
    expect(form.locator("#history-search")).to_have_text("Search")
    expect(page.locator("#history-results")).to_be_focused()
    expect(page.locator("#history-results")).to_be_in_viewport()
    expect(page.locator("#history tbody tr").first).to_be_in_viewport()
    if ticket:
        expect(page.locator("#history tbody tr").first).to_contain_text(ticket)


def test_twenty_loads_name_every_agent_and_history_comes_into_view(
    floor: Floor, open_tab: Any, seeded: SeededFloor, screenshots: Path,
) -> None:
    page = open_tab("/admin/audit", user=floor.admin, viewport=WIDE).page
    agents = Held(page, f"**{API}/agents")
    history = Held(page, f"**{API}/history?*")
    gone_ticket = next(e for e in floor.call("GET", "/history?limit=200&order=desc")["items"]
                       if seeded.gone in (e["from_agent_id"], e["to_agent_id"]))
    active = sum(a["active"] for a in floor.call("GET", "/agents"))
    started = time.monotonic()
    for load in range(LOADS):
        agents.holding = True  # the tables' reads come back before the agent list
        page.reload()
        expect(page.locator("#history tbody tr").first).to_be_visible()
        agents.release()
        late: tuple[str, ...] = ()
        if load == LOADS // 2:  # an agent joins while the page is open, and takes work
            joined = floor.call("POST", "/agents", name="Wulan Hartati", max_tickets=2,
                                queues=["default"])
            floor.call("POST", "/agent/go-online", token=joined["token"])
            active += 1
            late = ("Wulan Hartati",)
            ask_history(page, history)
        names_everywhere(page, active, *late)
        ask_history(page, history, gone_ticket["ticket_number"])
        expect(page.locator("#history")).to_contain_text(GONE)
    print(f"\n{LOADS} console loads with checks: {time.monotonic() - started:.1f} s")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "console-1440.png"), full_page=True)


# Every word of visible text in `root` on one line (a label broken letter by letter has
# words over several lines; a break after a word's hyphen is fine), and every button's text
# on one line.
BROKEN_WORDS = """(root) => {
  const broken = [];
  const visible = (el) => el && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!visible(node.parentElement) || node.parentElement.closest("svg, option, script")) continue;
    for (const m of node.data.matchAll(/[^\\s-]+-?/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      const el = node.parentElement;
      const where = `${el.tagName}.${el.className} in #${el.closest("[id]")?.id}`;
      if (tops.size > 1) broken.push(`${where}: ${m[0]}`);
    }
  }
  for (const b of root.querySelectorAll("button")) {
    if (!visible(b) || !b.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(b);
    const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
      .map((r) => Math.round(r.top)));
    if (tops.size > 1) broken.push(`button wraps: ${b.textContent.trim()}`);
  }
  return broken;
}"""


VIEWS = ("floor", "tickets", "conversations", "people", "queues", "reports", "audit")


def unbroken(page: Page, where: str) -> None:
    broken = page.locator(where).evaluate(BROKEN_WORDS)
    assert not broken, f"{where}: {broken[:20]}"


def test_phone_layout_holds_on_the_page_and_in_dialogs(
    floor: Floor, open_tab: Any, seeded: SeededFloor, screenshots: Path,
) -> None:
    page = open_tab("/admin", user=floor.admin, viewport=PHONE).page
    expect(page.locator("#workload tbody tr").first).to_be_attached()
    expect(page.locator("#period tbody tr").first).to_be_attached()
    expect(page.locator("#audit tbody tr").first).to_be_attached()
    card = page.locator("#queue-figures [data-queue=sales]")
    expect(card).to_contain_text("1 per agent, once responded to")
    for view in VIEWS:
        show_view(page, view)
        assert no_horizontal_overflow(page), view
        unbroken(page, f'.view[data-view="{view}"]')
    page.screenshot(path=str(screenshots / "console-390.png"), full_page=True)
    dialogs = [
        ("people", "#new-agent", "#new-agent-dialog"),
        ("queues", "#new-queue", "#new-queue-dialog"),
        ("people", "#workload [data-action=agent-settings] >> nth=0", "#agent-dialog"),
        ("queues", "#queue-figures [data-queue=sales] button >> nth=0", "#queue-dialog"),
        ("tickets", "#tickets [data-action=menu] >> nth=0", "#reassign-dialog"),
        ("tickets", "#tickets [data-action=menu] >> nth=0", "#conversation"),
    ]
    for view, opener, dialog in dialogs:
        show_view(page, view)
        page.locator(opener).click()
        if view == "tickets":  # the row's Actions menu: Reassign, or the ticket's page
            item = "reassign" if dialog == "#reassign-dialog" else "conversation"
            page.locator(f"#ticket-menu [data-action={item}]").click()
        expect(page.locator(dialog)).to_be_visible()
        page.locator(dialog).screenshot(
            path=str(screenshots / f"console-390-{dialog.strip('#')}.png"))
        unbroken(page, dialog)
        page.keyboard.press("Escape")
        expect(page.locator(dialog)).to_be_hidden()
    # Indonesian labels are longer: the views and a ticket's dialog hold all the same.
    page = open_tab("/admin", user=floor.admin, viewport=PHONE, locale="id-ID").page
    expect(page.locator("#period tbody tr").first).to_be_attached()
    expect(page.locator("#audit tbody tr").first).to_be_attached()
    for view in VIEWS:
        show_view(page, view)
        assert no_horizontal_overflow(page), view
        unbroken(page, f'.view[data-view="{view}"]')
    page.screenshot(path=str(screenshots / "console-390-id.png"), full_page=True)
    show_view(page, "tickets")
    page.locator("#tickets [data-action=menu] >> nth=0").click()
    page.locator("#ticket-menu [data-action=conversation]").click()
    expect(page.locator("#conversation")).to_be_visible()
    unbroken(page, "#conversation")
