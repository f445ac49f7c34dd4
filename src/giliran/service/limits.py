"""Rate limits per client address that hold across worker processes and replicas.

Counted in the database (one upsert per hit) because that is what every process and
replica already shares; no Redis to run. A hit costs a small write, so the server counts
only what is rare or already costly: failed authentications (a brute-forcer is then answered
from memory, see entrypoints/api/throttle.py), failed sign-ins and calls to the inbound
webhooks.

Windows slide: the hits of the current fixed window plus those of the window before,
weighted by how much of it the last `window` seconds still cover (a sliding-window counter).
A fixed window alone forgets everything at its end, so a limit reached a second before it
lasted a second; now a key over its limit stays refused until its recent rate falls back
under it. Each fixed window is its own row (`<key>/<start>`), so the previous one is still
there to weigh; `prune` forgets windows older than an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from giliran.service.context import Context

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Count:
    """What was counted for a key: `current` hits in the fixed window that began `elapsed`
    seconds ago, `previous` in the one before it, each `window` seconds long."""

    current: int
    previous: int
    elapsed: int
    window: int

    @property
    def hits(self) -> int:
        """Hits over the last `window` seconds (the sliding estimate)."""
        return self.hits_after(0)

    def hits_after(self, seconds: int) -> int:
        """The sliding estimate `seconds` from now, with no hit in between."""
        at = self.elapsed + seconds
        if at >= 2 * self.window:
            return 0
        current, previous = ((self.current, self.previous) if at < self.window
                             else (0, self.current))
        into = at % self.window
        return current + previous * (self.window - into) // self.window

    def wait(self, limit: int) -> int:
        """Seconds, with no further hit, until fewer than `limit` hits are counted (at
        least 1): the Retry-After of a key refused at `limit`. The estimate only falls as
        time passes, so the first such second is found by halving."""
        low, high = 1, 2 * self.window  # after two windows nothing is counted
        while low < high:
            middle = (low + high) // 2
            if self.hits_after(middle) < limit:
                high = middle
            else:
                low = middle + 1
        return low


def hit(ctx: Context, key: str, window: int = WINDOW_SECONDS) -> Count:
    """One hit for `key`, in a transaction of its own that needs no floor lock; `window`
    seconds (fixed windows from the epoch, weighed as one sliding window)."""
    with ctx.uow(write=True, defer_lock=True) as uow:
        now = int(ctx.clock.now().timestamp())
        start = now - now % window
        current = uow.rate_limits.hit(_row(key, start), start)
        previous = uow.rate_limits.hits(_row(key, start - window), start - window)
        uow.commit()
    return Count(current, previous, now - start, window)


def seen(ctx: Context, key: str, window: int = WINDOW_SECONDS) -> Count:
    """What is counted for `key` now, counting no hit. Reads only."""
    with ctx.uow(write=False) as uow:
        now = int(ctx.clock.now().timestamp())
        start = now - now % window
        current = uow.rate_limits.hits(_row(key, start), start)
        previous = uow.rate_limits.hits(_row(key, start - window), start - window)
    return Count(current, previous, now - start, window)


def prune(ctx: Context, keep: timedelta = timedelta(hours=1)) -> int:
    with ctx.uow(write=True, defer_lock=True) as uow:
        removed = uow.rate_limits.prune(int((ctx.clock.now() - keep).timestamp()))
        uow.commit()
    return removed


def _row(key: str, start: int) -> str:
    return f"{key}/{start}"
