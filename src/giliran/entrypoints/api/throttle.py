"""Rate limits at the edge, per client address (429 with Retry-After).

- Failed authentication (a wrong bearer token, webhook secret or signature, metrics token):
  every failure is counted in the database (service/limits.py), so the limit holds across
  processes and replicas. Past the limit, this process remembers the address until the
  window ends and answers 429 from memory, before looking at any token: a brute-forcer
  costs no database work, and a right guess is refused like a wrong one. Another process
  learns it on the address's next failure there, so all of them together let through at
  most the limit plus one failure per process in a window.
- The inbound webhooks (WhatsApp, Telegram): every call is counted.

The address is the one uvicorn reports: the peer, or X-Forwarded-For from a proxy trusted
with --forwarded-allow-ips (FORWARDED_ALLOW_IPS, default 127.0.0.1).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from giliran.domain.errors import TooManyRequests
from giliran.entrypoints.api.runner import Runner
from giliran.service import limits
from giliran.service.context import Context

MAX_REMEMBERED = 10_000


class Throttle:
    def __init__(self, ctx: Context, runner: Runner, failures_per_minute: int,
                 webhook_calls_per_minute: int) -> None:
        self._ctx = ctx
        self._run = runner  # counting writes: on the writer path, like every write
        self._failures = failures_per_minute
        self._calls = webhook_calls_per_minute
        self._blocked: dict[str, float] = {}  # address -> until (clock seconds)

    def check(self, request: HTTPConnection) -> None:
        """429 while this address is over its failure limit."""
        if not self._blocked:
            return
        address = client_address(request)
        until = self._blocked.get(address)
        if until is None:
            return
        left = until - self._ctx.clock.now().timestamp()
        if left > 0:
            raise TooManyRequests("too many failed authentications from this address",
                                  int(left) + 1)
        del self._blocked[address]

    async def failed(self, request: HTTPConnection) -> None:
        """Count a failed authentication; 429 when it is one too many."""
        if self._failures <= 0:
            return
        address = client_address(request)
        count = await self._run.write(limits.hit, self._ctx, "auth:" + address)
        if count.hits > self._failures:
            self._remember(address, count.window_left)
            raise TooManyRequests("too many failed authentications from this address",
                                  count.window_left)

    async def webhook_call(self, request: HTTPConnection) -> None:
        """Count a call to an inbound webhook; 429 past the limit."""
        self.check(request)
        if self._calls <= 0:
            return
        count = await self._run.write(limits.hit, self._ctx,
                                      "webhook:" + client_address(request))
        if count.hits > self._calls:
            raise TooManyRequests("too many webhook calls from this address",
                                  count.window_left)

    def _remember(self, address: str, seconds: int) -> None:
        now = self._ctx.clock.now().timestamp()
        if len(self._blocked) >= MAX_REMEMBERED:
            self._blocked = {a: u for a, u in self._blocked.items() if u > now}
        self._blocked[address] = now + seconds


def client_address(request: HTTPConnection) -> str:
    return request.client.host if request.client is not None else "unknown"
