"""The composition root: the one place that reads settings and wires adapters into the service.

The entry points reach adapters only through here (an import contract in pyproject.toml keeps
it so): the container, the functions below, and the few adapter functions re-exported.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from giliran.adapters.clock import SystemClock
from giliran.adapters.destinations import Destinations
from giliran.adapters.holidays import country_holidays
from giliran.adapters.media_cache import MediaCache
from giliran.adapters.metrics import PrometheusObserver
from giliran.adapters.metrics import exposition as exposition  # the text of /metrics
from giliran.adapters.metrics import http_request as http_request  # a route's request counter
from giliran.adapters.outgoing_files import DiskOutgoingFiles
from giliran.adapters.passwords import Argon2Hasher, Argon2Passwords
from giliran.adapters.signal import LocalSignal
from giliran.adapters.sql import migrate as migrations
from giliran.adapters.sql.database import Database, connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory, ping
from giliran.adapters.sql.wakeup import Listener, Wake
from giliran.adapters.webhook_sender import WebhookSender
from giliran.channels import registry
from giliran.config import Settings
from giliran.domain.model import Language
from giliran.domain.people import SessionPolicy
from giliran.service.context import Context
from giliran.service.ports import Clock, CommitSignal, UnitOfWorkFactory
from giliran.service.ports.files import OutgoingFiles


@dataclass
class Container:
    settings: Settings
    db: Database
    ctx: Context
    factory: SqlUnitOfWorkFactory
    files: OutgoingFiles  # what agents send customers, kept until sent and afterwards

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

    def ping(self) -> None:
        """Raises unless the database answers."""
        ping(self.db)

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
        passwords=Argon2Passwords(Argon2Hasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib)),
        sessions=SessionPolicy(idle=timedelta(minutes=settings.session_idle_minutes),
                               absolute=timedelta(days=settings.session_days)),
        holidays=country_holidays,
    )
    return Container(settings, db, ctx, factory, DiskOutgoingFiles(settings.upload_path, clock))


def media_cache(settings: Settings, clock: Clock) -> MediaCache:
    """Customers' files, kept on disk once fetched from their channel."""
    return MediaCache(settings.media_cache_path, settings.media_cache_max_bytes,
                      timedelta(days=settings.media_cache_days), clock)


def webhook_sender(settings: Settings) -> WebhookSender:
    """What sends the outbox's deliveries to the webhooks' URLs."""
    return WebhookSender(settings.webhook_timeout_seconds,
                         allow_private=settings.webhook_allow_private)


def migrate(settings: Settings) -> str | None:
    """Bring the schema up to date; the revision it is then at. A database URL that cannot be
    used raises a GiliranError (`bad_database_url`) before anything connects."""
    db = connect(settings.database_url)
    try:
        migrations.upgrade(db, locations=registry.migration_dirs())
        return migrations.current_revision(db)
    finally:
        db.dispose()


@contextmanager
def reading(database_url: str) -> Iterator[UnitOfWorkFactory]:
    """Units of work on a desk's database for a command that only reads it (the simulator
    replaying a desk's history), without the server's wiring."""
    db = connect(database_url)
    try:
        yield SqlUnitOfWorkFactory(db)
    finally:
        db.dispose()
