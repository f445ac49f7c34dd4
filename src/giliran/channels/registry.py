"""The chat channels this build of giliran speaks: one line per channel. The webhook route,
the courier, the composition root and the service's `sending` set all read this, so a new
channel is its package plus one `register(...)` line here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from giliran.channels import telegram, whatsapp
from giliran.channels.port import Channel, ChannelClient
from giliran.config import Settings
from giliran.domain.errors import UnknownChannel

CHANNELS: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


register(whatsapp.CHANNEL)
register(telegram.CHANNEL)


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


@contextmanager
def registered(channel: Channel) -> Iterator[Channel]:
    """A channel registered for a while (a test's own channel)."""
    register(channel)
    try:
        yield channel
    finally:
        CHANNELS.pop(channel.name, None)
