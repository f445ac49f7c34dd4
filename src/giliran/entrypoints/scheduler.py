"""The in-process scheduler: a task in every server process that runs the timer pass every
GILIRAN_TICK_SECONDS. Several processes and replicas may all run it; the pass itself makes
sure each move happens once (see giliran.service.assignment.timers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from giliran.entrypoints.alarm import Alarm
from giliran.service import limits
from giliran.service.assignment import reach
from giliran.service.assignment.timers import (
    TickReport,
    anything_due,
    has_orphans,
    rescue_orphans,
    tick,
)
from giliran.service.context import Context
from giliran.service.events import outbox, stream
from giliran.service.events.outbox import Claim
from giliran.service.notices import notify
from giliran.service.ports import Committed
from giliran.service.reports import floor_day

log = logging.getLogger("giliran.scheduler")
ORPHAN_CHECK_SECONDS = 60.0  # a full look at the held tickets; the rules never need it
# The day's figures are folded this often, so the workload reads at most this much work's
# additions beside the packed rows (adapters/sql/daybook.py).
FOLD_SECONDS = 30.0

# Runs a blocking function off the event loop (the writer thread, or the shared pool).
Runs = Callable[..., Awaitable[Any]]


class Scheduler:
    def __init__(self, ctx: Context, run_write: Runs, interval: float,
                 keep_events: timedelta = timedelta(hours=72),
                 run_read: Runs | None = None,
                 prune_files: Callable[[], int] | None = None) -> None:
        self._ctx = ctx
        # Files past their retention (customers' media) go even if nobody opens a file again.
        self._prune_files = prune_files
        # Looks that find nothing to do most of the time run as reads, off the writer thread.
        self._run_read = run_read or run_write
        self._keep_events = keep_events
        self._run_write = run_write
        self._interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="giliran-scheduler")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _loop(self) -> None:
        next_orphan_check = next_fold = 0.0
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            if loop.time() >= next_orphan_check:
                next_orphan_check = loop.time() + ORPHAN_CHECK_SECONDS
                await self._rescue_orphans()
                await self._prune_events()
            if loop.time() >= next_fold:
                next_fold = loop.time() + FOLD_SECONDS
                await self._fold_figures()
            try:
                report = TickReport()
                if await self._run_read(anything_due, self._ctx):
                    report = await self._run_write(tick, self._ctx)
            except Exception:
                # The database may be restarting; the next pass picks up whatever is due,
                # because every deadline is derived from stored timestamps.
                log.exception("timer pass failed; retrying in %.1f s", self._interval)
            else:
                if report.moves:
                    log.info("timer pass: %s", report)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    async def _rescue_orphans(self) -> None:
        try:
            found = 0
            if await self._run_read(has_orphans, self._ctx):
                found = await self._run_write(rescue_orphans, self._ctx)
        except Exception:
            log.exception("orphan check failed")
        else:
            if found:
                log.error("found %d orphaned ticket(s); requeued them (history: orphaned)",
                          found)
        try:
            moved = 0
            if await self._run_read(reach.needs_sweep, self._ctx):
                moved = await self._run_write(reach.sweep, self._ctx)
        except Exception:
            log.exception("reachability check failed")
        else:
            if moved:
                log.warning("found %d ticket(s) nobody could take, or that could be taken "
                            "again; flagged or released them (history: unreachable, "
                            "reachable, pickup_off)", moved)

    async def _fold_figures(self) -> None:
        try:
            await self._run_write(floor_day.compact, self._ctx)
        except Exception:
            log.exception("folding the day's figures failed; the next pass folds them")

    async def _prune_events(self) -> None:
        try:
            await self._run_write(stream.prune, self._ctx, self._keep_events)
            await self._run_write(outbox.prune, self._ctx, self._keep_events)
            await self._run_write(notify.prune, self._ctx, self._keep_events)
            await self._run_write(limits.prune, self._ctx)
            if self._prune_files is not None:
                await asyncio.to_thread(self._prune_files)
        except Exception:
            log.exception("pruning old events failed")


class OutboxLoop:
    """A loop that sends what an outbox holds, in its own task, so a slow receiver never holds
    up the timers. Every process may run one; leases keep them from sending the same thing at
    once. It hears the commit signal (`committed`): a commit that gives it work runs a pass
    now; the interval only catches what no signal announced (SQLite's other processes, a
    retry coming due)."""

    BATCH = 50
    NAME = "giliran-outbox"
    GAP = 0.005  # seconds of rest after a pass, so a stream of commits shares passes
    # Whether anyone subscribes (from the last pass): a commit's events wake only a loop that
    # listens, so a floor with no webhooks or linked chats pays nothing per commit (work queued
    # for it, a customer's reply, wakes it all the same: Committed.gives_work).
    listening = True

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._stop = asyncio.Event()
        self._alarm = Alarm()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._alarm.arm()
        self._task = asyncio.create_task(self._loop(), name=self.NAME)

    def committed(self, commit: Committed) -> None:
        """A subscriber of the commit signal, run in the committing thread."""
        if commit.gives_work(self.listening):
            self._alarm.ring()

    async def stop(self) -> None:
        self._stop.set()
        self._alarm.ring()
        if self._task is not None:
            await self._task
        await self.aclose()

    async def run_once(self) -> int:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release what the loop sends with."""

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            self._alarm.clear()  # a commit from here on may have work this pass misses
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("%s pass failed; retrying", self.NAME)
                sent = 0
            if sent < self.BATCH:
                rested = loop.time() + self.GAP
                await self._alarm.wait(self._interval)
                await asyncio.sleep(max(0.0, rested - loop.time()))


class WebhookSending(Protocol):
    """What the deliverer needs of the HTTP sender (bootstrap builds it)."""

    async def send(self, claim: Claim) -> str | None: ...
    async def aclose(self) -> None: ...


class Deliverer(OutboxLoop):
    """Sends webhook deliveries from the outbox."""

    NAME = "giliran-deliverer"

    def __init__(self, ctx: Context, run_write: Runs, run_read: Runs,
                 interval: float, max_attempts: int, sender: WebhookSending) -> None:
        super().__init__(interval)
        self._ctx = ctx
        self._run_write = run_write
        self._run_read = run_read
        self._max_attempts = max_attempts
        self._sender = sender  # built by bootstrap.webhook_sender; closed with the deliverer

    async def aclose(self) -> None:
        await self._sender.aclose()

    async def run_once(self) -> int:
        found = await self._run_read(outbox.backlog, self._ctx)
        self.listening = found.listening
        if not found.due:
            return 0
        await self._run_write(outbox.fan_out, self._ctx)
        claims = await self._run_write(outbox.claim, self._ctx, self.BATCH)
        errors = await asyncio.gather(*(self._sender.send(c) for c in claims))
        for claim, error in zip(claims, errors, strict=True):
            await self._run_write(outbox.record, self._ctx, claim.delivery.id, error,
                                  self._max_attempts)
        return len(claims)
