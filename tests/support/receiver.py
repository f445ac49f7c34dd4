"""A local webhook receiver: an HTTP server on loopback that records what it is sent and can
be told to fail, standing in for another company's system."""

from __future__ import annotations

from dataclasses import dataclass, field

from giliran.channels.loopback import Loopback, QuietHandler


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    failures_left: int = 0  # answer 500 to this many requests first
    always_fail: bool = False
    received: list[Received] = field(default_factory=list)
    _server: Loopback | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"{self._server.url}/hook"

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers), body))
                failing = receiver.always_fail or receiver.failures_left > 0
                receiver.failures_left = max(0, receiver.failures_left - 1)
                self.send_response(500 if failing else 204)
                self.end_headers()

        self._server = Loopback(Handler, backlog=256)  # senders post in bursts
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.stop()
