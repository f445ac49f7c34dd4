"""Files the desk sends: the channels' rules (types, limits), the files kept on disk, and the
multipart reader that stops at the limit instead of reading the whole body."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from giliran.adapters.clock import FakeClock
from giliran.adapters.outgoing_files import DiskOutgoingFiles
from giliran.domain import attachments as a
from giliran.domain.conversation import TELEGRAM, WHATSAPP, Kind
from giliran.domain.errors import InvalidInput, UnsupportedMediaType, UploadTooLarge
from giliran.entrypoints.api import uploads

CHANNELS = st.sampled_from([WHATSAPP, TELEGRAM, "email"])
TYPES = st.sampled_from(["image/jpeg", "image/png", "image/webp", "application/pdf",
                         "text/plain", "application/zip", "video/mp4", "image/gif"])
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@given(CHANNELS, TYPES, st.integers(1, 10**9))
def test_a_file_within_its_cap_passes_and_one_byte_more_does_not(
    channel: str, mime: str, server_cap: int,
) -> None:
    try:
        kind = a.kind_for(channel, mime)
    except UnsupportedMediaType:
        assert channel == WHATSAPP  # only WhatsApp refuses types
        return
    cap = a.cap_for(channel, kind, server_cap)
    assert cap <= server_cap and cap <= a.channel_cap(channel, kind)
    a.check_size(cap, cap)
    with pytest.raises(UploadTooLarge):
        a.check_size(cap + 1, cap)


def test_each_channel_carries_what_it_documents() -> None:
    assert [a.kind_for(WHATSAPP, t) for t in ("image/jpeg", "image/png", "application/pdf")] \
        == [Kind.IMAGE, Kind.IMAGE, Kind.DOCUMENT]
    for refused in ("image/webp", "application/zip", "video/mp4"):
        with pytest.raises(UnsupportedMediaType):
            a.kind_for(WHATSAPP, refused)
    assert a.kind_for(TELEGRAM, "image/webp") is Kind.IMAGE
    assert a.kind_for(TELEGRAM, "application/zip") is Kind.DOCUMENT
    assert (a.channel_cap(WHATSAPP, Kind.IMAGE), a.channel_cap(WHATSAPP, Kind.DOCUMENT),
            a.channel_cap(TELEGRAM, Kind.IMAGE), a.channel_cap(TELEGRAM, Kind.DOCUMENT)) == (
        5_000_000, 100_000_000, 10_000_000, 50_000_000)


@given(st.text(max_size=400))
def test_a_file_name_is_never_a_path_nor_empty(name: str) -> None:
    for mime in ("image/png", "application/pdf"):
        clean = a.clean_name(name, mime)
        assert clean and "/" not in clean and "\\" not in clean
        assert not clean.startswith(".") and len(clean) <= a.LONGEST_NAME
        assert all(c.isprintable() for c in clean)


def test_an_image_must_start_as_its_type_says() -> None:
    assert a.looks_like("image/png", PNG)
    assert a.looks_like("image/jpeg", b"\xff\xd8\xff\xe0")
    assert a.looks_like("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    assert not a.looks_like("image/png", b"GIF89a")
    assert a.looks_like("application/pdf", b"anything")


def test_attachments_round_trip_through_their_stored_form() -> None:
    kept = a.Attachment("ab" * 16, "image/png", "x.png", 10, Kind.IMAGE)
    assert a.Attachment.of_stored(kept.stored()) == kept


def test_a_kept_file_reads_back_and_a_discarded_one_leaves_nothing(tmp_path: Path) -> None:
    files = DiskOutgoingFiles(tmp_path / "out", FakeClock())
    upload = files.begin()
    upload.write(b"hello ")
    upload.write(b"world")
    key = upload.keep()
    assert files.get(key) == b"hello world" and upload.head == b"hello world"
    dropped = files.begin()
    dropped.write(b"x")
    dropped.discard()
    dropped.discard()
    assert [p.name for p in (tmp_path / "out").iterdir()] == [key]
    assert files.get("../out/" + key) is None and files.get("nope") is None
    files.remove(key)
    assert files.get(key) is None
    assert oct((tmp_path / "out").stat().st_mode & 0o777) == "0o700"


def request_of(chunks: list[bytes], boundary: str = "b0undary") -> tuple[Request, list[int]]:
    """A real Starlette request whose body arrives in `chunks`; `read` counts those taken."""
    read = [0]

    async def receive() -> dict[str, Any]:
        if read[0] < len(chunks):
            read[0] += 1
            return {"type": "http.request", "body": chunks[read[0] - 1],
                    "more_body": read[0] < len(chunks)}
        return {"type": "http.disconnect"}
    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"",
             "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())]}
    return Request(scope, receive), read


def part(name: str, data: bytes, filename: str | None = None, mime: str | None = None) -> bytes:
    head = f'--b0undary\r\nContent-Disposition: form-data; name="{name}"'
    head += f'; filename="{filename}"' if filename else ""
    head += f"\r\nContent-Type: {mime}" if mime else ""
    return head.encode() + b"\r\n\r\n" + data + b"\r\n"


def test_the_reader_stops_at_the_cap_without_reading_the_rest(tmp_path: Path) -> None:
    files = DiskOutgoingFiles(tmp_path, FakeClock())
    start = part("file", PNG, "p.png", "image/png")[:-2]
    chunks = [start] + [bytes(1_000_000)] * 20 + [b"\r\n--b0undary--\r\n"]
    request, read = request_of(chunks)
    with pytest.raises(UploadTooLarge):
        asyncio.run(uploads.receive(request, files, WHATSAPP, 16_000_000))
    # 5 MB for a WhatsApp image: the fifth megabyte after the headers passes it, and is the
    # last chunk read of 22.
    assert read[0] == 6
    assert list(tmp_path.iterdir()) == []


def test_the_reader_takes_a_caption_and_one_file(tmp_path: Path) -> None:
    files = DiskOutgoingFiles(tmp_path, FakeClock())
    body = part("text", "  Halo 👋 ".encode()) + part("file", PNG, "a/b/p.png", "image/png") \
        + b"--b0undary--\r\n"
    request, _ = request_of([body[:7], body[7:50], body[50:]])
    got = asyncio.run(uploads.receive(request, files, TELEGRAM, 16_000_000))
    assert (got.text, got.attachment.file_name, got.attachment.kind) == (
        "Halo 👋", "p.png", Kind.IMAGE)
    assert files.get(got.attachment.key) == PNG


@pytest.mark.parametrize(("body", "error"), [
    (part("text", b"only a caption") + b"--b0undary--\r\n", InvalidInput),
    (part("file", PNG, "a.png", "image/png") * 2 + b"--b0undary--\r\n", InvalidInput),
    (part("text", b"\xff\xfe") + part("file", PNG, "a.png", "image/png")
     + b"--b0undary--\r\n", InvalidInput),
    (part("file", b"%PDF", "a.exe", "application/x-msdownload") + b"--b0undary--\r\n",
     UnsupportedMediaType),
])
def test_the_reader_refuses_bad_forms_and_keeps_nothing(tmp_path: Path, body: bytes,
                                                       error: type[Exception]) -> None:
    files = DiskOutgoingFiles(tmp_path, FakeClock())
    request, _ = request_of([body])
    with pytest.raises(error):
        asyncio.run(uploads.receive(request, files, WHATSAPP, 16_000_000))
    assert [p for p in tmp_path.iterdir()] == []


def test_a_type_guessed_from_the_name_when_the_client_sends_none(tmp_path: Path) -> None:
    files = DiskOutgoingFiles(tmp_path, FakeClock())
    request, _ = request_of([part("file", b"%PDF-1.4", "brosur.pdf") + b"--b0undary--\r\n"])
    got = asyncio.run(uploads.receive(request, files, WHATSAPP, 16_000_000))
    assert (got.attachment.mime_type, got.attachment.kind) == ("application/pdf",
                                                               Kind.DOCUMENT)


def test_an_upload_whose_process_died_is_pruned_after_an_hour(tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(UTC))
    files = DiskOutgoingFiles(tmp_path, clock)
    finished = files.begin()
    finished.write(b"sent later")
    key = finished.keep()
    files.begin().write(b"half a fi")  # never kept nor discarded: its process died
    assert files.prune() == 0
    clock.advance(3601 + 60)
    assert files.prune() == 1
    assert [p.name for p in tmp_path.iterdir()] == [key]
