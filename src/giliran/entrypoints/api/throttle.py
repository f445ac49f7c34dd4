"""Rate limits at the edge, per client address (429 with Retry-After).

- Failed authentication (a wrong bearer token, webhook secret or signature, metrics token):
  every failure is counted in the database (service/limits.py), so the limit holds across
  processes and replicas. Past the limit, this process remembers the address until its
  count falls back under the limit and answers 429 from memory, before looking at any
  token: a brute-forcer costs no database work, and a right guess is refused like a wrong
  one. Another process learns it on the address's next failure there, so all of them
  together let through at most the limit plus one failure per process in a window.
- The inbound webhooks (WhatsApp, Telegram): every call is counted.
- Failed sign-ins, per account (the email as typed, whether or not it has an account, so the
  answer never tells) and per address, over the last 15 minutes: from the third failure the
  answer is slowed (0.25 s, doubling, at most 4 s); from the tenth on an account (the 30th
  from an address) sign-ins there are refused with 429 and Retry-After until the count
  falls back under the limit, the right password too (checked against the shared counts
  before a session opens, so on every process and replica). The windows slide, so a
  lockout reached just before a quarter-hour ends does not end with it.

The address is the one uvicorn reports: the peer, or X-Forwarded-For from a proxy trusted
with --forwarded-allow-ips (FORWARDED_ALLOW_IPS, default 127.0.0.1).
"""

from __future__ import annotations

import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from giliran.domain.errors import TooManyRequests
from giliran.domain.people import Failures
from giliran.entrypoints.api.runner import Runner
from giliran.service import limits
from giliran.service.context import Context

MAX_REMEMBERED = 10_000


class Throttle:
    def __init__(self, ctx: Context, runner: Runner, failures_per_minute: int,
                 webhook_calls_per_minute: int, sign_in: Failures | None = None) -> None:
        self._ctx = ctx
        self._run = runner  # counting writes: on the writer path, like every write
        self._failures = failures_per_minute
        self._calls = webhook_calls_per_minute
        self._blocked: dict[str, float] = {}  # address or sign-in key -> until (clock secs)
        self._sign_in = sign_in or Failures()

    def check(self, request: HTTPConnection) -> None:
        """429 while this address is over its failure limit."""
        if not self._blocked:
            return
        left = self._refused(client_address(request))
        if left:
            raise TooManyRequests("too many failed authentications from this address", left)

    async def failed(self, request: HTTPConnection) -> None:
        """Count a failed authentication; 429 when it is one too many."""
        if self._failures <= 0:
            return
        address = client_address(request)
        count = await self._run.write(limits.hit, self._ctx, "auth:" + address)
        if count.hits > self._failures:
            wait = count.wait(self._failures + 1)
            self._remember(address, wait)
            raise TooManyRequests("too many failed authentications from this address", wait)

    async def webhook_call(self, request: HTTPConnection) -> None:
        """Count a call to an inbound webhook; 429 past the limit."""
        self.check(request)
        if self._calls <= 0:
            return
        count = await self._run.write(limits.hit, self._ctx,
                                      "webhook:" + client_address(request))
        if count.hits > self._calls:
            raise TooManyRequests("too many webhook calls from this address",
                                  count.wait(self._calls + 1))

    def sign_in_allowed(self, request: HTTPConnection, email: str) -> None:
        """429 while the account or the address is refused."""
        for key, _ in self._sign_in_limits(request, email):
            left = self._refused(key)
            if left:
                raise TooManyRequests(REFUSED, left)

    async def sign_in_not_refused(self, request: HTTPConnection, email: str) -> None:
        """Before a right password opens a session: 429 when the failures counted by any
        process or replica refuse the account or the address (this process may have seen
        none of them). One read, on a sign-in that already cost an Argon2 check."""
        window = int(self._sign_in.window.total_seconds())
        refused = []
        for key, most in self._sign_in_limits(request, email):
            count = await run_in_threadpool(limits.seen, self._ctx, key, window)
            if count.hits >= most:
                self._remember(key, count.wait(most))
                refused.append(count.wait(most))
        if refused:
            raise TooManyRequests(REFUSED, max(refused))

    async def sign_in_failed(self, request: HTTPConnection, email: str) -> float:
        """Count a failed sign-in; the seconds to wait before answering, or 429 when it is
        one too many."""
        window = int(self._sign_in.window.total_seconds())
        counts = [(key, most, await self._run.write(limits.hit, self._ctx, key, window))
                  for key, most in self._sign_in_limits(request, email)]
        over = [(key, count.wait(most)) for key, most, count in counts if count.hits >= most]
        for key, wait in over:
            self._remember(key, wait)
        if over:
            raise TooManyRequests(REFUSED, max(wait for _, wait in over))
        return self._sign_in.delay(counts[0][2].hits)  # slowed by the account's failures

    def _sign_in_limits(self, request: HTTPConnection,
                        email: str) -> tuple[tuple[str, int], tuple[str, int]]:
        """The account's key and limit, then the address's."""
        account, address = _sign_in_keys(request, email)
        return ((account, self._sign_in.refuse_after), (address, self._sign_in.per_address))

    def _refused(self, key: str) -> int:
        """Seconds this process still refuses `key` (0: not refused; a lapsed entry goes)."""
        until = self._blocked.get(key)
        if until is None:
            return 0
        left = until - self._ctx.clock.now().timestamp()
        if left > 0:
            return int(left) + 1
        del self._blocked[key]
        return 0

    def _remember(self, address: str, seconds: int) -> None:
        now = self._ctx.clock.now().timestamp()
        if len(self._blocked) >= MAX_REMEMBERED:
            self._blocked = {a: u for a, u in self._blocked.items() if u > now}
        self._blocked[address] = now + seconds


REFUSED = "too many failed sign-ins; try again later"


def _sign_in_keys(request: HTTPConnection, email: str) -> tuple[str, str]:
    # The email as typed, hashed: any length fits the counters' key column (200 characters;
    # PostgreSQL refused a longer one with a 500), and the table holds no one's address.
    typed = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    return "signin:" + typed, "signin@" + client_address(request)


def client_address(request: HTTPConnection) -> str:
    return request.client.host if request.client is not None else "unknown"
