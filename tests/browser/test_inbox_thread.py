"""The inbox's conversation in a real browser (issue 23): a failed reply marked in the list and
the title until a retry gets through, a transfer to a colleague with a reason, the keys,
WhatsApp formatting and photos full size, every kind of message with a reaction beside its
message, and the reader's place kept while messages arrive. On a laptop in English (the shift
in both looks: test_inbox.py). One server (and one fake Graph API) for the module and one page
per test; each test makes its own agent and customers, offline when it ends."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from giliran.channels.whatsapp.fake import FakeGraph
from tests.browser.conftest import Floor
from tests.browser.inbox_floor import (
    LAPTOP_EN,
    Customer,
    item,
    message_id,
    module_floor,
    newest_in_view,
    ticket_of,
)
from tests.browser.test_conversation import png
from tests.support.e2e_server import wait_until
from tests.support.server import ServerProcess
from tests.support.whatsapp_samples import base, every_kind, text

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


graph, server, agents = module_floor("inbox-thread")


def test_a_conversation_is_transferred_to_a_colleague_with_a_reason(
    floor: Floor, agents: Any, open_tab: Any, server: ServerProcess,
) -> None:
    ayu = Customer(server, "Ayu Lestari")
    sari = agents("Sari Transfer")
    budi = agents("Budi Transfer", online=False)
    ayu.writes("Mau ubah pesanan grosir")
    ticket = ticket_of(floor, sari, "Mau ubah pesanan")
    floor.call("POST", "/agent/go-online", token=budi["token"])
    page = LAPTOP_EN.open(open_tab, sari).page
    row = item(page, "Mau ubah pesanan")
    row.locator("[data-field=title]").click()
    page.locator("#conversation").get_by_role("button", name="Transfer").click()
    dialog = page.locator("#transfer-dialog")
    dialog.get_by_label("To a colleague").check()
    colleague = dialog.get_by_label("Colleague", exact=True)
    # By name, with presence and load; nobody types an agent's number.
    expect(colleague.locator(f"option[value='{budi['id']}']")).to_have_text(
        "Budi Transfer · Online · 0/5")
    colleague.select_option(str(budi["id"]))
    dialog.get_by_label("Reason (the new holder reads it)").fill("Budi pegang pesanan grosir")
    dialog.get_by_role("button", name="Transfer").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)
    expect(page.locator("#conversation")).to_be_hidden()
    expect(page.locator("#toasts")).to_contain_text(f"{ticket['number']} was transferred.")
    assert floor.call("GET", f"/tickets/{ticket['id']}")["assigned_agent_id"] == budi["id"]


def test_a_failed_reply_is_marked_in_the_list_and_the_title(
    floor: Floor, agents: Any, open_tab: Any, graph: FakeGraph, server: ServerProcess,
) -> None:
    joko = Customer(server, "Joko Santoso")
    sari = agents("Sari Failed")
    joko.writes("Kok belum dibalas?")
    ticket_of(floor, sari, "Kok belum dibalas")
    graph.refuse[joko.phone] = (400, 131047, "Re-engagement message")
    try:
        page = LAPTOP_EN.open(open_tab, sari).page
        row = item(page, "Kok belum dibalas")
        row.locator("[data-field=title]").click()
        page.locator("#reply-text").fill("Maaf menunggu")
        page.locator("#reply-text").press("Enter")
        mine = page.locator("#conversation .message.out", has_text="Maaf menunggu")
        expect(mine.locator(".ticks")).to_have_attribute("data-state", "failed", timeout=20_000)
        expect(row.locator("[data-field=failed]")).to_be_visible()
        expect(page).to_have_title(re.compile(r"⚠ My tickets · giliran$"))
        expect(page.locator("#failed-badge")).to_have_text("1 reply failed")
        graph.refuse.pop(joko.phone)
        mine.get_by_role("button", name="Retry").click()
        wait_until(lambda: "Maaf menunggu" in graph.texts_to(joko.phone), timeout=20,
                   what="the retried reply")
        expect(row.locator("[data-field=failed]")).to_be_hidden()
        expect(page).to_have_title(re.compile(r"^(?!.*⚠)"))
    finally:
        graph.refuse.pop(joko.phone, None)


def test_keys_formatting_and_photos_full_size(
    floor: Floor, agents: Any, open_tab: Any, graph: FakeGraph, server: ServerProcess,
) -> None:
    maya, tono = Customer(server, "Maya Anggraini"), Customer(server, "Tono Wijaya")
    sari = agents("Sari Keys")
    graph.add_media("7701", png(64, 40), "image/png")
    now = int(time.time())
    maya.writes("Pesanan *INV-9* _belum_ ~datang~ `kode 77` <img src=x onerror=alert(1)>",
                at=now)
    maya.sends(base("image", message_id(), now, maya.phone,
                    image={"id": "7701", "mime_type": "image/png", "sha256": "x"}))
    tono.writes("Tolong cek alamat saya", at=now + 1)
    page = LAPTOP_EN.open(open_tab, sari).page
    expect(page.locator("#queue-list > li")).to_have_count(2)
    first_id = page.locator("#queue-list > li").first.get_attribute("data-id")
    page.keyboard.press("j")
    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator("#queue-list > li").first).to_have_attribute("aria-current", "true")
    page.keyboard.press("j")
    expect(page.locator("#queue-list > li").nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("k")
    opened = page.locator(f'#queue-list > li[data-id="{first_id}"]')
    expect(opened).to_have_attribute("aria-current", "true")

    maya_row = item(page, "Pesanan")
    maya_row.locator("[data-field=title]").click()
    body = page.locator("#conversation .message.in .body").first
    expect(body.locator("strong")).to_have_text("INV-9")
    expect(body.locator("em")).to_have_text("belum")
    expect(body.locator("s")).to_have_text("datang")
    expect(body.locator("code")).to_have_text("kode 77")
    expect(body).to_contain_text("<img src=x onerror=alert(1)>")  # shown, never markup
    expect(body.locator("img")).to_have_count(0)
    photo = page.locator("#conversation .message.in img")
    expect(photo).to_have_attribute("src", re.compile(r"^blob:"))
    photo.click()
    lightbox = page.locator("#lightbox")
    expect(lightbox).to_be_visible()
    wait_until(lambda: page.evaluate("document.querySelector('#lightbox-image').naturalWidth")
               == 64, timeout=10, what="the photo full size")
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(page.locator("#conversation")).to_be_visible()  # Esc closed the photo only

    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("a")  # typed into the reply, not taken as "accept"
    expect(maya_row).to_have_attribute("data-status", "assigned")
    page.locator("#reply-text").fill("")
    page.keyboard.press("Escape")  # out of the field: the keys are the inbox's again
    page.keyboard.press("a")
    expect(maya_row).to_have_attribute("data-status", "in_progress")
    page.keyboard.press("e")
    expect(maya_row).to_have_count(0)
    expect(page.locator("#conversation")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#conversation")).to_be_hidden()
    expect(page.locator("#thread-placeholder")).to_be_visible()


def test_a_thread_of_every_kind_keeps_the_readers_place(
    floor: Floor, agents: Any, open_tab: Any, graph: FakeGraph, server: ServerProcess,
) -> None:
    """Documents, voice, a place, what cannot be shown and a reaction beside its message; and
    the thread stays where the agent scrolled while messages arrive (at the bottom, it
    follows them)."""
    nina = Customer(server, "Nina Marlina")
    sari = agents("Sari Kinds")
    now = int(time.time())
    nina.writes(*[f"Catatan pesanan {i}" for i in range(1, 13)], at=now - 60)
    kinds = every_kind(now)
    graph.add_media(kinds["document"]["document"]["id"], b"%PDF-1.4 invoice", "application/pdf")
    graph.add_media(kinds["voice"]["audio"]["id"], b"OggS voice", "audio/ogg")
    first = text(message_id(), "Ini dokumennya", now, nina.phone)
    reaction = kinds["reaction"]
    reaction["reaction"]["message_id"] = first["id"]
    nina.sends(first, *[{**kinds[name], "id": message_id(), "from": nina.phone}
                        for name in ("document", "voice", "location", "unsupported")],
               {**reaction, "id": message_id(), "from": nina.phone})
    ticket_of(floor, sari, "Catatan pesanan 1")
    page = LAPTOP_EN.open(open_tab, sari).page
    item(page, "Catatan pesanan 1").locator("[data-field=title]").click()
    thread = page.locator("#conversation .thread")
    expect(thread.locator(".message.in").last.locator(".unshown")).to_be_visible()
    assert newest_in_view(page)
    expect(thread.get_by_role("button", name=re.compile("INV-2026-001.pdf"))).to_be_visible()
    expect(thread.locator("audio[controls]")).to_have_attribute("src", re.compile(r"^blob:"))
    place = thread.locator('.message.in[data-kind="location"]')
    expect(place.locator("strong")).to_have_text("Monas")
    expect(place).to_contain_text("Gambir, Central Jakarta")
    shared = thread.locator(".message.in", has_text="Ini dokumennya")
    expect(shared.locator(".reaction")).to_have_text("👍")
    expect(thread.locator('.message[data-kind="reaction"]')).to_have_count(0)

    thread.evaluate("(el) => { el.scrollTop = 0; }")
    nina.writes("Satu lagi, tolong dicek")
    expect(thread.locator(".message.in").last).to_contain_text("Satu lagi")
    assert thread.evaluate("(el) => el.scrollTop") == 0, "the thread jumped while reading"
    thread.evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    nina.writes("Dan yang terakhir")
    expect(thread.locator(".message.in").last).to_contain_text("Dan yang terakhir")
    wait_until(lambda: newest_in_view(page), timeout=5, what="the thread following")
