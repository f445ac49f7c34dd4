"""A supervisor turns a queue into a lead desk from the dashboard, in a real browser: applies the
lead preset, sets the rotation order and who is next in turn; leads then follow that turn, the
ticket's history says why, and the audit shows each change."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Floor, show_view
from tests.browser.ticket_rows import panel, row_action

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_a_supervisor_sets_up_a_lead_rotation_desk_from_the_dashboard(
    floor: Floor, open_tab: Any
) -> None:
    floor.call("POST", "/queues", name="sales")
    ani, budi, citra = (floor.agent(name, rotation_order=10 * i, queues=["sales"])
                        for i, name in enumerate(("Ani", "Budi", "Citra"), start=1))
    tab = open_tab("/admin/queues", user=floor.admin)
    page = tab.page
    sales = page.locator('[data-queue="sales"]')
    expect(sales.locator('[data-field="strategy"]')).to_have_text("Round robin")

    # The lead preset, from the queue's settings.
    page.get_by_role("button", name="Settings of queue sales").click()
    dialog = page.locator("#queue-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Preset").select_option(label="Lead rotation")
    dialog.get_by_role("button", name="Apply preset").click()
    expect(dialog.get_by_label("Strategy")).to_have_value("rotation")
    expect(dialog.get_by_label("Limit per agent")).to_have_value("1")
    expect(dialog.get_by_label("Accept within (seconds)")).to_have_value("300")
    expect(dialog.locator("#queue-rollout-figures")).to_contain_text(
        "Last 24 hours: 0 assigned automatically")
    dialog.get_by_role("button", name="Cancel").click()
    expect(sales.locator('[data-field="strategy"]')).to_have_text("Strict rotation")
    queue = floor.call("GET", "/queues/sales")
    assert (queue["strategy"], queue["max_per_agent"], queue["slot_freed_on"],
            queue["accept_timeout_seconds"], queue["claim"]) == (
        "rotation", 1, "accept", 300, "turn")

    # The order: Citra up to the top (Citra, Ani, Budi).
    page.get_by_role("button", name="Move Citra up").click()
    expect(page.locator('[data-rotation="sales"] li').nth(1)).to_contain_text("Citra")
    page.get_by_role("button", name="Move Citra up").click()
    expect(page.locator('[data-rotation="sales"] li').first).to_contain_text("Citra")
    order = {a["name"]: a["rotation_order"] for a in floor.call("GET", "/agents")}
    assert order["Citra"] < order["Ani"] < order["Budi"]

    # Who is next: Budi.
    pointer = page.get_by_label("Next in turn in queue sales")
    expect(pointer).to_have_value(str(citra["id"]))  # nobody chosen yet: the first member
    pointer.select_option(label="Budi")
    expect(page.locator("#toasts")).to_contain_text("Budi is next in turn in sales.")
    nexts = {q["name"]: q["next_agent_id"] for q in floor.call("GET", "/workload")["queues"]}
    assert nexts["sales"] == budi["id"]

    # Leads follow: Budi, then Citra (after Budi, round to the top), then Ani.
    leads = [floor.ticket(f"lead {n}", queue="sales") for n in (1, 2, 3)]
    assert [t["assigned_agent_id"] for t in leads] == [budi["id"], citra["id"], ani["id"]]
    expect(pointer).to_have_value(str(budi["id"]))
    # Budi's turn was the supervisor's doing, not the end of anyone else's.
    # Each ticket's page says it, beside the list.
    show_view(page, "tickets")
    row_action(page, leads[0]["number"], f"History of {leads[0]['number']}")
    assigned = panel(page).locator("[data-field=history] li", has_text="Assigned")
    expect(assigned).to_contain_text("Rotation: next in turn, set by a supervisor")
    row_action(page, leads[1]["number"], f"History of {leads[1]['number']}")
    expect(assigned).to_contain_text("Rotation: next in turn after Budi")
    page.keyboard.press("Escape")

    # The audit has each change, with who made it.
    show_view(page, "audit")
    page.locator("#audit-filters").get_by_label("Kind").select_option(label="Queues")
    page.locator("#audit-filters").get_by_role("button", name="Search").click()
    rows = page.locator("#audit tbody tr")
    expect(rows.filter(has_text="pointer")).to_contain_text("next_agent_id: Citra → Budi")
    expect(rows.filter(has_text="preset lead_rotation")).to_contain_text(
        "strategy: round_robin → rotation")
    expect(rows.first).to_contain_text(f"{floor.admin['name']} (session)")
    tab.assert_clean()
