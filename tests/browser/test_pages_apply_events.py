"""Both dashboards keep their store from the stream (issue 21, item 3): through a burst of 200
tickets no page reads the workload, the agents, the queues, the ticket list or an agent's desk
again (the server's own request counters say so), and at the end each page shows what the REST
API says; after a dropped socket a page reads once and is right. One server for the module."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Floor, Relay, serving
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
DESKTOP = {"width": 1366, "height": 900}
BURST = 200
# What a page would read again if events were doorbells.
READS = ("/workload", "/agents", "/queues", "/tickets", "/agent/me", "/agent/my-queue",
         "/agent/inbox",
         "/agent/available")
COUNTED = re.compile(r'^giliran_http_requests_total\{method="(\w+)",route="([^"]+)"\} (\S+)$')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("pages")) as started:
        yield started


def requests_served(floor: Floor) -> dict[str, float]:
    """GET requests per route, from the server's /metrics."""
    text = httpx.get(f"{floor.base_url}/metrics", timeout=10).text
    found = {}
    for line in text.splitlines():
        if (m := COUNTED.match(line)) and m[1] == "GET":
            found[m[2]] = float(m[3])
    return found


def reads(floor: Floor) -> dict[str, float]:
    served = requests_served(floor)
    return {route: served.get(route, 0.0) for route in READS}


def ids(page: Page, selector: str, attribute: str = "data-id") -> list[int]:
    return [int(x) for x in page.locator(selector).evaluate_all(
        f"(els) => els.map((el) => el.getAttribute('{attribute}'))")]


def watched(relay: Relay) -> str:
    """The query of the admin's ticket list, as its page asked the stream to keep it."""
    asked = [json.loads(m) for m in relay.sent if isinstance(m, str) and '"watch"' in m]
    return str(asked[-1]["tickets"])


def agent_shows_rest(floor: Floor, page: Page, token: str) -> None:
    queue = floor.call("GET", "/agent/my-queue", token=token)
    available = floor.call("GET", "/agent/available?limit=20", token=token)
    expect(page.locator("#queue-title")).to_contain_text(f"({queue['count']}/{queue['max']})")
    # The inbox's order (what needs the agent now) is its own: the same tickets.
    assert sorted(ids(page, "#queue-list > li")) == sorted(t["id"] for t in queue["queue"])
    assert ids(page, "#pickup-list > li") == [t["id"] for t in available["items"]]


def admin_shows_rest(floor: Floor, page: Page, listed: str) -> None:
    workload = floor.call("GET", "/workload")
    figure = page.locator("#floor-figure [data-field=pending]")
    expect(figure).to_have_text(str(workload["queue"]["pending"]))
    expect(page.locator("#floor-figure [data-field=free]")).to_have_text(
        str(workload["queue"]["free_slots"]))
    page_of = floor.call("GET", f"/tickets?{listed}")
    rows = [t["id"] for t in page_of["items"]]
    expect(page.locator("#tickets tbody").first).to_have_attribute(
        "data-ticket-id", str(rows[0]))
    assert ids(page, "#tickets tbody", "data-ticket-id") == rows


def test_dashboards_apply_a_burst_without_reading_and_recover_after_a_drop(
    floor: Floor, open_tab: Any,
) -> None:
    floor.call("PATCH", "/queues/default", pickup="on")
    busy = floor.agent("Burst Auto", max_tickets=150)
    picker = floor.agent("Burst Picker", max_tickets=5, auto_assign=False)
    relays = [Relay(), Relay(), Relay()]
    agent_tab = open_tab("/", user=busy, viewport=DESKTOP, relay=relays[0])
    picker_tab = open_tab("/", user=picker, viewport=DESKTOP, relay=relays[1])
    admin_tab = open_tab("/admin", user=floor.admin, viewport=DESKTOP, relay=relays[2])
    for tab in (agent_tab, picker_tab):
        expect(tab.page.locator("#queue-title")).to_contain_text("(0/")
    expect(admin_tab.page.locator("#floor-figure [data-field=pending]")).to_have_text("0")
    before = reads(floor)
    listed = watched(relays[2])

    with ThreadPoolExecutor(4) as pool:
        posted = list(pool.map(lambda i: floor.ticket(f"Burst {i}"), range(BURST)))
    assert len(posted) == BURST
    expect(agent_tab.page.locator("#queue-title")).to_contain_text("(150/150)")
    expect(admin_tab.page.locator("#floor-figure [data-field=pending]")).to_have_text(
        str(BURST - 150))
    expect(picker_tab.page.locator("#pickup-list > li")).to_have_count(20)
    assert reads(floor) == before, "a page read again during the burst"
    # (from here the test reads the REST API itself, which the counters count too)
    agent_shows_rest(floor, agent_tab.page, busy["token"])
    agent_shows_rest(floor, picker_tab.page, picker["token"])
    admin_shows_rest(floor, admin_tab.page, listed)

    checked = reads(floor)
    # A dropped socket: each page reconnects, reads once, and is right (events it missed
    # meanwhile included).
    for relay in relays:
        relay.drop()
    late = floor.ticket("After the drop")
    for tab, relay in zip((agent_tab, picker_tab, admin_tab), relays, strict=True):
        while relay.opened < 2:  # the page opens a new socket (after its back-off)
            tab.page.wait_for_timeout(20)
        expect(tab.page.locator("#live")).to_have_attribute("data-state", "live")
    expect(admin_tab.page.locator("#floor-figure [data-field=pending]")).to_have_text(
        str(BURST - 150 + 1))
    agent_shows_rest(floor, agent_tab.page, busy["token"])
    agent_shows_rest(floor, picker_tab.page, picker["token"])
    admin_shows_rest(floor, admin_tab.page, listed)
    after = reads(floor)
    again = {route: after[route] - checked[route] for route in READS}
    # Each page once (two agent pages), plus the test's own checks just above.
    assert again == {"/workload": 1 + 1, "/agents": 1, "/queues": 1, "/tickets": 1 + 1,
                     "/agent/me": 2, "/agent/my-queue": 2 + 2, "/agent/inbox": 2,
                     "/agent/available": 2 + 2}, again
    assert late["status"] == "queued"
    for tab in (agent_tab, picker_tab, admin_tab):
        tab.assert_clean()
