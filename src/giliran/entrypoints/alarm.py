"""An event a loop task waits on and any thread may set: commits publish from the writer
threads, and the task that reacts (the event hub, a sender) runs in the event loop."""

from __future__ import annotations

import asyncio
import contextlib


class Alarm:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def arm(self) -> None:
        """From the loop that waits (before the first `ring` can matter)."""
        self._loop = asyncio.get_running_loop()

    def ring(self) -> None:
        """From any thread. Once rung, further rings before the waiter wakes cost nothing (a
        stream of commits, one wake); after the loop closed (the server stopped, its container
        may live on) they do nothing."""
        loop = self._loop
        if loop is None or self._event.is_set() or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and now
            loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout: float) -> bool:
        """Whether it rang within `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        return self._event.is_set()
