"""The console's Mailboxes (email's section of the Queues view) in Chromium: an admin sees the
desk's mailboxes, adds one, changes one without seeing its password (only that it is set) and
deactivates one; in English and Indonesian, at 1440 and 390 px, with screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow, serving, show_view
from tests.support.server import ServerProcess

DESK = {"width": 1440, "height": 900}
SECRET = "imap-Secret-4417"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("mailboxes")) as started:
        seeded(Floor(started.base_url))
        yield started


def seeded(floor: Floor) -> None:
    """A desk with a few queues, tickets and mailboxes of each kind."""
    for name in ("billing", "sales", "returns"):
        floor.call("POST", "/queues", name=name)
    for i in range(12):
        floor.ticket(f"Order {i} never arrived", queue=("billing", "sales", "default")[i % 3])
    floor.call("POST", "/mailboxes", address="billing@desk.example", queue="billing",
               name="Billing", imap_host="imap.desk.example", imap_user="billing",
               imap_password=SECRET, smtp_url="smtps://billing:pw@mail.desk.example:465")
    floor.call("POST", "/mailboxes", address="sales@desk.example", queue="sales")
    old = floor.call("POST", "/mailboxes", address="old-support@desk.example",
                     queue="default", name="Old support")
    floor.call("DELETE", f"/mailboxes/{old['id']}")


def test_an_admin_adds_changes_and_deactivates_mailboxes(
        open_tab: object, server: ServerProcess, screenshots: Path) -> None:
    floor = Floor(server.base_url)
    tab = open_tab("/admin/queues", user=floor.admin, viewport=DESK)  # type: ignore[operator]
    page = tab.page
    section = page.locator("#mailboxes-section")
    expect(section).to_be_visible()
    rows = page.locator("#mailboxes tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="billing@desk.example")).to_contain_text("password set")
    expect(rows.filter(has_text="old-support@desk.example")).to_contain_text("Deactivated")
    assert SECRET not in page.content()

    page.locator("#mailbox-add").click()
    form = page.locator("#mailbox-form")
    form.locator("#mailbox-address").fill("Returns@Desk.Example")
    form.locator("#mailbox-queue").select_option("returns")
    form.locator("#mailbox-block-list").fill("noreply@shop.example\n@spam.example")
    form.locator("button[type=submit]").click()
    expect(rows.filter(has_text="returns@desk.example")).to_contain_text("Listener or HTTP")

    rows.filter(has_text="billing@desk.example").get_by_role("button", name="Edit").click()
    password = form.locator("#mailbox-imap-password")
    expect(password).to_have_value("")
    expect(password).to_have_attribute("placeholder", "Set: leave empty to keep")
    form.locator("#mailbox-poll").fill("30")
    form.get_by_label("Forget the saved SMTP URL").check()
    expect(form.locator("#mailbox-smtp-url")).to_be_disabled()
    page.locator("#mailbox-dialog").screenshot(path=str(screenshots / "mailbox-edit-1440-en.png"))
    form.locator("button[type=submit]").click()
    expect(page.locator("#mailbox-dialog")).not_to_be_visible()
    expect(rows.filter(has_text="billing@desk.example")).to_contain_text("The desk's SMTP server")
    page.locator("#mailbox-add").scroll_into_view_if_needed()
    section.screenshot(path=str(screenshots / "mailboxes-1440-en.png"))

    rows.filter(has_text="sales@desk.example").get_by_role(
        "button", name="Deactivate sales@desk.example").click()
    page.locator("#mailbox-confirm-form button[type=submit]").click()
    expect(rows.filter(has_text="sales@desk.example")).to_contain_text("Deactivated")
    got = floor.call("GET", "/mailboxes")["items"]
    assert [(m["address"], m["active"], m["poll_seconds"]) for m in got] == [
        ("billing@desk.example", True, 30), ("old-support@desk.example", False, 60),
        ("returns@desk.example", True, 60), ("sales@desk.example", False, 60)]
    tab.assert_clean()


def test_mailboxes_in_indonesian_on_a_phone(
        open_tab: object, server: ServerProcess, screenshots: Path) -> None:
    floor = Floor(server.base_url)
    tab = open_tab("/admin/queues", user=floor.admin, viewport=PHONE,  # type: ignore[operator]
                   locale="id-ID")
    page = tab.page
    expect(page.locator("#mailboxes-title")).to_have_text("Kotak surat")
    expect(page.locator("#mailboxes tbody tr").first).to_be_visible()
    page.locator("#mailboxes-section").scroll_into_view_if_needed()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / "mailboxes-390-id.png"), full_page=True)
    page.locator("#mailbox-add").click()
    expect(page.locator("#mailbox-dialog")).to_be_visible()
    page.screenshot(path=str(screenshots / "mailboxes-dialog-390-id.png"))
    page.locator("#mailbox-dialog [data-close]").click()
    show_view(page, "floor")
    expect(page.locator("#mailboxes-section")).not_to_be_visible()
    tab.assert_clean()
