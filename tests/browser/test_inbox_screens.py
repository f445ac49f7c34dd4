"""The inbox on a busy floor (issue 23): 30 agents at work, more customers than they can hold,
and one agent's shift in full swing (pending accepts, unanswered customers, an answered one, a
failed reply, a hold where the server has it). Its pictures for the README, on a laptop in
English and on a phone in Indonesian, and the phone's layout: the list and the conversation
are two screens, the conversation's header and Close stay in view however far its thread
scrolls, and nothing scrolls sideways. One server and one page per look."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from giliran.channels.whatsapp.fake import FakeGraph
from tests.browser.conftest import PHONE, Floor, no_horizontal_overflow
from tests.browser.inbox_floor import (
    LAPTOP_EN,
    PHONE_INDONESIAN,
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
from tests.support.whatsapp_samples import base

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
COLLEAGUES = 30
WAITING = 70  # customers for the colleagues: more than their 60 slots, so some wait


graph, server, agents = module_floor("inbox-screens")


def photo_shows(page: Page, width: int) -> None:
    """The thread's photo has loaded (page.evaluate, since the page's CSP refuses the eval
    that wait_for_function polls with)."""
    wait_until(lambda: page.evaluate(
        "document.querySelector('#conversation .message.in img')?.naturalWidth") == width,
        timeout=10, what="the photo in the thread")


def busy_shift(floor: Floor, server: ServerProcess, graph: FakeGraph) -> dict[str, Any]:
    """Sari's nine conversations, then the floor around her: 30 colleagues, and customers
    enough for them all and some to spare."""
    floor.call("PATCH", "/queues/default", accept_timeout_seconds=600)  # pending accepts count down
    sari = floor.agent("Sari Wulandari", max_tickets=9)
    now = int(time.time())
    maya = Customer(server, "Maya Anggraini")
    graph.add_media("8801", png(320, 200), "image/png")
    maya.writes("Selamat siang, pesanan saya INV-2026-0419 belum sampai",
                "Sudah *7 hari* dan _belum ada kabar_, kode resi `JNE8830021`", at=now - 600)
    maya.sends(base("image", message_id(), now - 590, maya.phone,
                    image={"id": "8801", "mime_type": "image/png", "sha256": "x"}))
    lines = [("Bambang Hartono", ["Bisa ganti alamat pengiriman?"]),
             ("Lestari Dewi", ["Refund untuk pesanan INV-2026-0388", "Sudah saya kirim buktinya"]),
             ("Andi Saputra", ["Aplikasi keluar sendiri waktu upload foto"]),
             ("Sri Wahyuni", ["Minta faktur pajak bulan November"]),
             ("Rizky Ramadhan", ["Kapan promo 12.12 mulai?"]),
             ("Putri Ayu Kusumawardhani", ["Saya mau tukar ukuran sepatu dari 38 ke 39, "
                                           "apakah bisa dikirim ke alamat kantor?"]),
             ("Hendra Gunawan", ["Pembayaran saya gagal tapi saldo terpotong"]),
             ("Wati Susanti", ["Saya cek dulu nomor resinya ya"])]
    people = {name: Customer(server, name) for name, _ in lines}
    for n, (name, said) in enumerate(lines):
        people[name].writes(*said, at=now - 500 + 40 * n)
    tickets = {name: ticket_of(floor, sari, said[0]) for name, said in lines}
    tickets["Maya Anggraini"] = ticket_of(floor, sari, "Selamat siang")
    as_sari = {"token": sari["token"]}
    for name in ("Maya Anggraini", "Lestari Dewi", "Andi Saputra", "Sri Wahyuni",
                 "Hendra Gunawan", "Wati Susanti", "Rizky Ramadhan"):
        floor.call("POST", f"/tickets/{tickets[name]['id']}/accept", **as_sari)
    reply = {"Maya Anggraini": "Baik Bu Maya, saya cek ke kurir dulu ya",
             "Sri Wahyuni": "Faktur pajaknya sudah kami kirim ke email Ibu.",
             "Hendra Gunawan": "Mohon maaf, kami cek dulu transaksinya.",
             "Wati Susanti": "Baik, kami tunggu nomor resinya."}
    graph.refuse[people["Hendra Gunawan"].phone] = (400, 131047, "Re-engagement message")
    for name, text in reply.items():
        floor.call("POST", f"/tickets/{tickets[name]['id']}/messages", text=text, **as_sari)
    maya.writes("Oke, ditunggu kabarnya", at=now - 60)
    floor.call("POST", f"/tickets/{tickets['Maya Anggraini']['id']}/notes",
               text="Pelanggan lama: kalau hilang, kirim ulang tanpa ongkir", **as_sari)
    floor.call("POST", f"/tickets/{tickets['Wati Susanti']['id']}/hold", **as_sari)

    for n in range(COLLEAGUES):
        floor.agent(f"Agen {n + 1:02d}", max_tickets=2)
    for n in range(WAITING):
        Customer(server, f"Pelanggan {n + 1}").writes(f"Pertanyaan nomor {n + 1}")
    wait_until(lambda: floor.call("GET", "/workload")["queue"]["pending"] > 0 or None, timeout=30,
               what="customers waiting on a full floor")
    return {"sari": sari, "tickets": tickets, "maya": maya}


def test_the_inbox_of_a_busy_floor_on_a_laptop_and_a_phone(
    floor: Floor, open_tab: Any, server: ServerProcess, graph: FakeGraph, screenshots: Path,
) -> None:
    shift = busy_shift(floor, server, graph)
    sari = shift["sari"]

    laptop = LAPTOP_EN.open(open_tab, sari)
    page: Page = laptop.page
    expect(page.locator("#queue-list > li")).to_have_count(9)
    expect(item(page, "Hendra Gunawan").locator("[data-field=failed]")).to_be_visible()
    row = item(page, "Maya Anggraini")
    row.locator("[data-field=title]").click()
    expect(page.locator("#conversation .message.in img")).to_be_visible()
    photo_shows(page, 320)
    expect(page.locator("#conversation .message.in").last).to_contain_text("ditunggu")
    assert newest_in_view(page)
    page.locator(".inbox-list").evaluate("(el) => { el.scrollTop = 0; }")  # its filters show
    page.screenshot(path=screenshots / "inbox-en.png")

    words = PHONE_INDONESIAN.words
    small = PHONE_INDONESIAN.open(open_tab, sari)
    phone: Page = small.page
    expect(phone.locator("#inbox-filters").get_by_role(
        "button", name=words("inbox.view_mine"))).to_be_visible()
    expect(phone.locator("#queue-list > li")).to_have_count(9)
    assert no_horizontal_overflow(phone)
    phone.screenshot(path=screenshots / "inbox-id-phone.png", full_page=True)
    item(phone, "Maya Anggraini").locator("[data-field=title]").click()
    thread = phone.locator("#conversation")
    back = thread.get_by_role("button", name=words("inbox.back"))
    expect(back).to_be_visible()
    expect(phone.locator("#queue-list")).to_be_hidden()
    expect(thread.locator(".message.in").last).to_contain_text("ditunggu")
    photo_shows(phone, 320)
    assert newest_in_view(phone)
    phone.screenshot(path=screenshots / "inbox-thread-phone.png")
    thread.locator(".thread").evaluate("(el) => { el.scrollTop = 0; }")
    phone.mouse.wheel(0, -2000)
    for fixed in (thread.get_by_role("button", name=words("common.close")),
                  phone.locator("#reply-text")):
        box = fixed.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    assert no_horizontal_overflow(phone)
    back.click()
    expect(phone.locator("#queue-list")).to_be_visible()
    expect(thread).to_be_hidden()
    for name in ("inbox-en.png", "inbox-id-phone.png", "inbox-thread-phone.png"):
        assert (screenshots / name).stat().st_size > 10_000, name
    laptop.assert_clean()
    small.assert_clean()
