"""The supervisors' console as views (issue 24), in a real browser, on a 30-agent desk:
each view at its own URL with a navigation bar; links between views, back and forward, and a
ticket list's filters carried by its link; the Floor fitting one 1440 x 900 screen with what
needs action first; and a picture of every view on a laptop and on a phone. On a seeded busy
console (conftest.py busy_console)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, update

from giliran.adapters.sql import tables as t
from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow
from tests.browser.console_floor import SeededFloor
from tests.support.schedules import closed_now, open_now, store_schedule
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
WIDE = {"width": 1440, "height": 900}
VIEWS = {"floor": "Floor now", "tickets": "Tickets", "conversations": "Conversations",
         "people": "Workload",
         "queues": "Queues", "reports": "Reports", "audit": "Assignment history"}


@pytest.fixture(scope="module")
def server(busy_console: SeededFloor) -> ServerProcess:
    return busy_console.server


def flag(database_url: str, ticket_ids: list[int]) -> None:
    """As the engine flags a ticket queued past its queue's max_wait_seconds (waiting for
    that in a test would take the queue's minutes)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(t.tickets).where(t.tickets.c.id.in_(ticket_ids)).values(
            flag="waiting_too_long", flagged_at=datetime.now(UTC)))
    engine.dispose()


@pytest.fixture(scope="module")
def desk(server: ServerProcess) -> Floor:
    """The seeded busy console (30 agents, 6 queues, 2,000 tickets), with a queue whose
    three members are all offline and two flagged tickets: the Floor's alerts; returns keeps
    Jakarta hours and is closed now, billing keeps Berlin's and is open."""
    floor = Floor(server.base_url)
    store_schedule(server.database_url, closed_now("jakarta", "Asia/Jakarta"))
    store_schedule(server.database_url, open_now("berlin", "Europe/Berlin"))
    floor.call("PATCH", "/queues/returns", schedule="jakarta")
    floor.call("PATCH", "/queues/billing", schedule="berlin")
    floor.call("POST", "/queues", name="b2b")
    for name in ("Yusuf Hakim", "Nia Ramadhani", "Tono Sudirjo"):
        floor.call("POST", "/agents", name=name, max_tickets=2, queues=["b2b"])
    for i in range(3):
        floor.ticket(f"Bulk order {i + 1}", queue="b2b")
    queued = floor.call("GET", "/tickets?status=queued&queue=tech&limit=2")["items"]
    flag(server.database_url, [t["id"] for t in queued])
    return floor


def open_console(open_tab: Any, floor: Floor, path: str, **kw: Any) -> Page:
    page: Page = open_tab(path, user=floor.admin, **kw).page
    agents = len(floor.call("GET", "/workload")["agents"])
    expect(page.locator("#floor-agents li")).to_have_count(agents)
    return page


def shown_view(page: Page) -> str:
    return str(page.locator(".view:not([hidden])").get_attribute("data-view"))


def test_each_view_has_its_url_and_back_and_forward_move_between_them(
    desk: Floor, open_tab: Any,
) -> None:
    floor = desk
    page = open_console(open_tab, floor, "/admin", viewport=WIDE)
    nav = page.get_by_role("navigation", name="Console views")
    floor_link = nav.get_by_role("link", name="Floor", exact=True)
    expect(floor_link).to_have_attribute("aria-current", "page")
    assert shown_view(page) == "floor"

    for view, heading in VIEWS.items():
        nav.get_by_role("link", name=view.capitalize()).click()
        expect(page).to_have_url(f"{floor.base_url}/admin/{view}")
        expect(page.locator(f'.view[data-view="{view}"] h2').first).to_contain_text(heading)
        expect(page.locator(f'.view[data-view="{view}"] h2').first).to_be_in_viewport()
        assert shown_view(page) == view
        expect(nav.locator("[aria-current=page]")).to_have_text(view.capitalize())
        assert page.title().startswith(f"{view.capitalize()} · ")

    page.go_back()  # audit → reports, without reloading: the stream stays
    expect(page).to_have_url(f"{floor.base_url}/admin/reports")
    assert shown_view(page) == "reports"
    page.go_forward()
    expect(page).to_have_url(f"{floor.base_url}/admin/audit")
    assert shown_view(page) == "audit"

    # What if is a page of its own, with the same bar; Floor brings the console back.
    nav.get_by_role("link", name="What if").click()
    expect(page).to_have_url(f"{floor.base_url}/admin/what-if")
    expect(page.get_by_role("navigation", name="Console views").get_by_role(
        "link", name="What if")).to_have_attribute("aria-current", "page")
    page.get_by_role("navigation", name="Console views").get_by_role(
        "link", name="Floor", exact=True).click()
    expect(page.locator("#floor-agents li")).not_to_have_count(0)


def test_a_ticket_list_opens_as_its_link_says_and_its_filters_make_the_link(
    desk: Floor, open_tab: Any,
) -> None:
    floor = desk
    expected = floor.call("GET", "/tickets?queue=sales&open=true&limit=1")["total"]
    agent = floor.call("GET", "/tickets?queue=sales&status=assigned&limit=1")["items"][0][
        "assigned_agent_id"]
    page = open_console(open_tab, floor, f"/admin/tickets?queue=sales&agent_id={agent}",
                        viewport=WIDE)
    assert shown_view(page) == "tickets"
    expect(page.locator("#tickets-queue")).to_have_value("sales")
    expect(page.locator("#tickets-agent")).to_have_value(str(agent))
    held = floor.call("GET", f"/tickets?queue=sales&agent_id={agent}&open=true")
    expect(page.locator("#tickets tbody")).to_have_count(len(held["items"]))

    page.locator("#tickets-agent").select_option("")
    expect(page).to_have_url(f"{floor.base_url}/admin/tickets?queue=sales")
    expect(page.locator("#tickets-count")).to_contain_text(f"of {expected}")
    page.locator("#tickets-status").select_option("queued")
    expect(page).to_have_url(f"{floor.base_url}/admin/tickets?status=queued&queue=sales")

    # The Floor's alerts link into the list they are about.
    page.get_by_role("link", name="Floor", exact=True).click()
    page.locator("#floor-alerts").get_by_role("link", name="flagged").first.click()
    expect(page).to_have_url(f"{floor.base_url}/admin/tickets?flagged=true")
    expect(page.locator("#tickets-flagged")).to_be_checked()
    expect(page.locator("#tickets-queue")).to_have_value("")
    page.go_back()
    assert shown_view(page) == "floor"


def test_the_floor_of_a_30_agent_6_queue_desk_fits_one_screen(
    desk: Floor, open_tab: Any,
) -> None:
    floor = desk
    page = open_console(open_tab, floor, "/admin/floor", viewport=WIDE)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= WIDE["height"], f"the Floor is {height} px tall"
    workload = floor.call("GET", "/workload")
    assert len(workload["agents"]) >= 30 and len(workload["queues"]) >= 6
    expect(page.locator("#floor-queues tbody tr")).to_have_count(len(workload["queues"]))
    for q in workload["queues"]:
        row = page.locator(f'#floor-queues tr[data-floor-queue="{q["name"]}"]')
        expect(row.locator("td").nth(0)).to_have_text(str(q["pending"]))
        expect(row.locator("td").nth(4)).to_have_text(f"{q['online_members']}/{q['members']}")
    names = page.locator("#floor-agents .name").all_inner_texts()
    assert sorted(names) == sorted(a["name"] for a in workload["agents"])
    online = sum(a["presence"] == "online" for a in workload["agents"])
    expect(page.locator("#floor-agents-count")).to_have_text(
        f"{online} of {len(workload['agents'])} online")
    hours = {q["name"]: q for q in workload["queues"]}
    closed = page.locator('#floor-queues tr[data-floor-queue="returns"] th .badge.hours')
    expect(closed).to_have_text(re.compile(r"^Closed · opens \w{3},? \d\d:\d\d \S+$"))
    expect(closed).to_have_attribute("data-until", hours["returns"]["closed_until"])
    expect(closed).to_have_attribute("title", re.compile(r", in your local time$"))
    opened = page.locator('#floor-queues tr[data-floor-queue="billing"] th .badge.hours')
    expect(opened).to_have_text(re.compile(r"^Open · closes "))
    expect(opened).to_have_attribute("data-until", hours["billing"]["open_until"])
    expect(page.locator("#floor-queues .badge.hours")).to_have_count(2)  # the rest: no hours
    alerts = page.locator("#floor-alerts")
    expect(alerts).to_contain_text("Nobody online in b2b (3 waiting)")
    flagged = sum(q["flagged"] for q in workload["queues"])
    expect(alerts).to_contain_text(f"{flagged} flagged tickets need you")
    assert flagged >= 2

    # Live: a new ticket shows in its queue's line without a reload.
    before = int(page.locator('#floor-queues tr[data-floor-queue="vip"] td').first.inner_text())
    floor.ticket("One more", queue="vip")
    after = floor.call("GET", "/workload")
    vip = next(q for q in after["queues"] if q["name"] == "vip")
    expect(page.locator('#floor-queues tr[data-floor-queue="vip"] td').first).to_have_text(
        str(vip["pending"]))
    assert vip["pending"] >= before


def test_pictures_of_every_view(
    desk: Floor, open_tab: Any, screenshots: Path,
) -> None:
    """docs/screenshots/console-<view>.png at 1440 px and console-<view>-phone.png at 390 px
    (in Indonesian), regenerated with GILIRAN_SCREENSHOTS=1; no view scrolls sideways."""
    floor = desk
    sideways: list[str] = []
    for viewport, locale, suffix in ((WIDE, "en-US", ""), (PHONE, "id-ID", "-phone")):
        page = open_console(open_tab, floor, "/admin/floor", viewport=viewport, locale=locale)
        expect(page.locator('tr[data-floor-queue="returns"] .badge.hours')).to_have_text(
            re.compile("^Closed · opens " if locale == "en-US" else "^Tutup · buka "))
        for view in [*VIEWS, "what-if"]:
            page.locator(f'a[data-view-link="{view}"]').click()
            expect(page).to_have_url(f"{floor.base_url}/admin/{view}")
            if view == "what-if":
                expect(page.locator("#whatif-form")).to_be_visible()
            page.screenshot(path=screenshots / f"console-{view}{suffix}.png",
                            full_page=view != "floor")
            sideways.extend([f"{view}{suffix}"] if not no_horizontal_overflow(page) else [])
            if view == "what-if":
                page.go_back()
                expect(page.locator("#floor-agents li")).not_to_have_count(0)
    assert not sideways, f"these scroll sideways: {sideways}"


def test_a_bulk_reassign_by_filter_counts_first_then_says_what_became_of_each(
    desk: Floor, open_tab: Any, server: ServerProcess, screenshots: Path,
) -> None:
    """100 flagged tickets of a queue, reassigned by the list's filter to one agent without
    force: the console counts them before acting, asks for a second click that says how many,
    then tells how many moved and why the others did not (the agent's capacity)."""
    floor = desk
    queued = floor.call("GET", "/tickets?status=queued&queue=returns&limit=100")["items"]
    assert len(queued) == 100
    flag(server.database_url, [t["id"] for t in queued])
    flagged = floor.call("GET", "/tickets?queue=returns&flagged=true&limit=1")["total"]
    # A new agent of the queue, not online yet (so nothing is dispatched to them meanwhile).
    agent = floor.call("POST", "/agents", name="Rahmat Hidayat", max_tickets=10,
                       queues=["returns"])
    page = open_console(open_tab, floor, "/admin/tickets?queue=returns&flagged=true",
                        viewport=WIDE)
    bulk = page.locator("#bulk")
    expect(bulk.locator("#bulk-count")).to_have_text("No ticket selected")
    bulk.get_by_role("button", name="Select all that match").click()
    expect(bulk.locator("#bulk-count")).to_have_text(
        f"All {flagged} tickets these filters match")
    expect(page.locator("#tickets tbody input[data-select]:checked")).not_to_have_count(0)
    bulk.get_by_label("Action").select_option("reassign")
    bulk.get_by_label("To agent").select_option(label=agent["name"])
    apply = bulk.locator("#bulk-apply")
    expect(apply).to_have_text(f"Apply to {flagged} tickets")
    apply.click()
    expect(apply).to_have_text(f"Confirm: reassign {flagged} tickets to {agent['name']}")
    assert floor.call("GET", "/tickets?queue=returns&flagged=true&limit=1")["total"] == flagged
    apply.click()
    results = bulk.locator("#bulk-results")
    moved = agent["max_tickets"]
    expect(results.locator("#bulk-summary")).to_have_text(
        f"{moved} done, {flagged - moved} refused")
    refused = results.locator("#bulk-refused li")  # by reason, naming the first tickets
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(
        f"agent Rahmat Hidayat is full (10/10) — {flagged - moved} tickets: INC")
    page.screenshot(path=screenshots / "console-bulk.png")
    held = floor.call("GET", f"/tickets?queue=returns&agent_id={agent['id']}&open=true")
    assert sum(t["flag"] is None for t in held["items"]) >= moved
    expect(bulk.locator("#bulk-count")).to_have_text("No ticket selected")
    # One audit entry for the action, with its tickets.
    entry = floor.call("GET", "/audit?kind=tickets&limit=1")["items"][0]
    assert entry["action"] == "bulk reassign"
