"""Every write of the server runs on the writer threads (Runner.write): a writing unit of
work opened on the event loop or on the shared thread pool is refused where it happens, so a
route, a socket or a background task that forgot the runner fails its tests (the suite's
servers, schemathesis included, run with the check) instead of blocking the loop."""

from __future__ import annotations

import asyncio

import pytest
from starlette.concurrency import run_in_threadpool

from giliran.adapters.memory import InMemoryStore
from giliran.entrypoints.api.runner import OffTheWriterPath, Runner, WritesOnWriterPath


def _write(factory: WritesOnWriterPath) -> str:
    with factory(write=True) as uow:
        uow.commit()
    return "written"


def _read(factory: WritesOnWriterPath) -> str:
    with factory(write=False):
        return "read"


def test_writes_run_on_the_writer_threads_and_nowhere_else_in_the_server() -> None:
    factory = WritesOnWriterPath(InMemoryStore())
    runner = Runner(1)

    async def server() -> None:
        assert await runner.write(_write, factory) == "written"
        assert await runner.read(_read, factory) == "read"  # reads may go anywhere
        assert _read(factory) == "read"
        with pytest.raises(OffTheWriterPath, match="the event loop"):
            _write(factory)
        with pytest.raises(OffTheWriterPath, match="the shared thread pool"):
            await run_in_threadpool(_write, factory)
    try:
        asyncio.run(server())
    finally:
        runner.close()
    assert _write(factory) == "written", "a thread of its own (a test's, the CLI's) is not " \
                                         "the server's"
    assert WritesOnWriterPath(factory).inner is factory.inner, "wrapped once"
