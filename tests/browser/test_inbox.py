"""The agents' inbox in a real browser (issue 23): a shift of WhatsApp conversations worked from
the list (unread counts fall, the thread opens at the newest, "/" inserts a saved reply, a
photo goes out, a note stays on the desk, a held ticket comes back when the customer writes),
each on a laptop in English and on a phone in Indonesian (the thread itself, the keys, failed
replies and transfer: test_inbox_thread.py). One server (and one fake Graph API) for the
module and one page per test: each test makes its own agent and customers, and its agent goes
offline when it ends, so the next test's tickets come to the next test's agent."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from giliran.channels.whatsapp.fake import FakeGraph
from tests.browser.conftest import SIGNED_OUT, Floor, sign_in
from tests.browser.inbox_floor import (
    LOOKS,
    Customer,
    Look,
    item,
    module_floor,
    newest_in_view,
    ticket_of,
)
from tests.browser.test_conversation import png
from tests.support.e2e_server import wait_until
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


graph, server, agents = module_floor("inbox")


@LOOKS
def test_a_shift_of_five_conversations(
    look: Look, floor: Floor, agents: Any, open_tab: Any, graph: FakeGraph,
    server: ServerProcess,
) -> None:
    """Five customers wait; the agent signs in and answers each from the list: the unread
    counts fall as each opens, the thread opens at the newest message, the title and the
    badge count down what awaits an answer."""
    words = look.words
    sari = agents(f"Sari Shift {look.name}", max_tickets=5)
    people = [Customer(server, f"{name} {look.name}") for name in
              ("Ani Lestari", "Bayu Pratama", "Citra Dewi", "Dodi Kurnia", "Eka Putri")]
    for n, person in enumerate(people):
        person.writes(f"Halo, saya {person.name}", *[f"Pesan {i} dari {person.name}"
                                                     for i in range(1, 3 + 10 * (n == 0))])
    tab = look.open(open_tab)
    page = tab.page
    sign_in(page, sari["email"])
    expect(page.locator("#queue-list > li")).to_have_count(5)
    expect(page).to_have_title(words.title(5))
    expect(page.locator("#awaiting-badge")).to_have_text(words("inbox.awaiting", count=5))
    expect(item(page, people[1].name).locator("[data-field=unread]")).to_have_text("3")
    expect(item(page, people[0].name).locator("[data-field=unread]")).to_have_text("13")

    for left, person in zip(range(4, -1, -1), people, strict=True):
        row = item(page, person.name)
        row.locator("[data-field=title]").click()
        newest = page.locator("#conversation .message.in").last
        expect(newest).to_contain_text(f"dari {person.name}")
        expect(row).to_have_attribute("aria-current", "true")
        if person is people[0]:
            assert newest_in_view(page), "the long thread did not open at its newest message"
        page.locator("#reply-text").fill(f"Baik {person.name}, kami bantu")
        page.locator("#reply-text").press("Enter")
        expect(page.locator("#conversation .message.out").last).to_contain_text(
            f"Baik {person.name}")
        expect(page).to_have_title(words.title(left))
        look.back_to_list(page)
        expect(row.locator("[data-field=title]")).to_be_visible()
        expect(row.locator("[data-field=unread]")).to_be_hidden()
        wait_until(lambda p=person: f"Baik {p.name}, kami bantu" in graph.texts_to(p.phone),
                   timeout=15, what="the reply at the Graph API")
    expect(page.locator("#awaiting-badge")).to_be_hidden()
    inbox = floor.call("GET", "/agent/inbox", token=sari["token"])
    assert [i["unread"] for i in inbox["items"]] == [0] * 5
    assert inbox["awaiting_reply"] == 0
    tab.assert_clean(SIGNED_OUT)


@LOOKS
def test_slash_inserts_a_saved_reply_and_a_note_stays_on_the_desk(
    look: Look, floor: Floor, agents: Any, open_tab: Any, graph: FakeGraph,
    server: ServerProcess,
) -> None:
    words = look.words
    rudi = Customer(server, f"Rudi Hartono {look.name}")
    sari = agents(f"Sari Canned {look.name}")
    saved = [floor.call("POST", "/canned-replies", name="Greeting", text=(
                 "Halo {customer_name}, saya {agent_name}. Tiket {ticket_number} kami proses.")),
             floor.call("POST", "/canned-replies", name="Closing", text="Terima kasih!")]
    try:
        rudi.writes("Mau tanya ongkir ke Bandung")
        ticket = ticket_of(floor, sari, "Mau tanya ongkir")
        page = look.open(open_tab, sari).page
        item(page, "Mau tanya ongkir").locator("[data-field=title]").click()
        expect(page.locator("#conversation .message.in")).to_have_count(1)
        page.locator("#conversation .thread").focus()
        page.keyboard.press("/")  # from anywhere but a field: the saved replies
        menu = page.locator("#conversation [data-field=canned]")
        expect(menu.get_by_role("option")).to_have_count(2)
        page.keyboard.type("gree")
        expect(menu.get_by_role("option")).to_have_count(1)
        page.keyboard.press("Enter")
        wanted = (f"Halo {rudi.name}, saya {sari['name']}. "
                  f"Tiket {ticket['number']} kami proses.")
        expect(page.locator("#reply-text")).to_have_value(wanted)
        expect(menu).to_be_hidden()
        page.keyboard.press("Enter")
        wait_until(lambda: wanted in graph.texts_to(rudi.phone), timeout=15, what="the reply")
    finally:
        for reply in saved:
            floor.call("DELETE", f"/canned-replies/{reply['id']}")

    sent_before = len(graph.calls)
    page.locator("#conversation").get_by_label(words("inbox.note_toggle"), exact=True).check()
    page.locator("#reply-text").fill("Pelanggan lama, kirim diskon")
    page.locator("#reply-text").press("Enter")
    note = page.locator("#conversation .message.note")
    expect(note).to_contain_text("Pelanggan lama, kirim diskon")
    expect(note).to_contain_text(words("inbox.note_by", name=sari["name"]))
    messages = floor.call("GET", f"/tickets/{ticket['id']}/messages", token=sari["token"])
    assert [m["direction"] for m in messages["items"]] == ["in", "out", "note"]
    assert len(graph.calls) == sent_before, "a note went to WhatsApp"


@LOOKS
def test_a_photo_goes_out_from_the_composer(
    look: Look, floor: Floor, agents: Any, open_tab: Any, graph: FakeGraph,
    server: ServerProcess,
) -> None:
    sinta = Customer(server, f"Sinta Maharani {look.name}")
    sari = agents(f"Sari Photo {look.name}")
    sinta.writes("Boleh kirim foto produknya?")
    ticket_of(floor, sari, "Boleh kirim foto")
    page = look.open(open_tab, sari).page
    item(page, "Boleh kirim foto").locator("[data-field=title]").click()
    expect(page.locator("#conversation .message.in")).to_contain_text("Boleh kirim foto")
    page.locator("#conversation [data-field=file]").set_input_files(
        {"name": "produk.png", "mimeType": "image/png", "buffer": png(48, 32)})
    expect(page.locator("#conversation [data-field=attachment]")).to_contain_text("produk.png")
    page.locator("#reply-text").fill("Ini fotonya")
    page.locator("#conversation").get_by_role(
        "button", name=look.words("conversation.send"), exact=True).click()
    mine = page.locator('#conversation .message.out[data-kind="image"]')
    expect(mine.locator("img")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(mine).to_contain_text("Ini fotonya")
    wait_until(lambda: [c for c in graph.sent() if c.body.get("to") == sinta.phone
                        and c.body.get("type") == "image"], timeout=15,
               what="an image message at the Graph API")


@LOOKS
def test_a_held_ticket_comes_back_when_the_customer_writes(
    look: Look, floor: Floor, agents: Any, open_tab: Any, server: ServerProcess,
) -> None:
    words = look.words
    wati = Customer(server, f"Wati Susanti {look.name}")
    sari = agents(f"Sari Hold {look.name}")
    wati.writes("Saya cek dulu nomor resinya ya")
    ticket = ticket_of(floor, sari, "Saya cek dulu")
    page = look.open(open_tab, sari).page
    row = item(page, "Saya cek dulu")
    row.locator("[data-field=title]").click()
    page.locator("#conversation").get_by_role("button", name=words("inbox.hold"),
                                              exact=True).click(timeout=5_000)
    expect(row).to_have_attribute("data-status", "on_hold")
    expect(row.locator(".status")).to_have_text(words("status.on_hold"))
    expect(page).to_have_title(words.title(0))
    assert floor.call("GET", f"/tickets/{ticket['id']}")["status"] == "on_hold"
    page.locator("#conversation").get_by_role("button", name=words("common.close")).click()
    views = page.locator("#inbox-filters")
    views.get_by_role("button", name=words("inbox.view_on_hold")).click()
    expect(page.locator("#queue-list > li")).to_have_count(1)
    expect(row).to_be_visible()
    views.get_by_role("button", name=words("inbox.view_mine")).click()

    wati.writes("Resinya JNE123456")
    expect(row).to_have_attribute("data-status", "in_progress")
    expect(row.locator("[data-field=unread]")).to_have_text("1")
    expect(page).to_have_title(words.title(1))
    expect(row.locator("[data-field=last]")).to_have_text("Resinya JNE123456")

    # Held again from the conversation, and taken off hold by the agent's own hand.
    row.locator("[data-field=title]").click()
    thread = page.locator("#conversation")
    thread.get_by_role("button", name=words("inbox.hold"), exact=True).click()
    expect(row).to_have_attribute("data-status", "on_hold")
    thread.get_by_role("button", name=words("inbox.unhold"), exact=True).click()
    expect(row).to_have_attribute("data-status", "in_progress")
    expect(thread.get_by_role("button", name=words("inbox.hold"), exact=True)).to_be_visible()
