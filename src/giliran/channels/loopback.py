"""What the tests' stand-in servers on loopback share (the fake Bot API, the fake Graph API, the
webhook receiver): a threaded HTTP server on a free port, a handler that answers in one
segment and logs nothing, and a reader of multipart/form-data bodies (files sent to them)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: two small writes on a kept-alive connection meet
    # Nagle and delayed ACKs, 40 ms a request that the real services never add.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def reply(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Loopback:
    """A server on 127.0.0.1 and a free port, serving in a thread until `stop`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, backlog: int = 5) -> None:
        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": backlog,
                                                               "daemon_threads": True})
        self.server: ThreadingHTTPServer = server_class(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class FormPart:
    """One part of a multipart/form-data body, as the stand-in servers read it."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode()


def form_parts(content_type: str, raw: bytes) -> dict[str, FormPart]:
    """The parts of a multipart/form-data body (RFC 7578), by name, read as the real services
    read them: split at the boundary the Content-Type names, each part's headers, then its
    bytes exactly as sent."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if found is None:
        raise ValueError("no boundary")
    parts: dict[str, FormPart] = {}
    for chunk in raw.split(b"--" + found.group(1).encode())[1:]:
        if chunk.startswith(b"--"):  # the closing delimiter
            break
        head, _, body = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name is not None:
            parts[name.group(1)] = FormPart(name.group(1),
                                            filename.group(1) if filename else None,
                                            headers.get("content-type"),
                                            body.removesuffix(b"\r\n"))
    return parts
