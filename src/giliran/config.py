"""Settings, read once by the composition root from GILIRAN_* environment variables."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

WEAK_TOKENS = {"changeme", "change-me", "secret", "admin", "password", "token"}


class Settings(BaseSettings):
    """Every field is a GILIRAN_* variable; its docstring is its line in docs/configuration.md
    (written by `giliran docs`), so the reference says what this class does."""

    model_config = SettingsConfigDict(env_prefix="GILIRAN_", extra="ignore",
                                      use_attribute_docstrings=True)

    database_url: str = "sqlite:///giliran.db"
    """`sqlite:///relative.db`, `sqlite:////absolute/path.db` or
    `postgresql://user:pass@host:5432/db` as you would write them; giliran chooses the driver
    (stdlib `sqlite3`, psycopg 3)."""
    admin_token: SecretStr | None = None
    """The break-glass owner token, for automation (audited as `admin`); at least 16
    characters, default-looking values are refused. Unset: `giliran serve` generates one and
    prints it once. People sign in with their own accounts instead."""
    intake_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Comma-separated tokens that may only create tickets, kept for integrations set up
    before personal tokens; make new ones with `POST /api/v1/tokens` and role `intake`."""
    owner_email: str = "admin@localhost"
    """The first owner's email: on a database without users, `giliran serve` creates this
    owner and prints a one-time password."""
    password_hash_memory_kib: int = Field(default=65_536, ge=1024, le=4_194_304)
    """Argon2id's memory per password hash, in KiB (64 MiB, RFC 9106's second recommended
    choice). Raising it (or the time cost) rehashes each password at its next sign-in."""
    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    """Argon2id's passes over that memory."""
    session_idle_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    """A signed-in browser without a request for this long is signed out."""
    session_days: int = Field(default=7, ge=1, le=90)
    """A session ends this many days after signing in, however busy."""
    host: str = "127.0.0.1"
    """Where `giliran serve` listens."""
    port: int = Field(default=8000, ge=1, le=65535)
    """The port `giliran serve` listens on."""
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes of `giliran serve`."""
    forwarded_allow_ips: str = "127.0.0.1"
    """The proxies (comma-separated addresses or networks, or `*`) whose `X-Forwarded-For` and
    `X-Forwarded-Proto` are believed, so the app sees the client's address rather than the
    proxy's; requests from anyone else are taken at their own address (see deploy.md)."""
    sqlite_synchronous: str = "NORMAL"
    """SQLite durability: `NORMAL` (WAL) survives process crashes; `FULL` also survives power
    loss, at the cost of one fsync per commit."""
    db_pool_size: int = Field(default=10, ge=1, le=200)
    """Database connections per worker process."""
    # Threads per process that run writing use cases (default 1): the database serializes
    # writers anyway; more only help when much work runs outside the lock (queue positions of
    # a long backlog).
    writer_threads: int | None = Field(default=None, ge=1, le=64)
    """Threads per process that run writing use cases (unset: 1)."""
    random_seed: int | None = None
    """Seeds the `random` strategy (reproducible runs)."""
    # The timer pass (escalations, presence expiry, long-wait flags) runs this often in every
    # server process; set GILIRAN_SCHEDULER=false to run `giliran tick` from cron instead.
    scheduler: bool = True
    """Run the timer pass inside every server process; `false` if you run `giliran tick` from
    cron instead."""
    # Every server process also sends what the outboxes hold (webhook deliveries, Telegram
    # notices) and long-polls Telegram when there is no webhook; leases keep them from doing
    # the same work twice. Independent of the scheduler, so cron-driven timers still notify.
    outbox: bool = True
    """Send webhook deliveries and chat notices (and long-poll Telegram) from every server
    process; leases keep processes from doing the same work twice."""
    tick_seconds: float = Field(default=1.0, gt=0, le=3600)
    """How often the in-process timer pass runs (sub-second values work; the tests use
    0.05-0.1)."""
    presence_grace_seconds: int = Field(default=300, ge=0, le=7 * 24 * 3600)
    """An agent with no sign of life for this long goes offline; `0` = never. Admins change
    it at run time with `PATCH /api/v1/settings`, which then wins over this value."""
    log_level: str = "info"
    """uvicorn's and giliran's log level (each timer pass that moves something is logged at
    `info`)."""
    # Prometheus metrics at /metrics (counted as units of work commit).
    metrics: bool = True
    """Count assignments, escalations and waits for `/metrics`."""
    event_poll_seconds: float = Field(default=0.25, gt=0, le=3600)
    """How often each server process reads new events for its WebSocket clients that no
    signal announced: a commit wakes its own process at once (SQLite too), and on PostgreSQL
    every process (LISTEN/NOTIFY); this is only the backstop, and SQLite's path between
    processes."""
    event_retention_hours: int = Field(default=72, ge=1, le=24 * 365)
    """Events older than this are dropped (a client further behind gets a snapshot)."""
    # Outgoing webhooks: attempts before a delivery is dead (exponential backoff from 2 s, at
    # most 10 minutes apart), and how long one attempt may take.
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    """Attempts before an outgoing webhook delivery is dead (backoff from 2 s, at most 10
    minutes apart)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    """How long one attempt of an outgoing webhook delivery may take."""
    webhook_allow_private: bool = False
    """Let webhooks point at private, loopback and link-local addresses (a receiver on the
    same host or network); refused by default, at registration and again when sending."""

    # Limits at the edge, per worker process (docs/operations.md, "Limits", says what each
    # defends against). Bodies are counted as they stream; heads (request line and headers) as
    # they arrive.
    max_body_bytes: int = Field(default=1_000_000, ge=1024, le=100_000_000)
    """Request body size, counted as it streams, for every route."""
    simulation_seconds: float = Field(default=20, gt=0, le=600)
    """How long one what-if from the API or the What if page may run before it is stopped
    (422 `simulation_too_long`); `giliran simulate` has no limit."""
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    """The time the whole request body may take to arrive."""
    max_header_bytes: int = Field(default=32_768, ge=1024, le=1_048_576)
    """Size of the request line and headers."""
    max_headers: int = Field(default=100, ge=10, le=1000)
    """Number of header lines of a request."""
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    """The time the request line and headers may take to arrive."""
    keepalive_timeout_seconds: int = Field(default=5, ge=1, le=600)
    """An idle kept-alive connection is closed after this."""
    max_connections: int = Field(default=1000, ge=1, le=1_000_000)
    """Open connections per worker process."""
    max_concurrent_requests: int = Field(default=256, ge=1, le=100_000)
    """Requests being handled at once per worker process."""
    ws_key_check_seconds: float = Field(default=60.0, gt=0, le=3600)
    """How often an open WebSocket checks that its key still works: a session past its
    absolute expiry, a token past its own, closes the socket within this time. (A
    deactivation, a sign-out or a revocation closes it at once.) An open page counts as use
    of its session, so a session idles out only once its pages are closed."""
    ws_max_message_bytes: int = Field(default=65_536, ge=1024, le=16_777_216)
    """The largest message a WebSocket client may send."""

    # Rate limits per client address and minute, across processes and replicas (0 = off):
    # failed authentications (wrong token, webhook secret or signature), and calls to the
    # inbound webhooks.
    auth_failures_per_minute: int = Field(default=20, ge=0, le=100_000)
    """Failed authentications per client address and minute before 429; `0` = off."""
    webhook_calls_per_minute: int = Field(default=1200, ge=0, le=1_000_000)
    """Inbound webhook calls per client address and minute before 429; `0` = off."""
    # /metrics: behind its own bearer token when set; the floor's gauges are read from the
    # database at most this often per process (0 = at every scrape).
    metrics_token: SecretStr | None = None
    """When set, `/metrics` answers only `Authorization: Bearer <this token>`."""
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    """How long each process reuses the floor's gauges for `/metrics` before reading the
    database again; `0` = every scrape."""

    # WhatsApp Cloud API webhook (lead intake): the app secret that signs deliveries, the
    # token Meta echoes when verifying the webhook, and which queue each business phone number
    # id feeds ("123456789=sales,987654321=support"; others go to `default`).
    whatsapp_app_secret: SecretStr | None = None
    """The WhatsApp app secret that signs webhook deliveries (see channels.md); never logged
    or returned."""
    whatsapp_verify_token: SecretStr | None = None
    """The token Meta echoes when verifying the WhatsApp webhook."""
    whatsapp_queues: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """The queue each business phone number id feeds: `123456789=sales,987654321=support`."""
    # Answering on WhatsApp (Cloud API): the access token (a system user's), the business
    # phone-number id(s) giliran sends from ("123456789", or "123456789=sales,987654321" with
    # the queue each number feeds), the Graph API (version pinned), and an approved template
    # ("name:language") that re-opens a conversation after the 24-hour window.
    whatsapp_access_token: SecretStr | None = None
    """Answering on WhatsApp: a (system user's) access token."""
    whatsapp_phone_number_id: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """The business phone-number id(s) giliran sends from: `106540352242922`, or
    `106540352242922=sales,106540352242923` with the queue each number feeds (as
    `GILIRAN_WHATSAPP_QUEUES` does)."""
    whatsapp_api_url: str = "https://graph.facebook.com/v23.0"
    """The Graph API, version pinned (raise it when Meta retires the version)."""
    whatsapp_template: str | None = None
    """`name:language` of an approved template that re-opens a conversation after the
    24-hour window (e.g. `follow_up:id`)."""
    whatsapp_max_attempts: int = Field(default=10, ge=1, le=50)
    """Attempts before a WhatsApp reply is `dead`."""
    media_max_bytes: int = Field(default=25_000_000, ge=1, le=100_000_000)
    """The largest customer file (photo, document, voice) giliran fetches for a dashboard;
    larger ones answer 413."""
    # Customers' files are kept on disk once fetched (see adapters/media_cache.py): where
    # (default .giliran/media beside the SQLite file, else in the working directory), at most
    # how many bytes in all (the least recently opened go first; 0 = keep nothing), and for
    # how many days after they were fetched.
    media_cache_dir: str | None = None
    """Where customers' files are kept once fetched from WhatsApp or Telegram (created mode
    700; files mode 600), so opening a conversation again downloads nothing; each process of
    a host shares it. Unset: `.giliran/media` beside the SQLite file, else in the working
    directory."""
    media_cache_max_bytes: int = Field(default=1_000_000_000, ge=0, le=10**13)
    """The most the kept files may take in all; past it the least recently opened are
    deleted first; `0` keeps nothing."""
    media_cache_days: float = Field(default=30, gt=0, le=3650)
    """A kept file is deleted this many days after it was fetched, however often it is
    opened (WhatsApp keeps media 30 days)."""
    upload_max_bytes: int = Field(default=16_000_000, ge=1024, le=100_000_000)
    """The largest file an agent may send a customer (multipart `POST
    /tickets/{id}/messages`); each channel's own limits are lower for some kinds (WhatsApp
    images 5 MB, Telegram photos 10 MB). Larger ones answer 413 `too_large`."""
    upload_dir: str | None = None
    """Where the files agents send customers are kept (created mode 700; files mode 600),
    for the outbox to send and the conversation to show. Unset: `.giliran/outgoing` beside
    the SQLite file, else in the working directory."""

    # Telegram bot: its token from @BotFather; with a webhook secret, Telegram POSTs updates
    # to /api/v1/webhooks/telegram (set it up with `giliran telegram-webhook URL`), without
    # one the server long-polls (development). The API URL may point at a self-hosted Bot API
    # server. Customers' messages open tickets in `telegram_queue`.
    telegram_bot_token: SecretStr | None = None
    """The Telegram bot's token from @BotFather; turns the bot on (see channels.md)."""
    telegram_webhook_secret: SecretStr | None = None
    """With a secret (16-256 of `A-Z a-z 0-9 _ -`), webhook mode; without, long polling."""
    telegram_api_url: str = "https://api.telegram.org"
    """The Bot API server (a self-hosted one works too)."""
    telegram_queue: str = "default"
    """The queue Telegram customers' tickets go to."""
    telegram_max_attempts: int = Field(default=10, ge=1, le=50)
    """Attempts before a Telegram notice is dead."""
    default_language: Literal["en", "id"] = "en"
    """The language (`en` or `id`) of a new agent's chat notices; each agent may change its
    own (`PATCH /api/v1/agent/me`)."""
    utilization_band: Annotated[tuple[float, float], NoDecode] = (0.70, 0.90)
    """The utilization a desk aims for, as shares or percents (`70-90`); shown beside the
    figures in `GET /stats` and on the supervisor's workload view."""

    @field_validator("utilization_band", mode="before")
    @classmethod
    def _band(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        low, sep, high = value.replace(",", "-").partition("-")
        try:
            band = (float(low), float(high))
        except ValueError:
            raise ValueError("expected low-high, e.g. 0.70-0.90 or 70-90") from None
        if not sep:
            raise ValueError("expected low-high, e.g. 0.70-0.90 or 70-90")
        if band[1] > 1:
            band = (band[0] / 100, band[1] / 100)
        if not 0 <= band[0] < band[1] <= 1:
            raise ValueError("needs 0 <= low < high <= 1 (or 100 %)")
        return band

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, value: str) -> str:
        items = [v.strip() for v in value.split(",") if v.strip()]
        for item in items:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an address or network "
                                     "(e.g. 127.0.0.1,10.0.0.0/8, or *)") from None
        return ",".join(items)

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token: 1-256 characters, A-Z a-z 0-9 _ -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}",
                                                  value.get_secret_value()):
            raise ValueError("must be 16-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("telegram_api_url", "whatsapp_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("whatsapp_queues", mode="before")
    @classmethod
    def _queue_map(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in value.split(","))):
            phone_id, sep, queue = pair.partition("=")
            if not sep or not phone_id.strip() or not queue.strip():
                raise ValueError("expected phone_number_id=queue pairs, comma-separated")
            found[phone_id.strip()] = queue.strip()
        return found

    @field_validator("whatsapp_phone_number_id", mode="before")
    @classmethod
    def _numbers(cls, value: object) -> object:
        """Ids alone, or with their queue; an id without one has the empty string."""
        if not isinstance(value, str):
            return value
        found: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in value.split(","))):
            phone_id, _, queue = part.partition("=")
            if not phone_id.strip().isdigit():
                raise ValueError("expected phone-number ids (digits), optionally =queue, "
                                 "comma-separated")
            found[phone_id.strip()] = queue.strip()
        return found

    @field_validator("whatsapp_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9_]{1,512}:[A-Za-z_]{2,10}", value):
            raise ValueError("must be name:language, e.g. follow_up:en_US")
        return value

    @property
    def whatsapp_numbers(self) -> dict[str, str]:
        """giliran's business numbers and the queue each feeds ("" for `default`)."""
        return {**self.whatsapp_phone_number_id, **self.whatsapp_queues,
                **{k: v for k, v in self.whatsapp_phone_number_id.items() if v}}

    @property
    def media_cache_path(self) -> Path:
        """GILIRAN_MEDIA_CACHE_DIR, else .giliran/media in the SQLite file's directory (the
        desk's data sits together), else in the working directory (PostgreSQL, where the
        systemd unit's working directory is the service's state directory)."""
        if self.media_cache_dir:
            return Path(self.media_cache_dir)
        return self.data_path / "media"

    @property
    def upload_path(self) -> Path:
        """GILIRAN_UPLOAD_DIR, else .giliran/outgoing where the media cache's default is."""
        return Path(self.upload_dir) if self.upload_dir else self.data_path / "outgoing"

    @property
    def data_path(self) -> Path:
        """.giliran beside the SQLite file, else in the working directory (PostgreSQL, where
        the systemd unit's working directory is the service's state directory)."""
        base = Path(".")
        found = re.match(r"sqlite(\+\w+)?:///([^?]*)", self.database_url)
        if found and found.group(2) not in ("", ":memory:"):
            base = Path(found.group(2)).parent
        return base / ".giliran"

    @property
    def whatsapp_sends(self) -> bool:
        return self.whatsapp_access_token is not None and bool(self.whatsapp_phone_number_id)

    @field_validator("admin_token")
    @classmethod
    def _strong_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if secret.lower() in WEAK_TOKENS or len(secret) < 16:
            raise ValueError("GILIRAN_ADMIN_TOKEN must be at least 16 characters and not a default")
        return value

    @field_validator("intake_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("sqlite_synchronous")
    @classmethod
    def _sync_mode(cls, value: str) -> str:
        if value.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError("must be one of OFF, NORMAL, FULL, EXTRA")
        return value.upper()
