"""The FastAPI application factory. Nothing connects at import time: the lifespan does."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Protocol
from urllib.parse import unquote_plus

from fastapi import FastAPI

import giliran
from giliran.bootstrap import Container, bootstrap, media_cache
from giliran.channels import registry
from giliran.channels.port import ChannelClient, Reception
from giliran.config import Settings
from giliran.entrypoints.api import (
    docs,
    errors,
    openapi,
    routes_agents,
    routes_audit,
    routes_audit_log,
    routes_channels,
    routes_conversation,
    routes_floor,
    routes_simulation,
    routes_telegram,
    routes_tickets,
    routes_webhooks,
    ws,
)
from giliran.entrypoints.api.edge import EdgeGuard, EdgeLimits
from giliran.entrypoints.api.routes_floor import GaugeCache
from giliran.entrypoints.api.runner import Runner, WritesOnWriterPath
from giliran.entrypoints.api.throttle import Throttle
from giliran.entrypoints.api.ws import EventHub
from giliran.entrypoints.courier import Courier
from giliran.entrypoints.dashboard import pages
from giliran.entrypoints.scheduler import Deliverer, OutboxLoop, Scheduler
from giliran.service.ports import Subscriber


def configure_logging(level: str) -> None:
    """giliran's own loggers write next to uvicorn's, at the configured level."""
    # httpx logs every request's URL at info, and a Telegram URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # python-telegram-bot logs a failed request with its raw answer and a traceback; giliran
    # logs each failed notice itself, in one line without the payload.
    logging.getLogger("telegram").setLevel(logging.CRITICAL)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQuery) for f in access.filters):
        access.addFilter(RedactQuery())
    logger = logging.getLogger("giliran")
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)


SECRET_PARAMETER = re.compile(r"token|secret|passw|signature|key|code|auth|challenge", re.I)


def redact_query(target: str) -> str:
    """The path with the values of query parameters that look secret replaced by ***
    (Meta's verification puts hub.verify_token in the URL)."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    parts = []
    for pair in query.split("&"):
        name, eq, _ = pair.partition("=")
        parts.append(f"{name}=***" if eq and SECRET_PARAMETER.search(unquote_plus(name))
                     else pair)
    return f"{path}?{'&'.join(parts)}"


class RedactQuery(logging.Filter):
    """uvicorn's access log line carries the full path and query: redact it there."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


class Background(Protocol):
    async def stop(self) -> None: ...


class Subscription:
    """Hearing the commit signal, for as long as the server runs (its container may outlive
    it)."""

    def __init__(self, c: Container, subscriber: Subscriber) -> None:
        self._unsubscribe = c.signal.subscribe(subscriber)

    async def stop(self) -> None:
        self._unsubscribe()


def _background(app: FastAPI, c: Container, runner: Runner, hub: EventHub,
                channels: dict[str, ChannelClient]) -> list[Background]:
    """The tasks every server process runs beside the API: webhook deliveries, the chat
    channels' notices and replies (and a channel's own task: Telegram polling), the timer
    pass, and (on PostgreSQL) the listener that publishes other processes' commits on this
    process's commit signal. The event hub and the senders hear that signal: nothing else
    wakes them."""
    s = c.settings
    tasks: list[Background] = []
    senders: list[OutboxLoop] = []
    if s.outbox:
        senders.append(Deliverer(c.ctx, runner.write, runner.read, s.tick_seconds,
                                 s.webhook_max_attempts, s.webhook_timeout_seconds,
                                 allow_private=s.webhook_allow_private))
    if s.outbox and channels:
        attempts = {name: registry.find(name).max_attempts(s) for name in channels}
        senders.append(Courier(c.ctx, channels, runner.write, runner.read, s.tick_seconds,
                               attempts))
        for name, client in channels.items():
            task = registry.find(name).background(s, Reception(c.ctx, runner.write, s, client))
            if task is not None:
                task.start()
                tasks.append(task)
    for sender in senders:
        sender.start()
    tasks.extend(senders)
    tasks.append(Subscription(c, hub.committed))
    tasks.extend(Subscription(c, sender.committed) for sender in senders)
    if senders:
        c.send_outbox_here()
    if s.scheduler:
        scheduler = Scheduler(c.ctx, runner.write, s.tick_seconds,
                              timedelta(hours=s.event_retention_hours), run_read=runner.read,
                              prune_files=app.state.media_cache.prune)
        scheduler.start()
        tasks.append(scheduler)
    listener = c.listener()
    if listener is not None:
        listener.start()
        tasks.append(listener)
    return tasks


def create_app(container: Container | None = None) -> FastAPI:
    """Build the app. Without a container, settings are read from the environment when the
    app starts (this is what `giliran serve` and every worker process do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = container is None
        app.state.container = c = container or bootstrap(Settings())
        configure_logging(c.settings.log_level)
        app.state.edge = EdgeLimits.of(c.settings)
        # One writer thread on PostgreSQL too: the advisory lock serializes writers anyway, and
        # with four per process the lock holder waited on its own process's other writers
        # (for the GIL) between statements; intake went ~600 -> ~780 req/s with one.
        writers = c.settings.writer_threads or 1
        app.state.runner = runner = Runner(writers)
        # Every write of this server runs on the writer threads: one opened anywhere else (the
        # event loop, the shared thread pool) is a bug, refused where it happens.
        c.ctx.uow = WritesOnWriterPath(c.ctx.uow)
        app.state.throttle = Throttle(c.ctx, runner, c.settings.auth_failures_per_minute,
                                      c.settings.webhook_calls_per_minute)
        app.state.gauges = GaugeCache(c.ctx, c.settings.metrics_cache_seconds)
        app.state.simulations = simulations = routes_simulation.Simulations(
            c.settings.simulation_seconds)
        app.state.hub = hub = EventHub(c.ctx, c.settings.event_poll_seconds)
        await hub.start()
        app.state.channels = channels = registry.clients(c.settings)
        app.state.media_cache = media_cache(c.settings, c.ctx.clock)
        for client in channels.values():
            await client.start()
        tasks = _background(app, c, runner, hub, channels)
        try:
            yield
        finally:
            for task in reversed(tasks):
                await task.stop()
            for client in channels.values():
                await client.aclose()
            await hub.stop()
            runner.close()
            simulations.close()
            if own:
                c.close()

    app = FastAPI(
        title="giliran",
        version=giliran.__version__,
        description="Automatic, fair, real-time assignment of tickets and leads to agents.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by docs.install, from the package
        redoc_url=None,
    )
    errors.install(app)
    openapi.install(app)
    # Each router straight under /api/v1: one more level of included routers costs every
    # request ~20 µs of route matching. The paths, and their order in the docs, are the same.
    for module in (routes_agents, routes_tickets, routes_conversation, routes_floor,
                   routes_audit, routes_audit_log, routes_webhooks, routes_channels,
                   routes_telegram, routes_simulation, ws):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(routes_floor.probes)
    pages.install(app)
    docs.install(app)
    app.add_middleware(EdgeGuard)
    return app
