"""The supervisor's dashboard in a real browser: the workload moves live, a ticket is
reassigned through the dialog (with the API's refusals shown readably), and the agents' own
pages follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Floor, show_view
from tests.browser.ticket_rows import row_action

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_a_supervisor_watches_the_workload_and_reassigns_a_ticket(
    floor: Floor, open_tab: Any
) -> None:
    floor.call("POST", "/queues", name="vip")
    sari = floor.agent("Sari", max_tickets=2, rotation_order=1)
    budi = floor.agent("Budi", max_tickets=2, rotation_order=2)
    floor.agent("Vera", max_tickets=2, queues=["vip"])
    admin = open_tab("/admin/people", user=floor.admin)
    page = admin.page
    row = {name: page.locator("#workload tbody tr", has_text=name) for name in ("Sari", "Budi")}
    expect(row["Sari"].locator('[data-field="count"]')).to_have_text("0/2")
    expect(row["Budi"].locator('[data-field="count"]')).to_have_text("0/2")
    tabs = {"Sari": open_tab("/", user=sari), "Budi": open_tab("/", user=budi)}

    ticket = floor.ticket("Wrong invoice address")
    holder, other = ("Sari", "Budi") if ticket["assigned_agent_id"] == sari["id"] else ("Budi",
                                                                                        "Sari")
    expect(row[holder].locator('[data-field="count"]')).to_have_text("1/2")
    expect(row[holder]).to_contain_text("50%")
    expect(row[other].locator('[data-field="count"]')).to_have_text("0/2")
    expect(page.locator('#floor-queues tfoot td').nth(3)).to_have_text("5")  # 6 slots, 1 used
    held = tabs[holder].page.locator("#queue-list > li", has_text="Wrong invoice address")
    expect(held).to_be_visible()

    show_view(page, "tickets")
    row_action(page, ticket["number"], f"Reassign {ticket['number']}")
    dialog = page.locator("#reassign-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("To agent").select_option(label="Vera — Online — 0/2")
    dialog.get_by_role("button", name="Reassign").click()
    expect(dialog.locator("#reassign-error")).to_have_text(
        "This agent does not serve the ticket's queue. Tick “force” to assign it anyway.")
    expect(dialog).to_be_visible()

    dialog.get_by_label("To agent").select_option(label=f"{other} — Online — 0/2")
    dialog.get_by_role("button", name="Reassign").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#toasts")).to_contain_text(f"{ticket['number']} now goes to {other}")
    expect(held).to_have_count(0)
    moved = tabs[other].page.locator("#queue-list > li", has_text="Wrong invoice address")
    expect(moved.locator(".status")).to_have_text("Pending")
    expect(page.locator("#tickets tbody tr", has_text=ticket["number"])).to_contain_text(other)
    show_view(page, "people")
    expect(row[holder].locator('[data-field="count"]')).to_have_text("0/2")
    expect(row[other].locator('[data-field="count"]')).to_have_text("1/2")

    # The history says who moved it, and why: by its number, newest first.
    show_view(page, "audit")
    page.locator("#history-filters").get_by_label("Ticket number").fill(ticket["number"])
    page.locator("#history-filters").get_by_role("button", name="Search").click()
    rows = page.locator("#history tbody tr")
    expect(rows.first).to_contain_text(f"— → {other}")  # the latest move
    expect(rows.last).to_contain_text("Created")
    expect(rows.first).to_contain_text(ticket["number"])
    back = rows.filter(has_text="Back to the queue")
    expect(back).to_contain_text(f"{holder} → —")
    expect(back).to_contain_text("reassigned")
    expect(rows.filter(has_text=f"— → {other}").filter(has_text="reassigned")).to_contain_text(
        f"{floor.admin['name']} (session)")
    expect(page.locator("#history-range")).to_have_text("1\u20134 of 4")  # an en dash
    admin.assert_clean("status of 409 (Conflict)")  # the refusal to reassign to Vera
    for tab in tabs.values():
        tab.assert_clean()


def test_supervisor_settings_are_saved_through_the_dialogs(floor: Floor, open_tab: Any) -> None:
    floor.agent("Sari", max_tickets=2, rotation_order=1)
    floor.agent("Budi", max_tickets=2, rotation_order=2)
    floor.ticket("one")
    floor.ticket("two")
    floor.ticket("three")
    tab = open_tab("/admin/people", user=floor.admin)
    page = tab.page
    budi = page.locator("#workload tbody tr", has_text="Budi")

    budi.get_by_role("button", name="Settings of Budi").click()
    dialog = page.locator("#agent-dialog")
    dialog.get_by_label("Maximum tickets").fill("3")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(budi.locator('[data-field="count"]')).to_contain_text("/3")
    assert {a["name"]: a["max_tickets"] for a in floor.call("GET", "/agents")}["Budi"] == 3

    show_view(page, "queues")
    page.get_by_role("button", name="Move Budi up").click()
    expect(page.locator("#rotation li").first).to_contain_text("Budi")
    order = {a["name"]: a["rotation_order"] for a in floor.call("GET", "/agents")}
    assert order["Budi"] < order["Sari"]

    page.get_by_role("button", name="Settings of queue default").click()
    dialog = page.locator("#queue-dialog")
    dialog.get_by_label("Strategy").select_option(label="Least loaded")
    dialog.get_by_label("Accept within (seconds)").fill("45")
    dialog.get_by_label("Assigned automatically (%)").fill("50")
    dialog.get_by_label("A ticket on hold frees its agent's slot").check()
    dialog.get_by_label("Longest hold (minutes)").fill("120")
    dialog.get_by_label("When a hold runs out").select_option(label="close it")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator('[data-queue="default"] [data-field="strategy"]')).to_have_text(
        "Least loaded")
    queue = floor.call("GET", "/queues/default")
    assert (queue["strategy"], queue["accept_timeout_seconds"],
            queue["auto_assign_percent"]) == ("least_loaded", 45, 50)
    assert (queue["hold_frees_slot"], queue["hold_minutes"], queue["hold_expiry"]) == (
        True, 120, "close")

    show_view(page, "audit")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    saved = download.value
    assert saved.suggested_filename.startswith("giliran-history-")
    lines = Path(saved.path()).read_text().splitlines()
    assert lines[0].startswith("id,at,ticket_id,ticket_number,event")
    assert len(lines) == 1 + 6  # three created, three assigned
    tab.assert_clean()
