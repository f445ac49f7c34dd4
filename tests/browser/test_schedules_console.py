"""The console's Opening hours (the Queues view) in Chromium: an admin adds a schedule with a
split shift, an exception and Indonesia's holidays, changes it, gives it to a queue in the
queue's settings (with a timer that runs while closed), cannot delete it while the queue keeps
it; in English at 1440 px and Indonesian at 390 px, with screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow, serving
from tests.support.server import ServerProcess

DESK = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("schedules")) as started:
        Floor(started.base_url).call("POST", "/queues", name="sales")
        yield started


def test_an_admin_writes_a_schedule_and_a_queue_keeps_it(
        open_tab: object, server: ServerProcess, screenshots: Path) -> None:
    floor = Floor(server.base_url)
    tab = open_tab("/admin/queues", user=floor.admin, viewport=DESK)  # type: ignore[operator]
    page = tab.page
    expect(page.locator("#schedules-empty")).to_be_visible()
    page.locator("#schedule-add").click()
    form = page.locator("#schedule-form")
    form.get_by_label("Name").fill("jakarta")
    expect(form.get_by_label("Time zone")).to_have_value("Asia/Jakarta")
    form.get_by_label("Monday").fill("08:00-12:00, 13:00-17:00")
    form.get_by_label("Friday").fill("8:00-11")  # refused on the page, nothing sent
    form.locator("button[type=submit]").click()
    expect(page.locator("#schedule-error")).to_contain_text('Friday: write hours as 08:00-12:00')
    form.get_by_label("Friday").fill("08:00-11:30")
    form.get_by_label("Exceptions").fill("2026-12-31 08:00-12:00 year end\n2027-01-02")
    page.locator("#schedule-dialog").screenshot(path=str(screenshots / "schedule-new-1440-en.png"))
    form.locator("button[type=submit]").click()
    expect(page.locator("#schedule-dialog")).not_to_be_visible()
    row = page.locator("#schedules tbody tr", has_text="jakarta")
    expect(row).to_contain_text(
        "Monday 08:00\u201312:00, 13:00\u201317:00 · Friday 08:00\u201311:30")
    expect(row).to_contain_text(re.compile(r"(Open|Closed) until"))

    row.get_by_role("button", name="Edit schedule jakarta").click()
    expect(form.get_by_label("Holidays")).to_have_value(re.compile("Independence Day"))
    expect(form.get_by_label("Exceptions")).to_have_value(
        "2026-12-31 08:00\u201312:00 year end\n2027-01-02")
    form.get_by_label("Tuesday").fill("09:00-15:00")
    form.locator("button[type=submit]").click()
    expect(row).to_contain_text("Tuesday 09:00\u201315:00")

    figure = page.locator('#queue-figures [data-queue="sales"]')
    figure.locator('[data-action="queue-settings"]').click()
    dialog = page.locator("#queue-dialog")
    dialog.get_by_label("Schedule").select_option("jakarta")
    dialog.get_by_label("Aging").check()
    dialog.get_by_label("Reply timeout (s)").fill("600")
    dialog.screenshot(path=str(screenshots / "queue-hours-1440-en.png"))
    dialog.locator("button[type=submit]").click()
    expect(dialog).not_to_be_visible()
    sales = floor.call("GET", "/queues/sales")
    assert (sales["schedule"], sales["calendar_clocks"], sales["reply_timeout_seconds"]) == (
        "jakarta", ["aging"], 600)

    page.reload()
    expect(row).to_contain_text("sales")
    row.get_by_role("button", name="Delete schedule jakarta").click()
    page.locator("#schedule-confirm-form button[type=submit]").click()
    expect(page.locator("#schedule-confirm-error")).to_have_text(
        "Queues sales keep jakarta: give them another schedule first.")
    page.locator("#schedule-confirm-dialog [data-close]").click()
    page.locator("#schedules-section").screenshot(path=str(screenshots / "schedules-1440-en.png"))
    week = floor.call("GET", "/schedules/jakarta")
    assert week["hours"] == {"mon": [["08:00", "12:00"], ["13:00", "17:00"]],
                             "tue": [["09:00", "15:00"]], "fri": [["08:00", "11:30"]]}
    assert week["exceptions"][1] == {"date": "2027-01-02", "hours": [], "note": ""}
    tab.assert_clean("409")


def test_schedules_in_indonesian_on_a_phone(
        open_tab: object, server: ServerProcess, screenshots: Path) -> None:
    floor = Floor(server.base_url)
    tab = open_tab("/admin/queues", user=floor.admin, viewport=PHONE,  # type: ignore[operator]
                   locale="id-ID")
    page = tab.page
    expect(page.locator("#schedules-title")).to_have_text("Jam buka")
    page.locator("#schedule-add").click()
    form = page.locator("#schedule-form")
    form.get_by_label("Nama").fill("libur-panjang")
    form.get_by_label("Sabtu").fill("09:00-12:00")
    form.get_by_label("Negara").fill("")
    page.screenshot(path=str(screenshots / "schedule-new-390-id.png"))
    form.locator("button[type=submit]").click()
    row = page.locator("#schedules tbody tr", has_text="libur-panjang")
    expect(row).to_contain_text("Sabtu 09:00\u201312:00")
    expect(row).to_contain_text(re.compile(r"(Buka|Tutup) sampai"))
    page.locator("#schedules-section").scroll_into_view_if_needed()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / "schedules-390-id.png"), full_page=True)
    row.get_by_role("button", name="Hapus jadwal libur-panjang").click()
    page.locator("#schedule-confirm-form button[type=submit]").click()
    expect(row).to_have_count(0)
    assert [s["name"] for s in floor.call("GET", "/schedules")["items"]] != ["libur-panjang"]
    tab.assert_clean()
