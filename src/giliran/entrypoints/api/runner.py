"""Where use cases run: one thread hop per request, writers in first-come order.

Writers are serialized by the database anyway (one SQLite write lock, one advisory lock on
PostgreSQL). Sending them to a small dedicated pool keeps them in arrival order (a contended
lock hands itself out in no particular order, which showed up as tail latency), keeps their
connections warm, and leaves the shared thread pool to readers.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
R = TypeVar("R")


class Runner:
    def __init__(self, writer_threads: int) -> None:
        self._writers = ThreadPoolExecutor(writer_threads, thread_name_prefix="giliran-writer")

    async def write(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writers, functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await run_in_threadpool(fn, *args, **kwargs)

    def close(self) -> None:
        self._writers.shutdown(wait=True)
