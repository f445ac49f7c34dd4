"""The agent's dashboard in a real browser: tickets arrive, are accepted and completed, and
the next one follows, all without a reload.

The module's tests share one server: each has a queue of its own, whose settings it chooses,
and agents who serve only that queue and go offline when it ends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SIGNED_OUT, Floor, serving, sign_in
from tests.browser.inbox_floor import agents_of_a_test
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("agent-dashboard")) as started:
        yield started


@pytest.fixture
def agents(floor: Floor) -> Iterator[Any]:
    with agents_of_a_test(floor) as make:
        yield make


def card(page: Page, title: str) -> Any:
    return page.locator("#queue-list > li", has_text=title)


def test_an_agent_works_through_its_queue_live(floor: Floor, agents: Any, open_tab: Any,
                                               screenshots: Path) -> None:
    floor.call("POST", "/queues", name="printers", accept_timeout_seconds=600)
    sari = agents("Sari", online=False, max_tickets=1, queues=["printers"])
    tab = open_tab("/")
    page = tab.page
    expect(page.get_by_role("heading", name="Agent login")).to_be_visible()
    sign_in(page, sari["email"])
    expect(page.get_by_role("heading", name="Sari")).to_be_visible()
    expect(page.locator("#presence-badge")).to_have_text("Offline")
    expect(page.locator("#slots-line")).to_contain_text("not online")
    expect(page.locator("#telegram")).to_be_hidden()  # this server has no Telegram bot

    page.get_by_role("button", name="Online", exact=True).click()
    expect(page.locator("#presence-badge")).to_have_text("Online")
    expect(page.locator("#slots-line")).to_have_text(
        "1 of 1 slot free — new tickets arrive automatically.")
    page.evaluate("window.__marker = 'no reload'")
    # Any other count takes the plural, by the same catalogue entries.
    said = page.evaluate("""async () => {
      const { t } = await import("/dashboard/static/common.js");
      return [t("agent.slots_free", { free: 0, max: 2 }), t("agent.paused", { count: 2 })];
    }""")
    assert said[0].startswith("0 of 2 slots free") and "missed 2 tickets in a row" in said[1]

    first = floor.ticket("Printer is on fire", category="hardware", queue="printers")
    arrived = card(page, "Printer is on fire")
    expect(arrived).to_contain_text(first["number"])
    expect(arrived).to_contain_text("hardware")
    expect(arrived.locator(".status")).to_have_text("Pending")
    expect(arrived.locator(".position")).to_have_text("#1")
    expect(arrived).to_contain_text(re.compile(r"assigned (now|\d+ seconds? ago)"))
    expect(arrived.locator(".countdown")).to_have_text(re.compile(r"Accept within (10:00|9:\d\d)"))
    expect(page.locator("#toasts")).to_contain_text(f"New ticket {first['number']}")
    expect(page.locator("#queue-title")).to_have_text("My ticket queue (1/1)")
    expect(page.locator("#slots-line")).to_contain_text("queue is full")

    # Sari is full: the next ticket waits in the queue, and her pick-up list does not offer
    # it (she could not take it), saying why.
    second = floor.ticket("Second in line", queue="printers")
    assert second["status"] == "queued"
    expect(page.locator("#pickup-full")).to_have_text(
        "You hold 1 of 1 ticket: complete one to pick up another.")
    expect(page.locator("#pickup-empty")).to_be_hidden()
    expect(page.locator("#pickup-list")).not_to_contain_text("Second in line")
    expect(card(page, "Second in line")).to_have_count(0)

    arrived.get_by_role("button", name="Conversation").click()
    dialog = page.locator("#conversation")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Printer is on fire")
    expect(dialog).to_contain_text("No messages yet.")
    # An API ticket has nobody to answer: its box takes notes for colleagues only.
    expect(dialog.get_by_label("Note", exact=True)).to_be_checked()
    expect(dialog.get_by_label("Note", exact=True)).to_be_disabled()
    expect(dialog.locator("[data-field=send]")).to_have_text("Add note")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    arrived.get_by_role("button", name="Accept").click()
    expect(arrived.locator(".status")).to_have_text("In progress")
    expect(arrived.get_by_role("button", name="Accept")).to_be_hidden()
    expect(arrived.locator(".countdown")).to_be_hidden()

    arrived.get_by_role("button", name="Mark complete").click()
    expect(card(page, "Printer is on fire")).to_have_count(0)
    following = card(page, "Second in line")
    expect(following.locator(".status")).to_have_text("Pending")
    expect(page.locator("#pickup-full")).to_be_visible()
    expect(page.locator("#queue-title")).to_have_text("My ticket queue (1/1)")
    assert page.evaluate("window.__marker") == "no reload", "the page was reloaded"

    page.get_by_role("button", name="Offline", exact=True).click()
    expect(page.locator("#presence-badge")).to_have_text("Offline")
    assert floor.call("GET", "/agent/me", token=sari["token"])["presence"] == "offline"
    tab.assert_clean(SIGNED_OUT)


def test_an_agent_paused_in_a_queue_sees_why_and_resumes_it(
    floor: Floor, agents: Any, open_tab: Any
) -> None:
    """A missed assignment (1 s to accept, a pause after one miss) takes the ticket back and
    pauses the agent in that queue only; the page says so live, with since when and why, and
    the agent lifts the pause itself. It stays online all along."""
    floor.call("POST", "/queues", name="misses", accept_timeout_seconds=1, away_after_misses=1)
    sari = agents("Sari", queues=["misses"])
    agents("Budi", queues=["misses"])
    tab = open_tab("/", user=sari)
    page = tab.page
    expect(page.locator("#presence-badge")).to_have_text("Online")
    page.evaluate("window.__marker = 'no reload'")
    ticket = floor.ticket("Nobody answers this one", queue="misses")  # rotation: Sari first
    expect(card(page, "Nobody answers this one")).to_be_visible()
    paused = page.locator("#paused-list li", has_text="Paused in misses")
    expect(paused).to_contain_text("you missed 1 ticket in a row there", timeout=15_000)
    expect(page.locator("#presence-badge")).to_have_text("Online")
    expect(card(page, "Nobody answers this one")).to_have_count(0)
    assert floor.call("GET", f"/tickets/{ticket['id']}")["assigned_agent_id"] != sari["id"]
    # Automatic assignment is the agent's own switch too.
    page.get_by_label("Receive tickets automatically").uncheck()
    expect(page.locator("#slots-line")).to_have_text(
        "Automatic assignment is off for you: pick up tickets below.")
    page.get_by_label("Receive tickets automatically").check()
    paused.get_by_role("button", name="Resume misses").click()
    expect(page.locator("#paused-list li")).to_have_count(0)
    me = floor.call("GET", "/agent/me", token=sari["token"])
    assert (me["paused"], me["auto_assign"]) == ([], True)
    assert page.evaluate("window.__marker") == "no reload"
    tab.assert_clean()


def test_the_agent_is_told_when_a_supervisor_takes_a_ticket_out_of_its_queue(
    floor: Floor, agents: Any, open_tab: Any
) -> None:
    floor.call("POST", "/queues", name="supervised")
    sari = agents("Sari", queues=["supervised"])
    first = floor.ticket("Refund", queue="supervised")
    second = floor.ticket("Invoice", queue="supervised")
    page = open_tab("/", user=sari, locale="id-ID").page
    expect(card(page, "Invoice")).to_be_visible()
    floor.call("POST", f"/tickets/{first['id']}/cancel")
    floor.call("POST", f"/tickets/{second['id']}/unassign")
    toasts = page.locator("#toasts")
    expect(toasts).to_contain_text(f"Tiket {first['number']} dibatalkan oleh supervisor.")
    expect(toasts).to_contain_text(
        f"Tiket {second['number']} dipindahkan dari antrean Anda oleh supervisor.")
    expect(page.locator("#queue-list > li")).to_have_count(0)
