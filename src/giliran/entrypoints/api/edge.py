"""The edge of the HTTP server: limits that hold before anything is buffered.

`EdgeGuard` is the outermost ASGI middleware of the app. For every HTTP request it
- refuses a NUL in the path or the query string (422): PostgreSQL cannot store one in text,
  and SQLite would store what PostgreSQL refuses, so both databases answer alike;
- refuses a declared Content-Length over the limit at once (413), and counts the body as it
  streams (chunked bodies declare no length), so at most the limit is ever read: the 413 is
  raised from `receive` the moment the count passes it, whoever is reading (FastAPI's body
  parsing, a webhook's signature check);
- gives the whole body `body_timeout` seconds to arrive once the app asks for it (408): a
  client that trickles a body holds a request slot, not the server;
- caps the requests in flight in this process (503 `overloaded`, Retry-After);
- marks every API answer `Cache-Control: no-store`: API answers are per caller, and some
  carry a token (a new agent's, a Telegram link code).

Header size, header count, slow headers and open connections are the HTTP protocol's part
(see `giliran.entrypoints.http_protocol`): they are over before an ASGI app sees a request.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from giliran.config import Settings
from giliran.entrypoints.api.errors import error_body
from giliran.entrypoints.api.root import root_in

API_PREFIX = "/api/v1"
NO_STORE = (b"cache-control", b"no-store")
# The one route that takes files (an agent's attachment): its body may hold the upload cap
# plus the multipart envelope (boundaries, part headers, a caption).
UPLOAD = re.compile(r"/api/v1/tickets/\d{1,10}/messages")
ENVELOPE = 64 * 1024


@dataclass(frozen=True)
class EdgeLimits:
    """Per worker process. docs/operations.md ("Limits") says what each one defends against."""

    max_body_bytes: int = 1_000_000
    body_timeout_seconds: float = 30.0
    max_concurrent_requests: int = 256
    max_header_bytes: int = 32_768
    max_headers: int = 100
    header_timeout_seconds: float = 10.0
    max_connections: int = 1000
    max_upload_bytes: int = 16_000_000

    def body_limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and UPLOAD.fullmatch(scope["path"]):
            return max(self.max_body_bytes, self.max_upload_bytes + ENVELOPE)
        return self.max_body_bytes

    @classmethod
    def of(cls, s: Settings) -> EdgeLimits:
        return cls(max_body_bytes=s.max_body_bytes, body_timeout_seconds=s.body_timeout_seconds,
                   max_concurrent_requests=s.max_concurrent_requests,
                   max_header_bytes=s.max_header_bytes, max_headers=s.max_headers,
                   header_timeout_seconds=s.header_timeout_seconds,
                   max_connections=s.max_connections, max_upload_bytes=s.upload_max_bytes)


class RequestRefused(HTTPException):
    """Raised from `receive` while the app reads a body. A Starlette HTTPException, because
    FastAPI re-raises those from its body parsing (anything else it turns into a 400); the
    one error mapper (errors.py) answers it with `code`."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers)
        self.code = code


class EdgeGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root = root_in(scope)
        limits = root.edge if root is not None else EdgeLimits()
        early = _early_refusal(scope, limits)
        if early is None and self.in_flight >= limits.max_concurrent_requests:
            early = JSONResponse(error_body("overloaded", "too many requests in flight; "
                                              "try again shortly"), 503, {"Retry-After": "1"})
        if early is not None:
            if scope["path"].startswith(API_PREFIX):
                early.headers["Cache-Control"] = "no-store"
            await early(scope, receive, send)
            return
        self.in_flight += 1
        try:
            body = _CountedBody(receive, limits, limits.body_limit(scope))
            if scope["path"].startswith(API_PREFIX):
                await self.app(scope, body, _no_store(send))
            else:
                await self.app(scope, body, send)
        finally:
            self.in_flight -= 1


def _early_refusal(scope: Scope, limits: EdgeLimits) -> JSONResponse | None:
    if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
        where = "path" if "\x00" in scope["path"] else "query"
        return JSONResponse(error_body(
            "invalid_request", "the request is not valid",
            [{"loc": [where], "msg": "must not contain NUL characters", "type": "nul"}]), 422)
    most = limits.body_limit(scope)
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit() or int(value) > most:
                return JSONResponse(error_body(
                    "payload_too_large", f"the body may be at most {most} bytes"), 413)
            break
    return None


class _CountedBody:
    """`receive` that counts the body while it streams and gives it a deadline."""

    def __init__(self, receive: Receive, limits: EdgeLimits, most: int) -> None:
        self._receive = receive
        self._most = most
        self._left = most
        self._limits = limits
        self._deadline: float | None = None
        self._done = False

    async def __call__(self) -> Message:
        if self._done:  # after the body: only the disconnect, which may take as long as it likes
            return await self._receive()
        if self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + \
                self._limits.body_timeout_seconds
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            raise RequestRefused(408, "request_timeout", "the body did not arrive within "
                                 f"{self._limits.body_timeout_seconds:g} s",
                                 {"Connection": "close"}) from None
        if message["type"] != "http.request":
            self._done = True
            return message
        self._left -= len(message.get("body", b""))
        if self._left < 0:
            self._done = True
            raise RequestRefused(413, "payload_too_large", "the body may be at most "
                                 f"{self._most} bytes")
        if not message.get("more_body", False):
            self._done = True
        return message


def _no_store(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            if not any(name.lower() == b"cache-control" for name, _ in headers):
                message["headers"] = [*headers, NO_STORE]
        await send(message)
    return sending
