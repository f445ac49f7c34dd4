"""A busy floor in a real browser (issue 13): the supervisor finds a ticket by its customer and
moves it, re-prioritises and cancels one, creates an agent whose API token is shown
once; the agent's own queue goes by priority, nothing is completed before it is accepted, and
a desktop notification (asked for on a click) announces a new assignment. Then the layout: no
page scrolls sideways on a phone, and no table header breaks inside a word, in English or
Indonesian. One server for the whole module, so each test makes its own agents and tickets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, insert, update

from giliran.adapters.sql import tables as t
from tests.browser.conftest import (
    PHONE,
    SIGNED_OUT,
    Floor,
    Tab,
    no_horizontal_overflow,
    relay_socket,
    serving,
    show_view,
    sign_in,
)
from tests.browser.ticket_rows import row_action, row_priority, ticket_row
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    where = tmp_path_factory.mktemp("busy-floor")
    with serving(where) as started:
        yield started, f"sqlite:///{where / 'giliran.db'}"


@pytest.fixture(scope="module")
def server(served: tuple[ServerProcess, str]) -> ServerProcess:
    return served[0]


def name_customer(database_url: str, ticket_id: int, name: str, phone: str) -> None:
    """As a WhatsApp message would have: the ticket's contact, and the customer's name."""
    engine = create_engine(database_url)
    key = f"whatsapp:{phone}"
    with engine.begin() as conn:
        conn.execute(insert(t.customers).values(key=key, channel="whatsapp", address=phone,
                                                name=name))
        conn.execute(update(t.tickets).where(t.tickets.c.id == ticket_id).values(contact=key))
    engine.dispose()


def test_pictures_of_a_busy_floor(
    floor: Floor, open_tab: Any, served: tuple[ServerProcess, str], screenshots: Path,
) -> None:
    """What README shows: a floor of two queues, four agents and 36 more tickets than they
    can hold, some from named customers; on a laptop and on a phone."""
    floor.call("POST", "/queues", name="sales")
    people = [floor.agent(name, max_tickets=2, queues=["default", "sales"])
              for name in ("Rina Kusuma", "Joko Widodo", "Maya Sari", "Eko Prasetyo")]
    customers = ["Sri Wahyuni", "Bambang Hartono", "Lestari Dewi", "Andi Saputra"]
    kinds = [("Cannot log in after password reset", "high"), ("Refund for order", "normal"),
             ("Invoice shows the wrong address", "normal"), ("App crashes on upload", "urgent"),
             ("Change of delivery date", "low"), ("Bulk licence quote", "normal")]
    for i in range(44):
        title, priority = kinds[i % len(kinds)]
        made = floor.ticket(f"{title} {i + 1}", priority=priority,
                            queue="sales" if i % 3 == 0 else "default")
        if i % 4 == 0:
            name_customer(served[1], made["id"], customers[(i // 4) % 4], f"62812{i:08d}")
    for person in people[:2]:
        first = floor.call("GET", "/agent/my-queue", token=person["token"])["queue"][0]
        floor.call("POST", f"/tickets/{first['id']}/accept", token=person["token"])
    admin = open_tab("/admin/tickets", user=floor.admin, viewport={"width": 1366, "height": 1500})
    page = admin.page
    expect(page.locator("#tickets-count")).to_contain_text("1\u201325 of")
    expect(page.locator("#chart line.target")).to_have_count(1)
    page.screenshot(path=screenshots / "admin-busy.png", full_page=True)
    phone = open_tab("/admin/tickets", user=floor.admin, viewport=PHONE)
    expect(phone.page.locator("#tickets tbody tr").first).to_be_visible()
    assert no_horizontal_overflow(phone.page)
    phone.page.locator("#tickets-count").evaluate("(el) => el.scrollIntoView()")
    phone.page.screenshot(path=screenshots / "admin-phone.png")
    for name in ("admin-busy.png", "admin-phone.png"):
        assert (screenshots / name).stat().st_size > 10_000, name
    admin.assert_clean()
    phone.assert_clean()


def test_a_supervisor_finds_a_ticket_by_customer_and_acts_on_tickets_in_their_rows(
    floor: Floor, open_tab: Any, served: tuple[ServerProcess, str],
) -> None:
    floor.call("POST", "/queues", name="busy")
    sari = floor.agent("Sari Busy", max_tickets=1, queues=["busy"])
    budi = floor.agent("Budi Busy", max_tickets=1, queues=["busy"])
    siti = floor.ticket("Invoice address wrong", queue="busy")
    other = floor.ticket("Parcel late", queue="busy")
    printer = floor.ticket("Printer jams", queue="busy")
    refund = floor.ticket("Refund please", queue="busy", priority="low")
    name_customer(served[1], siti["id"], "Siti Rahayu", "6281234500001")
    holder, spare = (sari, budi) if siti["assigned_agent_id"] == sari["id"] else (budi, sari)
    assert other["assigned_agent_id"] == spare["id"]

    admin = open_tab("/admin/tickets", user=floor.admin, viewport=DESKTOP)
    page = admin.page
    frames = relay_socket(page)
    filters = page.locator("#tickets-filters")
    filters.get_by_label("Search").fill("siti")
    expect(page.locator("#tickets tbody")).to_have_count(1)
    found = ticket_row(page, siti["number"])
    expect(found).to_contain_text("Siti Rahayu")
    expect(found).to_contain_text("WhatsApp")
    expect(page.locator("#tickets-count")).to_have_text("1\u20131 of 1")

    row_action(page, siti["number"], f"Reassign {siti['number']}")
    dialog = page.locator("#reassign-dialog")
    dialog.get_by_label("To agent").select_option(label=f"{spare['name']} — Online — 1/1")
    dialog.get_by_label("force").check()
    dialog.get_by_role("button", name="Reassign").click()
    expect(dialog).to_be_hidden()
    expect(found).to_contain_text(spare["name"])
    assert floor.call("GET", f"/tickets/{siti['id']}")["assigned_agent_id"] == spare["id"]
    assert holder["id"] != spare["id"]

    filters.get_by_label("Search").fill("")
    filters.get_by_label("Queue", exact=True).select_option("busy")
    expect(page.locator("#tickets tbody")).to_have_count(4)
    low = ticket_row(page, refund["number"])
    row_priority(page, refund["number"], "Urgent")
    expect(low.locator(".badge.priority")).to_have_text("Urgent")
    assert floor.call("GET", f"/tickets/{refund['id']}")["priority"] == "urgent"
    expect(page.locator("#tickets tbody").first).to_contain_text(refund["number"])
    # A refused move is answered in its row, in the server's words. The row goes stale on
    # purpose: the list as the stream sends it after another supervisor's cancel, and the
    # page's own read after the move, are held back meanwhile.
    held: list[Any] = []
    frames.hold = lambda frame: '"type":"tickets"' in frame
    page.route("**/api/v1/tickets?*", lambda route: held.append(route))
    floor.call("POST", f"/tickets/{refund['id']}/cancel")
    while not frames.held:  # the list without the cancelled ticket came, and waits
        page.wait_for_timeout(20)
    row_action(page, refund["number"], f"Move {refund['number']} to the front of the queue")
    expect(low.locator("[data-field=error]")).to_have_text(
        "That is no longer possible: the ticket has moved on. (cannot move to the front "
        f"ticket {refund['number']}: it is cancelled)")
    page.unroute("**/api/v1/tickets?*")  # which lets the held reads go on
    frames.release()
    expect(ticket_row(page, refund["number"])).to_have_count(0)

    jammed = ticket_row(page, printer["number"])
    row_action(page, printer["number"], f"Cancel {printer['number']}")
    jammed.get_by_role("button", name=f"Confirm: cancel {printer['number']}").click()
    expect(ticket_row(page, printer["number"])).to_have_count(0)  # open tickets only
    assert floor.call("GET", f"/tickets/{printer['id']}")["status"] == "cancelled"
    admin.assert_clean("status of 409 (Conflict)")


def test_a_new_agent_is_created_on_the_page_with_its_token_shown_once(
    floor: Floor, open_tab: Any,
) -> None:
    admin = open_tab("/admin/people", user=floor.admin, viewport=DESKTOP)
    page = admin.page
    page.get_by_role("button", name="New agent").click()
    dialog = page.locator("#new-agent-dialog")
    dialog.get_by_label("Name").fill("Dewi Baru")
    dialog.get_by_label("Maximum tickets").fill("3")
    dialog.get_by_role("button", name="Create").click()
    token = dialog.get_by_label("The new agent's token")
    expect(token).to_have_value(re.compile(r"^\S{20,}$"))
    expect(dialog.locator("#new-agent-warning")).to_be_hidden()
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.locator("#new-agent-copied")).to_have_text("Copied.")
    shown = token.input_value()
    dialog.get_by_role("button", name="Done").click()
    expect(page.locator("#workload tbody tr", has_text="Dewi Baru")).to_be_visible()
    # The token is an API token (the dashboard is for people who sign in: see People).
    assert floor.call("GET", "/agent/me", token=shown)["name"] == "Dewi Baru"

    # A second "dewi baru" is created all the same, and the page says the name is taken.
    page.get_by_role("button", name="New agent").click()
    dialog.get_by_label("Name").fill("dewi baru")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("#new-agent-warning")).to_have_text(
        "Another active agent is already named dewi baru. This one was created all the same; "
        "a name of its own keeps them apart in the lists and the history.")
    dialog.get_by_role("button", name="Done").click()
    expect(page.locator("#workload tbody tr", has_text="Dewi Baru")).to_have_count(2)

    # A queue from the page, then switched off in its settings; Dewi is deactivated.
    show_view(page, "queues")
    page.get_by_role("button", name="New queue").click()
    page.locator("#new-queue-dialog").get_by_label("Name").fill("night")
    page.locator("#new-queue-dialog").get_by_role("button", name="Create").click()
    page.get_by_role("button", name="Settings of queue night").click()
    page.locator("#queue-dialog").get_by_label("Takes new tickets").uncheck()
    page.locator("#queue-dialog").get_by_role("button", name="Save").click()
    expect(page.locator('[data-queue="night"] [data-field="name"]')).to_contain_text("night (")
    assert floor.call("GET", "/queues/night")["active"] is False
    show_view(page, "people")
    page.get_by_role("button", name="Settings of Dewi Baru", exact=True).click()
    page.get_by_role("button", name="Deactivate this agent").click()
    page.get_by_role("button", name="Click again to deactivate Dewi Baru").click()
    expect(page.locator("#workload tbody tr", has_text="Dewi Baru")).to_have_count(1)
    admin.assert_clean()


NOTIFICATIONS = """
(() => {
  const shown = [];
  let asked = 0;
  let permission = "default";
  class Recorded {
    constructor(title, options) { shown.push(title); this.title = title; }
    addEventListener() {}
    close() {}
    static get permission() { return permission; }
    static async requestPermission() { asked += 1; permission = "granted"; return permission; }
  }
  window.Notification = Recorded;
  window.__notifications = () => ({ asked, shown });
})();
"""


def test_an_agent_works_in_priority_order_and_hears_of_new_tickets_on_the_desktop(
    floor: Floor, browser: Browser, server: ServerProcess,
) -> None:
    floor.call("POST", "/queues", name="own")
    ani = floor.agent("Ani Own", max_tickets=4, queues=["own"])
    for title, priority in (("own low", "low"), ("own normal", "normal"),
                            ("own urgent", "urgent")):
        floor.ticket(title, queue="own", priority=priority)
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["notifications"], origin=server.base_url)
    context.add_init_script(NOTIFICATIONS)
    try:
        tab = Tab(context.new_page())
        tab.page.on("pageerror", lambda exc: tab.errors.append(f"page error: {exc}"))
        page = tab.page
        page.goto(server.base_url + "/")
        sign_in(page, ani["email"])
        cards = page.locator("#queue-list > li")
        expect(cards).to_have_count(3)
        expect(cards.locator("[data-field=title]")).to_have_text(
            ["own urgent", "own normal", "own low"])
        expect(cards.locator(".position")).to_have_text(["#1", "#2", "#3"])
        expect(page).to_have_title("(3) My tickets · giliran")
        assert page.evaluate("window.__notifications().asked") == 0, "asked on load"

        # Complete is offered only after Accept; the API refuses it before, too.
        urgent = cards.filter(has_text="own urgent")
        expect(urgent.get_by_role("button", name="Mark complete")).to_be_hidden()
        refused = page.evaluate("""async (id) => {
            const me = await (await fetch("/api/v1/me")).json();
            const r = await fetch(`/api/v1/tickets/${id}/complete`, {method: "POST",
              headers: {"X-CSRF-Token": me.csrf_token}});
            return [r.status, (await r.json()).error.code];
        }""", int(urgent.get_attribute("data-id") or 0))
        assert refused == [409, "not_accepted"]
        urgent.get_by_role("button", name="Accept").click()
        expect(page).to_have_title("(2) My tickets · giliran")
        urgent.get_by_role("button", name="Mark complete").click()
        expect(cards).to_have_count(2)

        page.get_by_text("Sound and notifications").click()  # the inbox keeps them folded
        page.get_by_role("button", name="Turn on desktop notifications").click()
        expect(page.locator("#notify-state")).to_have_text("Desktop notifications are on.")
        assert page.evaluate("window.__notifications().asked") == 1
        new = floor.ticket("own fresh", queue="own", priority="high")
        expect(page.locator("#queue-list > li", has_text="own fresh")).to_be_visible()
        page.wait_for_function(
            "(number) => window.__notifications().shown.some((s) => s.includes(number))",
            arg=new["number"])
        expect(cards.first).to_contain_text("own fresh")  # high, above the normal one
        tab.assert_clean("status of 409 (Conflict)", SIGNED_OUT)
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/admin", "/admin/what-if"])
def test_no_page_scrolls_sideways_on_a_phone(
    floor: Floor, open_tab: Any, path: str, screenshots: Path,
) -> None:
    if path == "/":
        floor.call("POST", "/queues", name="phone")
        agent = floor.agent("Budi Santoso", max_tickets=5, queues=["phone"])
        for title in ("A rather long ticket title about an invoice that does not add up at all",
                      "Cannot log in", "Refund"):
            floor.ticket(title, category="billing-and-payments", queue="phone")
        user = agent
    else:
        user = floor.admin
    tab = open_tab(path, user=user, viewport=PHONE)
    page = tab.page
    if path == "/":
        expect(page.locator("#queue-list > li")).to_have_count(3)
        page.screenshot(path=screenshots / "agent-phone.png", full_page=True)
        within_the_screen(page, path)
    elif path == "/admin":  # the console: each of its views
        for view in ("floor", "tickets", "conversations", "people", "queues", "reports",
                     "audit"):
            show_view(page, view)
            if view == "tickets":
                expect(page.locator("#tickets tbody tr").first).to_be_visible()
            if view == "people":
                expect(page.locator("#workload tbody tr").first).to_be_visible()
            within_the_screen(page, f"{path}/{view}")
    else:
        within_the_screen(page, path)
    tab.assert_clean()


def within_the_screen(page: Page, where: str) -> None:
    assert no_horizontal_overflow(page), f"{where} scrolls sideways on a phone"
    # Every action of a ticket is within the screen's width (measured at once: rows redraw live).
    outside = page.evaluate("""(width) => [...document.querySelectorAll(
        "#tickets button, #tickets select, #queue-list button, #pickup-list button, main button")]
      .filter((el) => el.offsetParent !== null)
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.left < 0 || r.right > width;
      })
      .map((el) => el.outerHTML)""", PHONE["width"])
    assert outside == [], where


BROKEN_WORDS = """
() => {
  const broken = [];
  for (const th of document.querySelectorAll("table th")) {
    if (!th.offsetParent) continue;  // hidden
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}
"""


@pytest.mark.parametrize("locale", ["en-US", "id-ID"])
def test_no_table_header_breaks_inside_a_word(
    floor: Floor, open_tab: Any, locale: str,
) -> None:
    floor.agent(f"Header Agent {locale}", max_tickets=2)
    floor.ticket(f"Header ticket {locale}")
    tab = open_tab("/admin/people", user=floor.admin, viewport=DESKTOP, locale=locale)
    page = tab.page
    expect(page.locator("#workload tbody tr").first).to_be_visible()
    headers = 0
    for view in ("people", "floor", "tickets", "reports", "audit"):
        show_view(page, view)
        if view == "tickets":
            expect(page.locator("#tickets tbody tr").first).to_be_visible()
        headers += page.locator("table th:visible").count()
        assert page.evaluate(BROKEN_WORDS) == [], view
    assert headers >= 20
    # Today's service level on the queue's card, and the target line on the chart.
    within = {"en-US": "Answered within 5 min", "id-ID": "Dijawab dalam 5 menit"}[locale]
    expect(page.locator('[data-queue="default"] [data-field="sla-label"]')).to_have_text(within)
    expect(page.locator("#chart line.target")).to_have_attribute("data-minutes", "5")
    tab.assert_clean()

