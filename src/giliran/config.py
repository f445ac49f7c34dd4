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
    model_config = SettingsConfigDict(env_prefix="GILIRAN_", extra="ignore")

    database_url: str = "sqlite:///giliran.db"
    admin_token: SecretStr | None = None
    # Tokens that may only create tickets (for forms, mail gateways, partner systems).
    intake_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated
    # addresses or networks, or *): the client address the app sees is the one they name.
    forwarded_allow_ips: str = "127.0.0.1"
    # SQLite durability: NORMAL survives process crashes; FULL also survives power loss.
    sqlite_synchronous: str = "NORMAL"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Threads per process that run writing use cases (default 1): the database serializes
    # writers anyway; more only help when much work runs outside the lock (queue positions of
    # a long backlog).
    writer_threads: int | None = Field(default=None, ge=1, le=64)
    random_seed: int | None = None
    # The timer pass (escalations, presence expiry, long-wait flags) runs this often in every
    # server process; set GILIRAN_SCHEDULER=false to run `giliran tick` from cron instead.
    scheduler: bool = True
    # Every server process also sends what the outboxes hold (webhook deliveries, Telegram
    # notices) and long-polls Telegram when there is no webhook; leases keep them from doing
    # the same work twice. Independent of the scheduler, so cron-driven timers still notify.
    outbox: bool = True
    tick_seconds: float = Field(default=1.0, gt=0, le=3600)
    # An agent with no sign of life for this long goes offline; 0 = never. Admins can change
    # it at run time (PATCH /api/v1/settings), which then wins over this value.
    presence_grace_seconds: int = Field(default=300, ge=0, le=7 * 24 * 3600)
    log_level: str = "info"
    # Prometheus metrics at /metrics (counted as units of work commit).
    metrics: bool = True
    # How often each server process looks for new events for its WebSocket clients. On
    # PostgreSQL a commit wakes every process at once (LISTEN/NOTIFY) and this is the backstop.
    event_poll_seconds: float = Field(default=0.25, gt=0, le=3600)
    # Events older than this are dropped; a client further behind gets a snapshot instead.
    event_retention_hours: int = Field(default=72, ge=1, le=24 * 365)
    # Outgoing webhooks: attempts before a delivery is dead (exponential backoff from 2 s, at
    # most 10 minutes apart), and how long one attempt may take.
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Let webhooks point at private, loopback and link-local addresses (a receiver on the
    # same host or network); refused by default, at registration and again when sending.
    webhook_allow_private: bool = False

    # Limits at the edge, per worker process (README, "Limits", says what each defends
    # against). Bodies are counted as they stream; heads (request line and headers) as they
    # arrive.
    max_body_bytes: int = Field(default=1_000_000, ge=1024, le=100_000_000)
    # How long one what-if from the API (POST /simulations) may run before it is stopped with
    # 422 simulation_too_long; `giliran simulate` has no such bound.
    simulation_seconds: float = Field(default=20, gt=0, le=600)
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    max_header_bytes: int = Field(default=32_768, ge=1024, le=1_048_576)
    max_headers: int = Field(default=100, ge=10, le=1000)
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    keepalive_timeout_seconds: int = Field(default=5, ge=1, le=600)
    max_connections: int = Field(default=1000, ge=1, le=1_000_000)
    max_concurrent_requests: int = Field(default=256, ge=1, le=100_000)
    ws_max_message_bytes: int = Field(default=65_536, ge=1024, le=16_777_216)

    # Rate limits per client address and minute, across processes and replicas (0 = off):
    # failed authentications (wrong token, webhook secret or signature), and calls to the
    # inbound webhooks.
    auth_failures_per_minute: int = Field(default=20, ge=0, le=100_000)
    webhook_calls_per_minute: int = Field(default=1200, ge=0, le=1_000_000)
    # /metrics: behind its own bearer token when set; the floor's gauges are read from the
    # database at most this often per process (0 = at every scrape).
    metrics_token: SecretStr | None = None
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    # WhatsApp Cloud API webhook (lead intake): the app secret that signs deliveries, the
    # token Meta echoes when verifying the webhook, and which queue each business phone number
    # id feeds ("123456789=sales,987654321=support"; others go to `default`).
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_queues: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # Answering on WhatsApp (Cloud API): the access token (a system user's), the business
    # phone-number id(s) giliran sends from ("123456789", or "123456789=sales,987654321" with
    # the queue each number feeds), the Graph API (version pinned), and an approved template
    # ("name:language") that re-opens a conversation after the 24-hour window.
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    whatsapp_api_url: str = "https://graph.facebook.com/v23.0"
    whatsapp_template: str | None = None
    whatsapp_max_attempts: int = Field(default=10, ge=1, le=50)
    # The largest customer file (photo, document, voice) giliran fetches for a dashboard.
    media_max_bytes: int = Field(default=25_000_000, ge=1, le=100_000_000)
    # Customers' files are kept on disk once fetched (see adapters/media_cache.py): where
    # (default .giliran/media beside the SQLite file, else in the working directory), at most
    # how many bytes in all (the least recently opened go first; 0 = keep nothing), and for
    # how many days after they were fetched.
    media_cache_dir: str | None = None
    media_cache_max_bytes: int = Field(default=1_000_000_000, ge=0, le=10**13)
    media_cache_days: float = Field(default=30, gt=0, le=3650)

    # Telegram bot: its token from @BotFather; with a webhook secret, Telegram POSTs updates
    # to /api/v1/webhooks/telegram (set it up with `giliran telegram-webhook URL`), without
    # one the server long-polls (development). The API URL may point at a self-hosted Bot API
    # server. Customers' messages open tickets in `telegram_queue`.
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_queue: str = "default"
    telegram_max_attempts: int = Field(default=10, ge=1, le=50)
    # The language of a new agent's chat notices (each agent may change its own).
    default_language: Literal["en", "id"] = "en"
    # The utilization a desk aims for, "low-high" as shares (0.70-0.90) or percents (70-90):
    # shown beside the figures in /stats and on the supervisor's workload view.
    utilization_band: Annotated[tuple[float, float], NoDecode] = (0.70, 0.90)

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
        base = Path(".")
        found = re.match(r"sqlite(\+\w+)?:///([^?]*)", self.database_url)
        if found and found.group(2) not in ("", ":memory:"):
            base = Path(found.group(2)).parent
        return base / ".giliran" / "media"

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
