"""Files the desk sends customers (issue 23, attachments out), on SQLite and PostgreSQL: a
multipart reply goes through giliran's real channel clients to the fake Graph API (a media
upload, then an image or document message naming it) and the fake Bot API (sendPhoto,
sendDocument), both reading the multipart bodies as the real services do."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from giliran.bootstrap import bootstrap
from giliran.channels import whatsapp
from giliran.entrypoints.courier import Courier
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.support.desks import API, CUSTOMER, Bot, Desk
from tests.support.whatsapp_samples import BUDI

# A real 1x1 PNG: the channels (and giliran) refuse a "photo" whose bytes are not one.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + bytes(range(256)) * 8


def send_file(client: Any, ticket_id: int, token: str, data: bytes, mime: str,
              name: str = "file", caption: str | None = None,
              headers: dict[str, str] | None = None) -> Any:
    form = {"text": caption} if caption is not None else None
    return client.post(f"{API}/tickets/{ticket_id}/messages", data=form,
                       files={"file": (name, data, mime)},
                       headers={"Authorization": f"Bearer {token}", **(headers or {})})


def kept(desk: Desk | Bot) -> list[Path]:
    """The outgoing files on disk (finished ones: temporary files start with a dot)."""
    root = desk.container.settings.upload_path
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) \
        if root.exists() else []


def lead_of(wa: Desk) -> tuple[dict[str, Any], dict[str, Any]]:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, seller)
    wa.says("Boleh minta brosurnya?", "wamid.A1")
    (lead,) = wa.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    assert lead["assigned_agent_id"] == seller["id"]
    return seller, lead


def test_an_image_goes_to_whatsapp_as_an_upload_then_an_image_message(wa: Desk) -> None:
    seller, lead = lead_of(wa)
    r = send_file(wa.client, lead["id"], seller["token"], PNG, "image/png", "price list.png",
                  caption="Daftar harga terbaru")
    assert r.status_code == 201, r.text
    sent = r.json()
    assert (sent["kind"], sent["direction"], sent["state"], sent["body"], sent["has_media"]) \
        == ("image", "out", "queued", "Daftar harga terbaru", True)
    assert {k: sent["content"][k] for k in ("mime_type", "file_name", "size")} == {
        "mime_type": "image/png", "file_name": "price list.png", "size": len(PNG)}
    assert wa.graph.calls == []  # sent by the outbox, not by the request
    assert wa.deliver() == 1
    (upload,) = wa.graph.uploads
    assert (upload.data, upload.mime_type, upload.file_name) == (PNG, "image/png",
                                                                 "price list.png")
    assert wa.graph.media_to(BUDI) == [{"type": "image", "id": upload.media_id,
                                        "caption": "Daftar harga terbaru"}]
    assert wa.conversation(lead["id"])[-1]["state"] == "sent"
    media = wa.client.get(f"{API}/tickets/{lead['id']}/messages/{sent['id']}/media",
                          headers=bearer(seller["token"]))
    assert (media.status_code, media.content, media.headers["content-type"]) == (
        200, PNG, "image/png")


def test_a_pdf_goes_to_whatsapp_as_a_document_with_its_name(wa: Desk) -> None:
    seller, lead = lead_of(wa)
    r = send_file(wa.client, lead["id"], seller["token"], PDF, "application/pdf",
                  "../../etc/brosur.pdf")
    assert (r.status_code, r.json()["kind"]) == (201, "document"), r.text
    assert r.json()["content"]["file_name"] == "brosur.pdf"  # never a path
    wa.deliver()
    (upload,) = wa.graph.uploads
    assert upload.data == PDF
    assert wa.graph.media_to(BUDI) == [{"type": "document", "id": upload.media_id,
                                        "filename": "brosur.pdf"}]
    media = wa.client.get(f"{API}/tickets/{lead['id']}/messages/{r.json()['id']}/media",
                          headers=ADMIN)
    assert media.content == PDF
    assert media.headers["content-disposition"].startswith("attachment;")


def test_telegram_gets_a_photo_and_a_document_in_the_request(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    online(tg.client, agent)
    tg.say(CUSTOMER, "Halo, boleh lihat contohnya?")
    (ticket,) = tg.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    photo = send_file(tg.client, ticket["id"], agent["token"], PNG, "image/png", "contoh.png",
                      caption="Ini contohnya")
    doc = send_file(tg.client, ticket["id"], agent["token"], PDF, "application/pdf",
                    "katalog.pdf")
    assert (photo.status_code, doc.status_code) == (201, 201), (photo.text, doc.text)
    assert tg.deliver() >= 2
    (m1, p1), (m2, p2) = tg.fake.files_to(CUSTOMER)
    assert (m1, p1["photo"].data, p1["photo"].filename, p1["caption"]) == (
        "sendPhoto", PNG, "contoh.png", "Ini contohnya")
    assert (m2, p2["document"].data, p2["document"].filename) == (
        "sendDocument", PDF, "katalog.pdf")
    states = {m["id"]: m["state"] for m in tg.client.get(
        f"{API}/tickets/{ticket['id']}/messages", headers=ADMIN).json()["items"]}
    assert states[photo.json()["id"]] == states[doc.json()["id"]] == "sent"


def test_too_large_and_unsupported_files_are_refused_with_nothing_kept_or_sent(
    wa: Desk,
) -> None:
    seller, lead = lead_of(wa)
    big_photo = PNG + bytes(5_000_001 - len(PNG))  # WhatsApp takes images up to 5 MB
    cases = [(big_photo, "image/png", "big.png", 413, "too_large"),
             (b"PK\x03\x04zip", "application/zip", "a.zip", 415, "unsupported_media_type"),
             (b"not a png at all", "image/png", "fake.png", 415, "unsupported_media_type"),
             (PNG, "image/webp", "x.webp", 415, "unsupported_media_type")]
    for data, mime, name, status, code in cases:
        r = send_file(wa.client, lead["id"], seller["token"], data, mime, name)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (name, r.text)
    empty = send_file(wa.client, lead["id"], seller["token"], b"", "application/pdf", "e.pdf")
    assert empty.status_code == 422
    assert kept(wa) == [] and not any(wa.container.settings.upload_path.glob(".tmp-*"))
    assert [m["direction"] for m in wa.conversation(lead["id"])] == ["in"]
    assert wa.deliver() == 0 and wa.graph.calls == []


def test_a_long_caption_or_a_closed_window_refuses_the_file_and_keeps_nothing(
    wa: Desk,
) -> None:
    seller, lead = lead_of(wa)
    r = send_file(wa.client, lead["id"], seller["token"], PNG, "image/png", caption="x" * 1025)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_input")
    wa.clock.advance(24 * 3600 + 1)
    r = send_file(wa.client, lead["id"], seller["token"], PNG, "image/png")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "outside_customer_window")
    assert kept(wa) == [] and wa.deliver() == 0
    assert [m["direction"] for m in wa.conversation(lead["id"])] == ["in"]


def test_the_servers_own_cap_holds_for_every_channel(wa: Desk) -> None:
    seller, lead = lead_of(wa)
    wa.container.settings.upload_max_bytes = 4096  # under every channel's own limit
    r = send_file(wa.client, lead["id"], seller["token"], PDF + bytes(4096), "application/pdf",
                  "k.pdf")
    assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large")
    assert kept(wa) == [] and wa.deliver() == 0


def test_an_agent_who_does_not_hold_the_ticket_gets_403_and_nothing_is_kept(wa: Desk) -> None:
    _, lead = lead_of(wa)
    other = make_agent(wa.client, "Joko", queues=["sales"])
    r = send_file(wa.client, lead["id"], other["token"], PNG, "image/png", "x.png")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    assert kept(wa) == [] and wa.deliver() == 0
    mine = send_file(wa.client, lead["id"], ADMIN["Authorization"].split()[1], PNG,
                     "image/png", "x.png")
    assert mine.status_code == 201
    r = wa.client.get(f"{API}/tickets/{lead['id']}/messages/{mine.json()['id']}/media",
                      headers=bearer(other["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")


def test_the_same_idempotency_key_keeps_and_sends_one_file(wa: Desk) -> None:
    seller, lead = lead_of(wa)
    key = {"Idempotency-Key": "photo-1"}
    first = send_file(wa.client, lead["id"], seller["token"], PNG, "image/png", headers=key)
    again = send_file(wa.client, lead["id"], seller["token"], PNG, "image/png", headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and len(kept(wa)) == 1
    wa.deliver()
    assert len(wa.graph.uploads) == 1 and len(wa.graph.media_to(BUDI)) == 1


def test_a_file_accepted_before_a_crash_is_sent_by_the_next_process(wa: Desk) -> None:
    seller, lead = lead_of(wa)
    r = send_file(wa.client, lead["id"], seller["token"], PDF, "application/pdf", "k.pdf")
    assert r.status_code == 201
    # The process that accepted it dies before its courier runs: another one, started from
    # the same settings (database and upload directory), finds the outbox row and the file.
    later = bootstrap(wa.container.settings, clock=wa.clock)
    try:
        async def one_pass() -> int:
            client = whatsapp.CHANNEL.client(later.settings)
            assert client is not None
            try:
                return await Courier(later.ctx, {"whatsapp": client}, _off_loop, _off_loop,
                                     1.0, {"whatsapp": 4}, files=later.files).run_once()
            finally:
                await client.aclose()
        assert asyncio.run(one_pass()) == 1
    finally:
        later.close()
    assert [u.data for u in wa.graph.uploads] == [PDF]
    assert wa.graph.media_to(BUDI)[0]["filename"] == "k.pdf"


def test_a_file_whose_bytes_are_gone_fails_at_once_instead_of_retrying(wa: Desk) -> None:
    seller, lead = lead_of(wa)
    r = send_file(wa.client, lead["id"], seller["token"], PNG, "image/png")
    for path in kept(wa):
        path.unlink()
    wa.deliver()
    last = wa.conversation(lead["id"])[-1]
    assert (last["id"], last["state"]) == (r.json()["id"], "failed")
    assert wa.graph.calls == []


def test_a_failed_upload_is_retried_like_a_text(wa: Desk) -> None:
    seller, lead = lead_of(wa)
    send_file(wa.client, lead["id"], seller["token"], PNG, "image/png")
    wa.graph.failing = True
    assert wa.deliver() == 1 and wa.graph.uploads == []
    wa.graph.failing = False
    wa.clock.advance(3)  # past the first backoff
    assert wa.deliver() == 1
    assert len(wa.graph.uploads) == 1 and len(wa.graph.media_to(BUDI)) == 1
    assert wa.conversation(lead["id"])[-1]["state"] == "sent"


async def _off_loop(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)
