"""An email ticket in the agent's inbox, in a real browser, on a laptop in English and a phone
in Indonesian: the list shows the mail's subject, the conversation its text without the quoted
history and its attachment; the agent's reply from the composer leaves as mail in the
customer's thread (caught by a local SMTP server). One server for the module."""

from __future__ import annotations

import hashlib
import hmac
import struct
import zlib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Floor, no_horizontal_overflow, serving
from tests.browser.inbox_floor import LOOKS, Look, agents_of_a_test, item, ticket_of
from tests.email.smtp_capture import Capture, smtp_server
from tests.support.e2e_server import API, wait_until
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
SECRET = "inbound-secret-for-browser-tests"
DESK = "halo@toko.example"


def _png(width: int = 160, height: int = 90) -> bytes:
    """A small orange picture (a shipping label stands in), made here."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + b"\xf0\x90\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                            0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = _png()


@pytest.fixture(scope="module")
def outbox() -> Iterator[Capture]:
    with smtp_server() as capture:
        yield capture


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           outbox: Capture) -> Iterator[ServerProcess]:
    env = {"GILIRAN_SMTP_URL": f"smtp://127.0.0.1:{outbox.port}",
           "GILIRAN_EMAIL_INBOUND_SECRET": SECRET}
    with serving(tmp_path_factory.mktemp("email-inbox"), env) as started:
        Floor(started.base_url).call("POST", "/mailboxes", address=DESK, queue="default",
                                     name="Toko Halo")
        yield started


@pytest.fixture
def agents(floor: Floor) -> Iterator[Any]:
    with agents_of_a_test(floor) as make:
        yield make


def post_mail(server: ServerProcess, sender: str, name: str, subject: str, text: str) -> None:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="mail.example")
    msg.set_content(text)
    msg.add_alternative(f"<p>{text.splitlines()[0]}</p><script>alert(1)</script>",
                        subtype="html")
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="resi.png")
    raw = msg.as_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    answer = httpx.post(f"{server.base_url}{API}/channels/email/webhook", content=raw,
                        headers={"X-Giliran-Signature": signature}, timeout=30)
    assert answer.json() == {"taken": ["opened"]}, answer.text


@LOOKS
def test_an_email_is_read_and_answered_from_the_inbox(
    look: Look, floor: Floor, agents: Any, open_tab: Any, server: ServerProcess,
    outbox: Capture, screenshots: Path,
) -> None:
    subject = f"Paket belum sampai ({look.name})"
    agent = agents(f"Dewi {look.name}")
    post_mail(server, f"rina.{look.name}@mail.example", "Rina Wulandari", subject,
              "Sudah seminggu paket saya belum sampai.\nNomor resi terlampir.\n\n"
              "On Mon, 7 Dec 2026 at 09:00, Toko Halo <halo@toko.example> wrote:\n"
              "> Terima kasih sudah berbelanja!\n")
    ticket = ticket_of(floor, agent, subject)
    page = look.open(open_tab, agent).page
    row = item(page, subject)
    expect(row).to_be_visible()
    row.locator("[data-field=title]").click()
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("Sudah seminggu paket saya belum sampai.")
    expect(conversation).not_to_contain_text("Terima kasih sudah berbelanja")  # folded away
    expect(conversation.locator("img").first).to_be_visible()  # the attachment, opened
    page.locator("#reply-text").fill("Maaf, kami cek ke kurir sekarang.")
    page.locator("#reply-text").press("Enter")
    sent = wait_until(lambda: [m for m in outbox.kept if m.message["Subject"]
                               == f"Re: {subject} [{ticket['number']}]"
                               and m.message["Auto-Submitted"] is None] or None,
                      timeout=30, what="the reply as mail")
    reply = sent[0].message
    assert reply.get_body(("plain",)).get_content().strip() == \
        "Maaf, kami cek ke kurir sekarang."
    assert reply["From"].addresses[0].display_name == f"Dewi {look.name} via Toko Halo"
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(screenshots / f"inbox-email-{look.name}.png"))
