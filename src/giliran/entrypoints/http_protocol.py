"""uvicorn's httptools protocol with the limits it lacks, and the config that carries them.

uvicorn's default protocol (httptools) accepts a request head of any size (a 300 MB header
was parsed, in memory, and answered 200) and has no timeout while a head arrives: a client
that connects and sends half a request keeps its connection, and its file descriptor, for as
long as it likes. `GuardedHttpTools` adds, per connection:
- a head (request line and headers) of at most `max_header_bytes`, counted as the bytes
  arrive, so an oversized head is refused after at most one more read; and at most
  `max_headers` header lines (431 either way);
- `header_timeout_seconds` from the connection's start, or from a request's first byte, to
  its last header line (408 and close): slowloris clients are cut off;
- at most `max_connections` open connections per process: one more is answered 503 and
  closed at once, before the process runs out of file descriptors.
Keep-alive idleness is uvicorn's own `timeout_keep_alive`. Answers are JSON, like every
error giliran gives.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from giliran.config import Settings
from giliran.entrypoints.api.edge import EdgeLimits
from giliran.entrypoints.api.errors import error_body

PROTOCOL = "giliran.entrypoints.http_protocol:GuardedHttpTools"
APP = "giliran.entrypoints.api.app:create_app"  # what uvicorn names in its logs
LINGER_SECONDS = 2.0
REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large",
           503: b"Service Unavailable"}


class ServerConfig(uvicorn.Config):
    """uvicorn's config with giliran's settings and edge limits. uvicorn pickles its config to
    start each worker process, so the settings `serve` settled (a generated admin token
    included) reach every worker with it: no worker reads them from the environment again."""

    def __init__(self, settings: Settings, *, edge: EdgeLimits, **kwargs: Any) -> None:
        super().__init__(APP, factory=True, http=PROTOCOL, **kwargs)
        self.settings = settings
        self.edge = edge

    def load_app(self) -> Any:
        """The app factory, with these settings (uvicorn calls it: `factory=True`)."""
        from giliran.entrypoints.api.app import create_app

        return functools.partial(create_app, settings=self.settings)


class GuardedHttpTools(HttpToolsProtocol):
    def __init__(self, config: uvicorn.Config, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits: EdgeLimits = getattr(config, "edge", None) or EdgeLimits()
        self._in_head = True
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(503, "overloaded", "too many open connections; try again shortly")
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._in_head and not self._refused:
            # The head is still incomplete after this read: it counts whole. (A read that
            # also began a body is counted only when a new head started in it, by at most
            # one read's worth; the exact size is checked when the head completes.)
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse(431, "headers_too_large", "the request head may be at most "
                             f"{self.limits.max_header_bytes} bytes", linger=True)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        if self._head_timer is None:
            self._arm_head_timer()

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._in_head = False
        self._disarm_head_timer()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes or len(self.headers) > self.limits.max_headers:
            self._refuse(431, "headers_too_large",
                         f"the request head may be at most {self.limits.max_header_bytes} "
                         f"bytes in at most {self.limits.max_headers} header lines",
                         linger=True)
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.header_timeout_seconds,
                                                self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self._refused:
            self._refuse(408, "request_timeout", "the request head did not arrive within "
                         f"{self.limits.header_timeout_seconds:g} s")

    def _refuse(self, status: int, code: str, message: str, *, linger: bool = False) -> None:
        """Answer (unless a response to an earlier request is still being written) and close.
        With `linger`, the rest of what the client is sending is read and dropped for a moment
        after our answer (as nginx's lingering close does): closing with unread data would
        reset the connection, and the client could lose the answer."""
        self._refused = True
        self._disarm_head_timer()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            body = orjson.dumps(error_body(code, message))
            self.transport.write(b"".join([
                b"HTTP/1.1 %d %s\r\n" % (status, REASONS[status]),
                b"content-type: application/json\r\n",
                b"content-length: %d\r\n" % len(body),
                b"connection: close\r\n\r\n", body]))
        if linger and self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
