"""What a chat channel is to giliran: one port, implemented once per channel package.

A channel reads its own wire format and speaks to the service layer in the shapes it already
has (`Incoming`, `Receipt`, the bot's `ChatMessage`/`ButtonPress`); the webhook route only does
HTTP (the rate limit, the status, the JSON answer) and the courier only moves notices. So the
route, the courier and the composition root never name a channel: they ask the registry
(`giliran.channels.registry`).

A webhook is handled in three steps, so that nothing unauthenticated is read or stored:
`authenticate` (the channel's signature or secret; it reads the body only if it must), `parse`
(the body into the service's shapes; MalformedRequest otherwise), `deliver` (the use cases,
and the answer the channel expects).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from giliran.adapters.channel import ChannelClient as ChannelClient
from giliran.adapters.channel import Media as Media
from giliran.config import Settings
from giliran.domain.conversation import Receipt
from giliran.domain.errors import GiliranError
from giliran.service.context import Context
from giliran.service.conversations.channels import Edit, Incoming
from giliran.service.conversations.chat import ButtonPress, ChatMessage

# How a channel runs a use case: on the server's writer path (`Runner.write`).
Runs = Callable[..., Awaitable[Any]]
Body = Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Refusal:
    """Why a webhook call is turned away. `guessed`: a secret was given and it was wrong, which
    counts toward the caller's failed-authentication limit (a missing one does not)."""

    error: GiliranError
    guessed: bool = False


# A webhook's contents in the service layer's shapes: a customer's message (or its edit), a
# report on what giliran sent, what a bot's chat said or pressed.
Item = Incoming | Edit | Receipt | ChatMessage | ButtonPress


@dataclass
class Delivery:
    """What one webhook call holds."""

    items: list[Item] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # why, for the log


@dataclass(frozen=True)
class Reception:
    """What a channel needs to hand a delivery to the use cases."""

    ctx: Context
    run_write: Runs
    settings: Settings
    client: ChannelClient | None  # None while this server does not send on the channel


class Background(Protocol):
    def start(self) -> None: ...
    async def stop(self) -> None: ...


class Channel(Protocol):
    """One chat channel. `name` is what customers' addresses, messages and notices carry."""

    name: str
    # Channels whose customers are told that their ticket is resolved (a chat with a bot,
    # where a closing word is natural; WhatsApp's 24-hour window makes it a paid template).
    tells_resolved: bool
    # A verification handshake on GET (Meta's hub.challenge); False: GET is not allowed.
    has_handshake: bool

    def sends(self, settings: Settings) -> bool:
        """Whether this deployment is configured to send on the channel."""
        ...

    def client(self, settings: Settings) -> ChannelClient | None:
        """The client that sends on the channel and fetches media, when it is configured."""
        ...

    def max_attempts(self, settings: Settings) -> int:
        """How often the courier tries a notice before it is dead."""
        ...

    def handshake(self, settings: Settings, query: Mapping[str, str]) -> str | Refusal:
        """The text that answers the channel's GET verification."""
        ...

    async def authenticate(self, settings: Settings, headers: Mapping[str, str],
                           body: Body) -> Refusal | None:
        """None when the call really comes from the channel."""
        ...

    def parse(self, settings: Settings, body: bytes) -> Delivery:
        """MalformedRequest for a body that is not the channel's."""
        ...

    async def deliver(self, delivery: Delivery, reception: Reception) -> dict[str, Any]:
        """Each item through its use case; the JSON the channel gets back."""
        ...

    def background(self, settings: Settings, reception: Reception) -> Background | None:
        """A task beside the server, for a channel that must be asked for its messages (a bot
        without a public webhook); the caller starts and stops it."""
        ...
