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
from giliran.bootstrap import Container, bootstrap, media_cache, webhook_sender
from giliran.channels import registry
from giliran.channels.port import Reception, RouteKit
from giliran.config import Settings
from giliran.entrypoints.api import (
    deps,
    docs,
    errors,
    openapi,
    routes_agents,
    routes_audit,
    routes_audit_log,
    routes_bulk,
    routes_canned,
    routes_channels,
    routes_conversation,
    routes_customers,
    routes_floor,
    routes_hold,
    routes_inbox,
    routes_people,
    routes_schedules,
    routes_simulation,
    routes_sla,
    routes_sla_report,
    routes_telegram,
    routes_tickets,
    routes_webhooks,
    ws,
)
from giliran.entrypoints.api.edge import EdgeGuard, EdgeLimits
from giliran.entrypoints.api.root import Root
from giliran.entrypoints.api.root import install as install_root
from giliran.entrypoints.api.routes_floor import GaugeCache
from giliran.entrypoints.api.runner import Runner, WritesOnWriterPath
from giliran.entrypoints.api.throttle import Throttle
from giliran.entrypoints.api.ws import EventHub
from giliran.entrypoints.courier import Courier
from giliran.entrypoints.dashboard import pages
from giliran.entrypoints.scheduler import Deliverer, OutboxLoop, Scheduler
from giliran.service.ports import Subscriber

# What a channel's own routes are built with: the same access checks, context, writer path
# and documented refusals as every route here.
CHANNEL_ROUTES = RouteKit(route_class=deps.ApiRoute, ctx=deps.get_ctx, runner=deps.get_runner,
                          access=deps.Access, refusals=errors.refusals)


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


def _background(root: Root) -> list[Background]:
    """The tasks every server process runs beside the API: webhook deliveries, the chat
    channels' notices and replies (and a channel's own task: Telegram polling), the timer
    pass, and (on PostgreSQL) the listener that publishes other processes' commits on this
    process's commit signal. The event hub and the senders hear that signal: nothing else
    wakes them."""
    c, s, runner, channels = root.container, root.settings, root.runner, root.channels
    tasks: list[Background] = []
    senders: list[OutboxLoop] = []
    if s.outbox:
        senders.append(Deliverer(c.ctx, runner.write, runner.read, s.tick_seconds,
                                 s.webhook_max_attempts, webhook_sender(s)))
    if s.outbox and channels:
        attempts = {name: registry.find(name).max_attempts(s) for name in channels}
        senders.append(Courier(c.ctx, channels, runner.write, runner.read, s.tick_seconds,
                               attempts, files=c.files))
        for name, client in channels.items():
            task = registry.find(name).background(s, Reception(c.ctx, runner.write, s, client))
            if task is not None:
                task.start()
                tasks.append(task)
    for sender in senders:
        sender.start()
    tasks.extend(senders)
    tasks.append(Subscription(c, root.hub.committed))
    tasks.extend(Subscription(c, sender.committed) for sender in senders)
    if senders:
        c.send_outbox_here()
    if s.scheduler:
        scheduler = Scheduler(c.ctx, runner.write, s.tick_seconds,
                              timedelta(hours=s.event_retention_hours), run_read=runner.read,
                              prune_files=lambda: root.media.prune() + c.files.prune())
        scheduler.start()
        tasks.append(scheduler)
    listener = c.listener()
    if listener is not None:
        listener.start()
        tasks.append(listener)
    return tasks


def _root(c: Container) -> Root:
    """The server's parts around the container, built once per app start."""
    # One writer thread on PostgreSQL too: the advisory lock serializes writers anyway, and
    # with four per process the lock holder waited on its own process's other writers
    # (for the GIL) between statements; intake went ~600 -> ~780 req/s with one.
    runner = Runner(c.settings.writer_threads or 1)
    # Every write of this server runs on the writer threads: one opened anywhere else (the
    # event loop, the shared thread pool) is a bug, refused where it happens.
    c.ctx.uow = WritesOnWriterPath(c.ctx.uow)
    s = c.settings
    return Root(
        container=c,
        edge=EdgeLimits.of(s),
        runner=runner,
        throttle=Throttle(c.ctx, runner, s.auth_failures_per_minute,
                          s.webhook_calls_per_minute),
        gauges=GaugeCache(c.ctx, s.metrics_cache_seconds),
        simulations=routes_simulation.Simulations(s.simulation_seconds),
        hub=EventHub(c.ctx, s.event_poll_seconds),
        channels=registry.clients(s),
        media=media_cache(s, c.ctx.clock),
    )


def create_app(container: Container | None = None, *,
               settings: Settings | None = None) -> FastAPI:
    """Build the app. Without a container, the app bootstraps one when it starts, from
    `settings` (what `giliran serve` settled and hands to every worker process) or else from
    the environment."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = container is None
        c = container or bootstrap(settings or Settings())
        configure_logging(c.settings.log_level)
        root = _root(c)
        install_root(app, root)
        await root.hub.start()
        for client in root.channels.values():
            await client.start()
        tasks = _background(root)
        try:
            yield
        finally:
            for task in reversed(tasks):
                await task.stop()
            for client in root.channels.values():
                await client.aclose()
            await root.hub.stop()
            root.runner.close()
            root.simulations.close()
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
    app.include_router(routes_bulk.literal, prefix="/api/v1")
    for module in (routes_agents, routes_tickets, routes_conversation, routes_floor,
                   routes_audit, routes_audit_log, routes_webhooks, routes_channels,
                   routes_telegram, routes_simulation, routes_people, ws,
                   routes_inbox, routes_canned, routes_hold, routes_bulk,
                   routes_customers, routes_schedules, routes_sla, routes_sla_report):
        app.include_router(module.router, prefix="/api/v1")
    for router in registry.routers(CHANNEL_ROUTES):  # a channel's own routes
        app.include_router(router, prefix="/api/v1")
    app.include_router(routes_floor.probes)
    pages.install(app)
    docs.install(app)
    app.add_middleware(EdgeGuard)
    return app
