"""Customers as one person across channels, in a real browser (issue 25 item 7): a supervisor
links a customer's second address from the console's ticket panel, "Earlier tickets" then
lists the person's tickets on both addresses with their channel, and the agent holding the
newer ticket sees them in the inbox (Indonesian, on a phone) without a form to link. Two
WhatsApp numbers stand for the channels here (email links are tested through the API in
tests/integration/test_person_links.py). One server for the module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow
from tests.browser.inbox_floor import PHONE_INDONESIAN, WIDE, Customer, item, module_floor
from tests.browser.inbox_floor import ticket_of as held_ticket
from tests.browser.ticket_rows import panel
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

graph, server, agents = module_floor("person-links")


def test_a_supervisor_links_an_address_and_both_readers_see_the_persons_tickets(
    floor: Floor, agents: Any, open_tab: Any, server: ServerProcess, screenshots: Path,
) -> None:
    sari = agents("Sari Dua Nomor")
    home, work = Customer(server, "Rina Rumah"), Customer(server, "Rina Kantor")
    home.writes("Pesanan pertama belum datang")
    first = held_ticket(floor, sari, "Pesanan pertama")
    floor.call("POST", f"/tickets/{first['id']}/accept", token=sari["token"])
    floor.call("POST", f"/tickets/{first['id']}/complete")
    work.writes("Mau tanya faktur pesanan kedua")
    second = held_ticket(floor, sari, "Mau tanya faktur")

    tab = open_tab(f"/admin/tickets?ticket={second['id']}", user=floor.admin, viewport=WIDE)
    side = panel(tab.page)
    customer = side.locator(".customer")
    expect(customer).to_contain_text("No earlier tickets.")
    form = customer.locator("form[data-field=link-form]")
    form.get_by_label("Link another address of this customer").fill("whatsapp:nobody")
    form.get_by_role("button", name="Link").click()
    expect(form.get_by_role("alert")).to_have_text(
        "No customer has written from that address yet: it can be linked once they have.")
    form.get_by_label("Link another address of this customer").fill(f"whatsapp:{home.phone}")
    form.get_by_role("button", name="Link").click()
    earlier = customer.locator("[data-field=earlier] li")
    expect(earlier).to_have_count(1)
    expect(earlier).to_contain_text(f"WhatsApp {first['number']} · Pesanan pertama")
    expect(customer.locator("[data-field=linked] li")).to_contain_text(f"+{home.phone}")
    expect(form.get_by_role("alert")).to_be_hidden()
    form.scroll_into_view_if_needed()
    tab.page.screenshot(path=screenshots / "person-links-console-1440.png")
    tab.assert_clean("404 (Not Found)")

    small = open_tab(f"/admin/tickets?ticket={second['id']}", user=floor.admin,
                     viewport=PHONE, locale="id-ID").page
    linking = panel(small).locator("form[data-field=link-form]")
    expect(linking.get_by_label("Tautkan alamat lain pelanggan ini")).to_be_visible()
    expect(panel(small).get_by_role("button", name=f"Lepas tautan +{home.phone}")).to_be_visible()
    linking.scroll_into_view_if_needed()
    assert no_horizontal_overflow(small)
    small.screenshot(path=screenshots / "person-links-console-390.png")

    inbox = PHONE_INDONESIAN.open(open_tab, sari)
    page = inbox.page
    item(page, "Mau tanya faktur").locator("[data-field=title]").click()
    page.locator("#conversation").get_by_role("button", name="Rincian").click()  # a phone's
    mine = page.locator("#conversation .customer")
    expect(mine).to_be_visible()
    expect(mine.locator("[data-field=earlier] li")).to_contain_text(first["number"])
    expect(mine).to_contain_text("Alamat tertaut")
    expect(mine.locator("form[data-field=link-form]")).to_be_hidden()
    mine.locator("[data-field=earlier]").scroll_into_view_if_needed()
    assert no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "person-links-inbox-390.png", full_page=True)
    inbox.assert_clean()
