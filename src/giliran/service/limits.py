"""Rate limits per client address that hold across worker processes and replicas.

Counted in the database (one upsert, fixed one-minute windows) because that is what every
process and replica already shares; no Redis to run. A hit costs a small write, so the
server counts only what is rare or already costly: failed authentications (a brute-forcer
is then answered from memory, see entrypoints/api/throttle.py) and calls to the inbound
webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from giliran.service.context import Context

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Count:
    hits: int  # in the current window, this one included
    window_left: int  # seconds until the window ends


def hit(ctx: Context, key: str, window: int = WINDOW_SECONDS) -> Count:
    """One hit for `key`, in a transaction of its own that needs no floor lock; `window`
    seconds (fixed windows from the epoch; a key keeps one window length)."""
    with ctx.uow(write=True, defer_lock=True) as uow:
        now = int(ctx.clock.now().timestamp())
        start = now - now % window
        hits = uow.rate_limits.hit(key, start)
        uow.commit()
    return Count(hits, max(1, start + window - now))


def seen(ctx: Context, key: str, window: int = WINDOW_SECONDS) -> Count:
    """The hits for `key` in the current window, counting none. Reads only."""
    with ctx.uow(write=False) as uow:
        now = int(ctx.clock.now().timestamp())
        start = now - now % window
        hits = uow.rate_limits.hits(key, start)
    return Count(hits, max(1, start + window - now))


def prune(ctx: Context, keep: timedelta = timedelta(hours=1)) -> int:
    with ctx.uow(write=True, defer_lock=True) as uow:
        removed = uow.rate_limits.prune(int((ctx.clock.now() - keep).timestamp()))
        uow.commit()
    return removed
