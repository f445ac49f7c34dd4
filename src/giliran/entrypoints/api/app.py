"""The FastAPI application factory. Nothing connects at import time: the lifespan does."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Protocol

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

import giliran
from giliran.adapters.channel import ChannelClient
from giliran.bootstrap import Container, bootstrap, telegram_bot, whatsapp_client
from giliran.config import Settings
from giliran.domain.conversation import TELEGRAM, WHATSAPP
from giliran.entrypoints.api import (
    errors,
    routes_agents,
    routes_audit,
    routes_audit_log,
    routes_conversation,
    routes_floor,
    routes_telegram,
    routes_tickets,
    routes_webhooks,
    routes_whatsapp,
    ws,
)
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.ws import EventHub
from giliran.entrypoints.courier import Courier
from giliran.entrypoints.dashboard import pages
from giliran.entrypoints.scheduler import Deliverer, OutboxLoop, Scheduler, Waker
from giliran.entrypoints.telegram import Poller

MAX_BODY_BYTES = 1_000_000


class BodyLimit:
    """Refuse oversized bodies before anything reads them (413, JSON)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                response = JSONResponse(
                    errors.error_body("payload_too_large", f"body over {self.limit} bytes"), 413
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def configure_logging(level: str) -> None:
    """giliran's own loggers write next to uvicorn's, at the configured level."""
    # httpx logs every request's URL at info, and a Telegram URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # python-telegram-bot logs a failed request with its raw answer and a traceback; giliran
    # logs each failed notice itself, in one line without the payload.
    logging.getLogger("telegram").setLevel(logging.CRITICAL)
    logger = logging.getLogger("giliran")
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)


class Background(Protocol):
    async def stop(self) -> None: ...


def _background(app: FastAPI, c: Container, runner: Runner,
                channels: dict[str, ChannelClient]) -> list[Background]:
    """The tasks every server process runs beside the API: webhook deliveries, the chat
    channels' notices and replies (and Telegram polling), and the timer pass."""
    s = c.settings
    tasks: list[Background] = []
    senders: list[OutboxLoop] = []
    if s.outbox:
        senders.append(Deliverer(c.ctx, runner.write, runner.read, s.tick_seconds,
                                 s.webhook_max_attempts, s.webhook_timeout_seconds))
    if s.outbox and channels:
        attempts = {TELEGRAM: s.telegram_max_attempts, WHATSAPP: s.whatsapp_max_attempts}
        app.state.courier = courier = Courier(c.ctx, channels, runner.write, runner.read,
                                              s.tick_seconds, attempts)
        senders.append(courier)
        bot = app.state.telegram
        if bot is not None and s.telegram_webhook_secret is None:
            poller = Poller(c.ctx, bot, runner.write, s.telegram_queue, courier)
            poller.start()
            tasks.append(poller)
    for sender in senders:
        sender.start()
    tasks.extend(senders)
    if senders:
        c.observe(Waker(asyncio.get_running_loop(), senders))
    if s.scheduler:
        scheduler = Scheduler(c.ctx, runner.write, s.tick_seconds,
                              timedelta(hours=s.event_retention_hours), run_read=runner.read)
        scheduler.start()
        tasks.append(scheduler)
    return tasks


def create_app(container: Container | None = None) -> FastAPI:
    """Build the app. Without a container, settings are read from the environment when the
    app starts (this is what `giliran serve` and every worker process do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = container is None
        app.state.container = c = container or bootstrap(Settings())
        configure_logging(c.settings.log_level)
        # One writer thread on PostgreSQL too: the advisory lock serializes writers anyway, and
        # with four per process the lock holder waited on its own process's other writers
        # (for the GIL) between statements; intake went ~600 -> ~780 req/s with one.
        writers = c.settings.writer_threads or 1
        app.state.runner = runner = Runner(writers)
        app.state.hub = hub = EventHub(c.ctx, c.settings.event_poll_seconds)
        await hub.start()
        app.state.telegram = bot = telegram_bot(c.settings)
        app.state.whatsapp = wa = whatsapp_client(c.settings)
        channels: dict[str, ChannelClient] = {
            name: client for name, client in ((TELEGRAM, bot), (WHATSAPP, wa)) if client}
        app.state.channels = channels
        app.state.courier = None
        for client in channels.values():
            await client.start()
        tasks = _background(app, c, runner, channels)
        try:
            yield
        finally:
            for task in reversed(tasks):
                await task.stop()
            for client in channels.values():
                await client.aclose()
            await hub.stop()
            runner.close()
            if own:
                c.close()

    app = FastAPI(
        title="giliran",
        version=giliran.__version__,
        description="Automatic, fair, real-time assignment of tickets and leads to agents.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    errors.install(app)
    # Each router straight under /api/v1: one more level of included routers costs every
    # request ~20 µs of route matching. The paths, and their order in the docs, are the same.
    for module in (routes_agents, routes_tickets, routes_conversation, routes_floor,
                   routes_audit, routes_audit_log, routes_webhooks, routes_whatsapp,
                   routes_telegram, ws):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(routes_floor.probes)
    pages.install(app)
    app.add_middleware(BodyLimit)
    return app
