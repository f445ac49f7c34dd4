"""The dashboards in Indonesian, the language switcher, and the pictures the README shows
(written to docs/screenshots only with GILIRAN_SCREENSHOTS=1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SIGNED_OUT, Floor

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_an_indonesian_browser_gets_indonesian_and_may_switch(
    floor: Floor, open_tab: Any, screenshots: Path
) -> None:
    floor.call("PATCH", "/queues/default", accept_timeout_seconds=300)
    dewi = floor.agent("Dewi", max_tickets=5)
    floor.ticket("Tidak bisa masuk", category="akun")
    floor.ticket("Pengembalian dana", category="pembayaran", priority="high")
    tab = open_tab("/", locale="id-ID")
    page = tab.page
    expect(page.get_by_role("heading", name="Masuk sebagai agen")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(dewi["email"])
    page.get_by_label("Kata sandi", exact=True).fill(dewi["password"])
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("#queue-title")).to_have_text("Antrean tiket saya (2/5)")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    first = page.locator("#queue-list > li", has_text="Tidak bisa masuk")
    expect(first.locator(".status")).to_have_text("Tertunda")
    expect(first).to_contain_text(re.compile(r"ditugaskan \d+ detik yang lalu"))
    expect(first.locator(".countdown")).to_have_text(re.compile(r"Terima dalam [45]:\d\d"))
    expect(page.locator("#slots-line")).to_have_text(
        "3 dari 5 slot kosong — tiket baru datang otomatis.")
    first.get_by_role("button", name="Terima").click()
    expect(first.locator(".status")).to_have_text("Sedang dikerjakan")
    page.screenshot(path=screenshots / "agent-id.png")

    page.locator("#lang-select").select_option("en")  # the header's choice
    expect(page.locator("#queue-title")).to_have_text("My ticket queue (2/5)")
    page.reload()  # the choice is remembered over the browser's Accept-Language
    expect(page.locator("#queue-title")).to_have_text("My ticket queue (2/5)")
    expect(first.locator(".status")).to_have_text("In progress")
    tab.assert_clean(SIGNED_OUT)


def test_pictures_of_both_dashboards(floor: Floor, open_tab: Any, screenshots: Path) -> None:
    floor.call("PATCH", "/queues/default", accept_timeout_seconds=300)
    floor.call("POST", "/queues", name="vip")
    sari = floor.agent("Sari Wulandari", max_tickets=4, rotation_order=1)
    floor.agent("Budi Santoso", max_tickets=3, rotation_order=2, queues=["default", "vip"])
    floor.agent("Dewi Lestari", max_tickets=2, rotation_order=3)
    floor.agent("Agus Pratama", max_tickets=3, online=False)
    titles = [("Cannot log in after password reset", "account", "high"),
              ("Refund for order #1182", "billing", "normal"),
              ("Invoice shows the wrong address", "billing", "normal"),
              ("App crashes when uploading a photo", "mobile", "urgent"),
              ("Change of delivery date", "orders", "low"),
              ("Two-factor codes never arrive", "account", "high"),
              ("Bulk licence quote", "sales", "normal"),
              ("Export to CSV is empty", "reports", "normal"),
              ("Damaged parcel", "orders", "high"),
              ("Cancel my subscription", "billing", "normal"),
              ("Question about the API limits", "developers", "low")]
    for title, category, priority in titles:
        floor.ticket(title, category=category, priority=priority)
    floor.ticket("Enterprise contract renewal", queue="vip", priority="urgent")
    mine = floor.call("GET", "/agent/my-queue", token=sari["token"])["queue"]
    floor.call("POST", f"/tickets/{mine[0]['id']}/accept", token=sari["token"])

    agent = open_tab("/", user=sari)
    expect(agent.page.locator("#queue-list > li")).to_have_count(4)
    # What needs the agent first: the pending ones, then the one in progress.
    expect(agent.page.locator("#queue-list .status").last).to_have_text("In progress")
    agent.page.screenshot(path=screenshots / "agent.png")

    admin = open_tab("/admin/people", user=floor.admin, viewport={"width": 1280, "height": 1500})
    expect(admin.page.locator("#workload tbody tr")).to_have_count(4)
    expect(admin.page.locator("#workload .badge.full")).to_have_count(3)
    expect(admin.page.locator("#chart svg polyline")).to_have_count(1)
    expect(admin.page.locator("#history tbody tr")).not_to_have_count(0)
    admin.page.screenshot(path=screenshots / "admin.png", full_page=True)
    for name in ("agent.png", "admin.png"):
        assert (screenshots / name).stat().st_size > 10_000, name
    agent.assert_clean()
    admin.assert_clean()
