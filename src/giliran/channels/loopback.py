"""What the tests' stand-in servers on loopback share (the fake Bot API, the fake Graph API, the
webhook receiver): a threaded HTTP server on a free port, and a handler that answers in one
segment and logs nothing."""

from __future__ import annotations

import threading
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
