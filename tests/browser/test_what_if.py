"""The supervisor's What if page in Chromium against a real server: the desk's last week, as it
is and with one setting changed, side by side."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
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


def _window(h: int) -> tuple[str, str]:
    """Open around hour `h` (UTC): an hour before to the end of the hour after."""
    return f"{max(h - 1, 0):02d}:00", f"{min(h + 1, 23):02d}:59"


def test_a_supervisor_compares_two_opening_times_in_both_languages(
    floor: Floor, open_tab: Any, screenshots: Path,
) -> None:
    """Open twelve hours away (closed all along the desk's traffic) against open around now:
    as it is nobody answers; opened at the traffic's hour, every ticket is taken up within
    the first-response target. Then the same page in Indonesian, asking for a 2-minute
    target."""
    hour = datetime.now(UTC).hour
    sari = floor.agent("Sari", max_tickets=3)
    for i in range(3):
        ticket = floor.ticket(f"question {i}")
        floor.call("POST", f"/tickets/{ticket['id']}/accept", token=sari["token"])
        floor.call("POST", f"/tickets/{ticket['id']}/complete", token=sari["token"])
    tab = open_tab("/admin/what-if", user=floor.admin, viewport={"width": 1440, "height": 900})
    page = tab.page
    page.get_by_label("Change", exact=True).select_option("hours")
    page.get_by_label("Time zone").fill("UTC")
    page.get_by_label("Open on").select_option("7")
    far = f"{(hour + 12) % 24:02d}"
    page.get_by_label("Open now: opens").fill(f"{far}:00")
    page.get_by_label("Open now: closes").fill(f"{far}:01")
    opens, closes = _window(hour)
    page.get_by_label("Open instead: opens").fill(opens)
    page.get_by_label("Open instead: closes").fill(closes)
    page.get_by_label("First-response target (minutes)").fill("5")
    page.get_by_label("Replications").fill("1")
    page.get_by_role("button", name="Run the comparison").click()
    table = page.locator("#whatif-table")
    expect(table.locator("thead th")).to_have_text(
        ["Figure", "Recorded (what happened)", "As it is (simulated)",
         f"With default open {opens}-{closes}"], timeout=60_000)
    expect(table.locator('td[data-figure="tickets"]')).to_have_text(["3", "3", "3"])
    waits = table.locator('td[data-figure="wait_mean"]')
    expect(waits.nth(1)).to_have_text("—")  # closed all along: nobody was answered
    expect(waits.nth(2)).not_to_have_text("—")
    met = table.locator('td[data-figure="sla_met"]')
    expect(met.nth(2)).to_have_text("100 %")
    expect(table.get_by_role("rowheader", name="First response within the target")
           ).to_be_visible()
    page.screenshot(path=screenshots / "what-if-hours-1440-en.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "what-if-hours-390-en.png", full_page=True)
    tab.assert_clean()

    indonesian = open_tab("/admin/what-if", user=floor.admin, locale="id-ID", viewport=PHONE)
    page = indonesian.page
    page.get_by_label("Perubahan", exact=True).select_option("sla")
    page.get_by_label("Target respons pertama (menit)").fill("5")
    page.get_by_label("Target baru (menit)").fill("2")
    page.get_by_label("dihitung hanya pada jam buka").uncheck()
    page.get_by_label("Replikasi").fill("1")
    page.get_by_role("button", name="Jalankan perbandingan").click()
    table = page.locator("#whatif-table")
    expect(table.locator("thead th")).to_have_text(
        ["Angka", "Tercatat (yang terjadi)", "Seperti sekarang (simulasi)",
         "Dengan target 2 menit"], timeout=60_000)
    expect(table.get_by_role("rowheader", name="Respons pertama dalam target")).to_be_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "what-if-sla-390-id.png", full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=screenshots / "what-if-sla-1440-id.png", full_page=True)
    indonesian.assert_clean()
