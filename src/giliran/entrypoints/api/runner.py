"""Where use cases run: one thread hop per request, writers in first-come order.

Writers are serialized by the database anyway (one SQLite write lock, one advisory lock on
PostgreSQL). Sending them to a small dedicated pool keeps them in arrival order (a contended
lock hands itself out in no particular order, which showed up as tail latency), keeps their
connections warm, and leaves the shared thread pool to readers.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from giliran.service.ports import UnitOfWork, UnitOfWorkFactory

P = ParamSpec("P")
R = TypeVar("R")


WRITER_THREADS = "giliran-writer"
SHARED_POOL = "AnyIO worker thread"  # the threads run_in_threadpool and sync routes use


class Runner:
    def __init__(self, writer_threads: int) -> None:
        self._writers = ThreadPoolExecutor(writer_threads, thread_name_prefix=WRITER_THREADS)

    async def write(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writers, functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await run_in_threadpool(fn, *args, **kwargs)

    def close(self) -> None:
        self._writers.shutdown(wait=True)


class OffTheWriterPath(RuntimeError):
    """A writing unit of work opened on the event loop or on the shared thread pool."""


class WritesOnWriterPath:
    """The server's unit-of-work factory, refusing a writing unit of work opened where no
    server write belongs: on the event loop (it would block every request while it waits for
    the write lock) or on the shared thread pool (it would contend with the writer threads
    for that lock out of arrival order). Other threads (a test's, the CLI's) are not the
    server's and pass."""

    inner: UnitOfWorkFactory

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self.inner = inner.inner if isinstance(inner, WritesOnWriterPath) else inner

    def __call__(self, *, write: bool, defer_lock: bool = False) -> UnitOfWork:
        if write:
            where = _off_the_writer_path()
            if where is not None:
                raise OffTheWriterPath(f"a write opened on {where}; run it with Runner.write")
        return self.inner(write=write, defer_lock=defer_lock)


def _off_the_writer_path() -> str | None:
    name = threading.current_thread().name
    if name.startswith(WRITER_THREADS):
        return None  # every write of the server: decided without asking for a loop
    if name.startswith(SHARED_POOL):
        return "the shared thread pool"
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None  # a thread that is not the server's (a test's, the CLI's)
    return "the event loop"
