"""The supervisor's What if page in Chromium against a real server: the desk's last week, as it
is and with one setting changed, side by side."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_a_supervisor_compares_a_setting_on_the_desks_own_week(
    floor: Floor, open_tab: Any,
) -> None:
    sari, budi = floor.agent("Sari", max_tickets=2), floor.agent("Budi", max_tickets=2)
    for i in range(6):
        ticket = floor.ticket(f"question {i}")
        holder = sari if ticket["assigned_agent_id"] == sari["id"] else budi
        floor.call("POST", f"/tickets/{ticket['id']}/accept", token=holder["token"])
        floor.call("POST", f"/tickets/{ticket['id']}/complete", token=holder["token"])
    tab = open_tab("/admin", user=floor.admin)
    page = tab.page
    page.get_by_role("link", name="What if", exact=True).click()
    expect(page.get_by_role("heading", name="What if: try a setting on your own traffic")
           ).to_be_visible()
    page.get_by_label("Setting", exact=True).select_option("strategy")
    page.locator("#whatif-choice").select_option("random")
    page.get_by_label("Replications").fill("1")
    page.get_by_role("button", name="Run the comparison").click()
    table = page.locator("#whatif-table")
    expect(table.locator("thead th")).to_have_text(
        ["Figure", "Recorded (what happened)", "As it is (simulated)",
         "With default: strategy random"], timeout=60_000)
    tickets = table.locator('td[data-figure="tickets"]')
    expect(tickets).to_have_text(["6", "6", "6"])  # counts are whole, not "6.00"
    expect(table.locator('td[data-figure="orphans"]')).to_have_text(["0", "0", "0"])
    expect(page.locator("#whatif-status")).to_contain_text("simulated tickets")
    page.set_viewport_size(PHONE)
    assert no_horizontal_overflow(page)
    tab.assert_clean()
