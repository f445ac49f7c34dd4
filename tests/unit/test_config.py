"""Database URLs as users write them, and settings that fail fast."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from giliran.adapters.sql.database import DatabaseUrlError, normalize_url
from giliran.config import Settings


@pytest.mark.parametrize(("raw", "driver"), [
    ("sqlite:///giliran.db", "sqlite+pysqlite"),
    ("sqlite:////var/lib/giliran/data.db", "sqlite+pysqlite"),
    ("sqlite+aiosqlite:///x.db", "sqlite+pysqlite"),
    ("postgresql://u:p@db:5432/giliran", "postgresql+psycopg"),
    ("postgres://u:p@db/giliran", "postgresql+psycopg"),
    ("postgresql+asyncpg://u@db/giliran", "postgresql+psycopg"),
])
def test_plain_urls_get_the_right_driver(raw: str, driver: str) -> None:
    url = normalize_url(raw)
    assert url.drivername == driver


def test_the_password_survives_normalisation() -> None:
    url = normalize_url("postgresql://u:s3cr%40t@db:5432/g")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "u", "s3cr@t", "db", 5432, "g")


@pytest.mark.parametrize("raw", ["mysql://u@h/db", "sqlite://", "sqlite:///:memory:", "nonsense"])
def test_unsupported_urls_are_refused_clearly(raw: str) -> None:
    with pytest.raises(DatabaseUrlError):
        normalize_url(raw)


@pytest.mark.parametrize("token", ["changeme", "short", "admin"])
def test_weak_admin_tokens_are_refused(token: str) -> None:
    with pytest.raises(ValidationError):
        Settings(admin_token=token)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GILIRAN_DATABASE_URL", "postgresql://x@y/z")
    monkeypatch.setenv("GILIRAN_INTAKE_TOKENS", "intake-aaaaaaaaaaaa, intake-bbbbbbbbbbbb")
    monkeypatch.setenv("GILIRAN_PORT", "9001")
    s = Settings()
    assert s.database_url == "postgresql://x@y/z" and s.port == 9001
    assert [t.get_secret_value() for t in s.intake_tokens] == [
        "intake-aaaaaaaaaaaa", "intake-bbbbbbbbbbbb"]
    assert "intake-aaaa" not in repr(s)


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert Settings(forwarded_allow_ips=" 127.0.0.1, 10.0.0.0/8 ,::1").forwarded_allow_ips == (
        "127.0.0.1,10.0.0.0/8,::1")
    assert Settings(forwarded_allow_ips="*").forwarded_allow_ips == "*"
    with pytest.raises(ValidationError, match="not an address"):
        Settings(forwarded_allow_ips="127.0.0.1,nginx.internal")


@pytest.mark.parametrize(("url", "where"), [
    ("sqlite:///giliran.db", ".giliran/media"),
    ("sqlite:////var/lib/giliran/data.db", "/var/lib/giliran/.giliran/media"),
    ("sqlite+pysqlite:///desk/x.db?timeout=5", "desk/.giliran/media"),
    ("sqlite:///:memory:", ".giliran/media"),
    ("postgresql://u:p@db:5432/giliran", ".giliran/media"),
])
def test_customers_files_are_kept_beside_the_desks_data(url: str, where: str) -> None:
    settings = Settings(database_url=url)
    assert str(settings.media_cache_path) == where
    assert str(Settings(database_url=url, media_cache_dir="/srv/media").media_cache_path) == (
        "/srv/media")


def test_the_media_cache_settings_fail_fast() -> None:
    for bad in ({"media_cache_max_bytes": -1}, {"media_cache_days": 0}):
        with pytest.raises(ValidationError):
            Settings(**bad)
