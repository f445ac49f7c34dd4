"""A WhatsApp conversation in the agent's dashboard, end to end: a lead with a photo and a place
arrives by webhook, the agent sees both, answers with Enter, watches the ticks move as Meta (a
fake Graph API server on loopback) reports delivered and read, and the customer's next message
appears without a reload. (The supervisor's reply from the console: test_ticket_panel.py.)

The module's tests share one server and one fake Graph API: each has a customer of its own,
and its agents go offline when it ends, so the next test's customer comes to its agent."""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from giliran.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    FakeGraph,
    delivery,
    signed,
    status,
)
from tests.browser.conftest import Floor
from tests.browser.inbox_floor import agents_of_a_test, whatsapp_floor
from tests.support.e2e_server import API, wait_until
from tests.support.server import ServerProcess
from tests.support.whatsapp_samples import BUDI, base, text

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
RINA = "6281298765432"  # the closed window's customer (Budi is the lead's)


def png(width: int = 24, height: int = 16) -> bytes:
    """A real (tiny, blue) PNG, so the page can decode what it shows."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as started:
        yield started


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           graph: FakeGraph) -> Iterator[ServerProcess]:
    """This module's server answers on WhatsApp (the other browser tests' does not)."""
    where = tmp_path_factory.mktemp("conversation")
    with whatsapp_floor(where, graph) as started:
        yield started
    assert ACCESS_TOKEN not in (where / "server.log").read_text()


@pytest.fixture
def agents(floor: Floor) -> Iterator[Any]:
    with agents_of_a_test(floor) as make:
        yield make


def webhook(server: ServerProcess, body: dict[str, Any]) -> None:
    raw, headers = signed(body)
    r = httpx.post(f"{server.base_url}{API}/webhooks/whatsapp", content=raw, headers=headers)
    assert r.status_code == 200, r.text


def test_an_agent_talks_with_a_whatsapp_lead(
    agents: Any, open_tab: Any, graph: FakeGraph, server: ServerProcess
) -> None:
    sari = agents("Sari")
    now = int(time.time())
    graph.add_media("8811", png(), "image/png")
    webhook(server, delivery(messages=[
        text("wamid.B1", "Halo, ini lokasi toko saya", now),
        base("image", "wamid.B2", now, image={"id": "8811", "mime_type": "image/png",
                                               "sha256": "x", "caption": "etalase"}),
        base("location", "wamid.B3", now, location={
            "latitude": -6.1753924, "longitude": 106.8271528, "name": "Toko Budi",
            "address": "Jl. Merdeka 1, Jakarta"}),
    ]))
    tab = open_tab("/", user=sari)
    page = tab.page
    card = page.locator("#queue-list > li", has_text="Halo, ini lokasi toko saya")
    card.get_by_role("button", name="Conversation").click()
    dialog = page.locator("#conversation")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".customer")).to_contain_text(f"+{BUDI}")
    expect(dialog.locator(".customer")).to_contain_text("Budi")
    photo = dialog.locator(".message.in img")
    expect(photo).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function(
        "document.querySelector('#conversation .message.in img').naturalWidth === 24")
    place = dialog.locator('.message.in[data-kind="location"]')
    expect(place.locator("strong")).to_have_text("Toko Budi")  # the label, then the address
    expect(place).to_contain_text("Jl. Merdeka 1, Jakarta")
    expect(place.get_by_role("link")).to_have_attribute(
        "href", re.compile(r"mlat=-6\.1753924&mlon=106\.8271528"))

    page.locator("#reply-text").fill("Baik, kami ke sana jam 3")
    page.locator("#reply-text").press("Enter")
    sent = wait_until(lambda: graph.sent(), timeout=20, what="the reply at the Graph API")
    assert sent[0].body["text"]["body"] == "Baik, kami ke sana jam 3"
    mine = dialog.locator(".message.out", has_text="Baik, kami ke sana jam 3")
    expect(mine.locator(".ticks")).to_have_attribute("data-state", "sent")
    wamid = sent[0].wamid
    assert wamid is not None
    webhook(server, delivery(statuses=[status(wamid, "delivered", now + 2)]))
    expect(mine.locator(".ticks")).to_have_attribute("data-state", "delivered")
    webhook(server, delivery(statuses=[status(wamid, "read", now + 5)]))
    expect(mine.locator(".ticks")).to_have_attribute("data-state", "read")
    # The lead was accepted by the reply.
    expect(card).to_have_attribute("data-status", "in_progress")

    webhook(server, delivery(messages=[text("wamid.B4", "Oke, saya tunggu", now + 9)]))
    expect(dialog.locator(".message.in", has_text="Oke, saya tunggu")).to_be_visible()
    tab.assert_clean()


def test_a_closed_window_offers_no_template_the_server_cannot_send(
    agents: Any, open_tab: Any, server: ServerProcess
) -> None:
    """This server has no GILIRAN_WHATSAPP_TEMPLATE: the page says the customer has to write
    first, instead of offering a button that would be refused (503)."""
    sari = agents("Sari")
    long_ago = int(time.time()) - 25 * 3600
    webhook(server, delivery(messages=[text("wamid.D1", "Masih ada stok?", long_ago, RINA)]))
    page = open_tab("/", user=sari).page
    page.locator("#queue-list > li", has_text="Masih ada stok?").get_by_role(
        "button", name="Conversation").click()
    closed = page.locator('#conversation [data-field="window-closed"]')
    expect(closed).to_contain_text("more than 24 hours ago")
    expect(closed).to_contain_text("No follow-up template is configured")
    expect(closed.locator('[data-action="template"]')).to_be_hidden()
    # No reply can go out: the box takes notes for colleagues only.
    expect(page.locator("#conversation").get_by_label("Note", exact=True)).to_be_disabled()
    expect(page.locator("#reply-text")).to_have_attribute("placeholder", "A note for colleagues")
