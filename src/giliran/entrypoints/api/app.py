"""The FastAPI application factory. Nothing connects at import time: the lifespan does."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

import giliran
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.entrypoints.api import (
    errors,
    routes_agents,
    routes_audit,
    routes_floor,
    routes_tickets,
    routes_webhooks,
    routes_whatsapp,
    ws,
)
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.ws import EventHub
from giliran.entrypoints.dashboard import pages
from giliran.entrypoints.scheduler import Deliverer, Scheduler

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
    logger = logging.getLogger("giliran")
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)


def create_app(container: Container | None = None) -> FastAPI:
    """Build the app. Without a container, settings are read from the environment when the
    app starts (this is what `giliran serve` and every worker process do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = container is None
        app.state.container = c = container or bootstrap(Settings())
        configure_logging(c.settings.log_level)
        writers = c.settings.writer_threads or (1 if c.db.is_sqlite else 4)
        app.state.runner = runner = Runner(writers)
        app.state.hub = hub = EventHub(c.ctx, c.settings.event_poll_seconds)
        await hub.start()
        scheduler = deliverer = None
        if c.settings.scheduler:
            deliverer = Deliverer(c.ctx, runner.write, runner.read, c.settings.tick_seconds,
                                  c.settings.webhook_max_attempts,
                                  c.settings.webhook_timeout_seconds)
            deliverer.start()
            scheduler = Scheduler(c.ctx, runner.write, c.settings.tick_seconds,
                                  timedelta(hours=c.settings.event_retention_hours),
                                  run_read=runner.read)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
            if deliverer is not None:
                await deliverer.stop()
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
    api = APIRouter(prefix="/api/v1")
    api.include_router(routes_agents.router)
    api.include_router(routes_tickets.router)
    api.include_router(routes_floor.router)
    api.include_router(routes_audit.router)
    api.include_router(routes_webhooks.router)
    api.include_router(routes_whatsapp.router)
    api.include_router(ws.router)
    app.include_router(api)
    app.include_router(routes_floor.probes)
    pages.install(app)
    app.add_middleware(BodyLimit)
    return app
