"""An agent's file, read from a multipart/form-data request as it arrives.

The parts stream through python-multipart's parser: the `file` part goes straight into the
outgoing files (OutgoingFiles.begin), never whole into memory, and the read stops the moment
the file passes the most its channel takes for its kind (or the server's own cap), with 413
`too_large`; a type the channel refuses stops it at the part's headers, with 415. Only then,
with the file kept for good, does the route write the reply that refers to it.
"""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from giliran.domain import attachments
from giliran.domain.attachments import Attachment
from giliran.domain.conversation import Kind
from giliran.domain.errors import InvalidInput, UnsupportedMediaType
from giliran.service.ports.files import OutgoingFiles, Upload

if TYPE_CHECKING:  # a typing-only name in python-multipart
    from python_multipart.multipart import MultipartCallbacks

FILE, TEXT = "file", "text"
LONGEST_FIELD = 16 * 1024  # bytes of a text part (a caption is at most 1024 characters)


@dataclass
class Received:
    text: str | None
    attachment: Attachment


async def receive(request: Request, files: OutgoingFiles, channel: str,
                  server_cap: int) -> Received:
    """The caption and the file, kept under its key; nothing kept when anything is refused."""
    boundary = parse_options_header(request.headers.get("content-type", ""))[1].get(b"boundary")
    if not boundary:
        raise InvalidInput("a multipart body needs its boundary")
    reader = _Reader(files, channel, server_cap)
    parser = MultipartParser(boundary, reader.callbacks(), max_header_count=8)
    try:
        async for chunk in request.stream():
            # Writing to disk blocks: off the event loop, one chunk at a time.
            await asyncio.to_thread(parser.write, chunk)
        parser.finalize()
        return await asyncio.to_thread(reader.finish)
    except BaseException:
        reader.discard()
        raise


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    file_name: str | None = None
    text: bytearray = field(default_factory=bytearray)


class _Reader:
    def __init__(self, files: OutgoingFiles, channel: str, server_cap: int) -> None:
        self._files = files
        self._channel = channel
        self._server_cap = server_cap
        self._part = _Part()
        self._field = b""
        self._value = b""
        self._text: str | None = None
        self._upload: Upload | None = None
        self._file: tuple[str, str, Kind, int] | None = None  # type, name, kind, cap

    def callbacks(self) -> MultipartCallbacks:
        return {"on_part_begin": self._begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._data,
                "on_part_end": self._end}

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._part.headers[self._field.decode("latin-1").lower()] = \
            self._value.decode("latin-1")
        self._field = self._value = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._part.headers.get("content-disposition", ""))
        self._part.name = options.get(b"name", b"").decode("utf-8", "replace")
        found = options.get(b"filename")
        self._part.file_name = found.decode("utf-8", "replace") if found is not None else None
        if self._part.name == FILE:
            self._open_file()

    def _open_file(self) -> None:
        if self._upload is not None:
            raise InvalidInput("send one file per message")
        mime = attachments.clean_type(self._part.headers.get("content-type"))
        if mime == "application/octet-stream" and self._part.file_name:
            mime = mimetypes.guess_type(self._part.file_name)[0] or mime
        kind = attachments.kind_for(self._channel, mime)  # 415 before a byte is kept
        cap = attachments.cap_for(self._channel, kind, self._server_cap)
        self._file = (mime, attachments.clean_name(self._part.file_name, mime), kind, cap)
        self._upload = self._files.begin()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part.name == FILE:
            assert self._upload is not None and self._file is not None
            self._upload.write(data[start:end])
            attachments.check_size(self._upload.size, self._file[3])
        elif self._part.name == TEXT:
            self._part.text += data[start:end]
            if len(self._part.text) > LONGEST_FIELD:
                raise InvalidInput("the caption is too long")
        # Other parts are read past and forgotten, as a form's unknown fields are.

    def _end(self) -> None:
        if self._part.name == TEXT:
            try:
                self._text = self._part.text.decode("utf-8").strip() or None
            except UnicodeDecodeError:
                raise InvalidInput("the caption is not UTF-8 text") from None

    def finish(self) -> Received:
        if self._upload is None or self._file is None:
            raise InvalidInput("a multipart message needs a `file` part")
        mime, name, kind, _ = self._file
        if self._upload.size == 0:
            raise InvalidInput("the file is empty")
        if not attachments.looks_like(mime, self._upload.head):
            raise UnsupportedMediaType(f"the file is not what its type says ({mime})")
        size = self._upload.size
        key = self._upload.keep()
        return Received(self._text, Attachment(key, mime, name, size, kind))

    def discard(self) -> None:
        if self._upload is not None:
            self._upload.discard()
