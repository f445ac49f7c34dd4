"""The composition root: the one place that reads settings and wires adapters into the service."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from giliran.adapters.clock import SystemClock
from giliran.adapters.destinations import Destinations
from giliran.adapters.media_cache import MediaCache
from giliran.adapters.metrics import PrometheusObserver
from giliran.adapters.signal import LocalSignal
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.adapters.sql.wakeup import Listener, Wake
from giliran.channels import registry
from giliran.config import Settings
from giliran.domain.model import Language
from giliran.service.context import Context
from giliran.service.ports import Clock, CommitSignal


@dataclass
class Container:
    settings: Settings
    db: Database
    ctx: Context
    factory: SqlUnitOfWorkFactory

    @property
    def signal(self) -> CommitSignal:
        """Every commit of this process, once durable, and (on PostgreSQL, while `listener`
        runs) every other process's commit of events."""
        return self.factory.signal

    def send_outbox_here(self) -> None:
        """This process sends its own outbox as soon as it commits (its senders hear its
        signal), so its commits need not wake other processes' senders."""
        self.factory.wake = Wake.EVENTS

    def listener(self) -> Listener | None:
        """What publishes other processes' commits on this process's signal; None on SQLite,
        where the bounded polls find them."""
        return Listener.of(self.db, self.signal)

    def close(self) -> None:
        self.db.dispose()


def bootstrap(settings: Settings, *, clock: Clock | None = None) -> Container:
    if settings.admin_token is None:
        raise ValueError("GILIRAN_ADMIN_TOKEN is not set (giliran serve generates one)")
    db = connect(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size,
    )
    signal = LocalSignal()
    if settings.metrics:
        signal.subscribe(PrometheusObserver().committed)
    clock = clock or SystemClock()
    factory = SqlUnitOfWorkFactory(db, signal, clock)
    ctx = Context(
        uow=factory,
        clock=clock,
        admin_token=settings.admin_token.get_secret_value(),
        intake_tokens=tuple(t.get_secret_value() for t in settings.intake_tokens),
        rng=random.Random(settings.random_seed),
        presence_grace_seconds=settings.presence_grace_seconds,
        sending=registry.sending(settings),
        tells_resolved=registry.telling_resolved(),
        whatsapp_template=settings.whatsapp_template,
        destinations=Destinations(settings.webhook_allow_private),
        default_language=Language(settings.default_language),
        utilization_band=settings.utilization_band,
    )
    return Container(settings, db, ctx, factory)


def media_cache(settings: Settings, clock: Clock) -> MediaCache:
    """Customers' files, kept on disk once fetched from their channel."""
    return MediaCache(settings.media_cache_path, settings.media_cache_max_bytes,
                      timedelta(days=settings.media_cache_days), clock)
