"""The chat channels this build of giliran speaks: one line per channel. The webhook route,
the courier, the composition root and the service's `sending` set all read this, so a new
channel is its package plus one `register(...)` line here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from pydantic_settings import BaseSettings
from sqlalchemy import MetaData

from giliran.channels import email, telegram, whatsapp
from giliran.channels.port import Channel, ChannelClient, ConsoleSection, RouteKit
from giliran.config import Settings
from giliran.domain.errors import UnknownChannel

CHANNELS: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


register(whatsapp.CHANNEL)
register(telegram.CHANNEL)
register(email.CHANNEL)


def find(name: str) -> Channel:
    channel = CHANNELS.get(name)
    if channel is None:
        raise UnknownChannel(f"giliran has no channel {name[:40]!r}")
    return channel


def clients(settings: Settings) -> dict[str, ChannelClient]:
    """The clients of the channels this deployment is configured to send on."""
    found = {name: channel.client(settings) for name, channel in CHANNELS.items()}
    return {name: client for name, client in found.items() if client is not None}


def sending(settings: Settings) -> frozenset[str]:
    """The channels this deployment can send on."""
    return frozenset(name for name, channel in CHANNELS.items() if channel.sends(settings))


def telling_resolved() -> frozenset[str]:
    return frozenset(name for name, channel in CHANNELS.items() if channel.tells_resolved)


def migration_dirs() -> tuple[Path, ...]:
    """The Alembic version directories the channels bring, beside the core's (each once: a
    test's channel may bring a registered channel's)."""
    return tuple(dict.fromkeys(found for found in _each("migrations") if found is not None))


def metadata() -> tuple[MetaData, ...]:
    """The MetaData of the channels' own tables."""
    return tuple({id(found): found for found in _each("metadata") if found is not None}
                 .values())


def settings_models() -> dict[str, type[BaseSettings]]:
    """The settings classes the channels bring (their GILIRAN_* variables), by channel."""
    return {name: model for name, channel in CHANNELS.items()
            if (model := getattr(channel, "settings_model", None)) is not None}


def routers(kit: RouteKit) -> list[APIRouter]:
    """The channels' own routes, to go under /api/v1."""
    made = (make(kit) for make in _each("router") if make is not None)
    return [router for router in made if router is not None]


def consoles() -> list[ConsoleSection]:
    """The channels' sections of the console."""
    made = (make() for make in _each("console") if make is not None)
    return [section for section in made if section is not None]


def _each(member: str) -> Iterator[Any]:
    """A member a channel may have (port.Contributes), in registration order; None if not."""
    return (getattr(channel, member, None) for channel in CHANNELS.values())


@contextmanager
def registered(channel: Channel) -> Iterator[Channel]:
    """A channel registered for a while (a test's own channel)."""
    register(channel)
    try:
        yield channel
    finally:
        CHANNELS.pop(channel.name, None)
