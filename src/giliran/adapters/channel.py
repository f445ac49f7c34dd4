"""What every chat channel's client offers the server: sending a notice (or a file), fetching
media."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from giliran.domain.notices import Notice
from giliran.service.notices.notify import Sent


@dataclass(frozen=True)
class Media:
    """A file a customer sent, as the channel hands it over."""

    data: bytes
    mime_type: str
    file_name: str | None = None


class ChannelClient(Protocol):
    async def start(self) -> None: ...
    async def aclose(self) -> None: ...
    async def send(self, notice: Notice) -> Sent:
        """One attempt; never raises for the channel's refusals or outages."""
        ...
    async def send_media(self, notice: Notice, data: bytes) -> Sent:
        """One attempt at the file `notice.media` describes (`data`: its bytes), with
        `notice.text` as its caption; never raises, as `send`."""
        ...
    async def fetch_media(self, media_id: str, cap: int) -> Media:
        """The file, at most `cap` bytes (TooLarge beyond; ChannelUnavailable when the
        channel does not hand it over)."""
        ...
