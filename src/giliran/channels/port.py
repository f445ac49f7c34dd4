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
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter
from sqlalchemy import MetaData

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


# What a channel may bring besides the webhook, each optional (the registry reads them with
# getattr, so WhatsApp and Telegram, which bring none, need no change): its own tables, the
# migrations that make them, routes of its own under /api/v1 and a section of the console.
# So a channel that keeps state (email's mailboxes) is still its package and one line in the
# registry.


class Writes(Protocol):
    """The server's writer path (`Runner.write`): every write of a route goes through it."""

    async def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class RouteKit:
    """What the API lends a channel's router, so its routes authenticate, authorize, write
    and document their refusals as every other route does (a channel may not import the
    entry points): `route_class` checks access before the body is read; `ctx` and `runner`
    are dependencies giving the Context and the writer path; `access(*needs)` is the
    dependency giving the caller, who must hold one of `needs` (domain.people.Can);
    `refusals(*errors)` is a route's `openapi_extra`."""

    route_class: type[Any]
    ctx: Callable[..., Any]
    runner: Callable[..., Any]
    access: Callable[..., Any]
    refusals: Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class ConsoleSection:
    """A channel's part of the console, shown in the Queues view: a Jinja fragment (it may
    use `t(...)` with the channel's own words), a plain ES module served from `folder` at
    /dashboard/channels/<name>/, and the words in each language (`words[lang]`: a JSON file
    of key -> text, merged into the console's catalogue)."""

    name: str
    folder: Path  # holds `template` and `script`
    template: str
    script: str
    words: Mapping[str, Path]


class Contributes(Protocol):
    """The optional members of a Channel (see above); the registry's `migration_dirs`,
    `routers`, `consoles` and `metadata` collect them."""

    # An Alembic version directory with its own branch (`branch_labels=("<name>",)`,
    # `depends_on` the core revision it builds on); applied with the core's, to "heads".
    migrations: Path | None
    # The SQLAlchemy MetaData of the channel's own tables (the core's metadata never names
    # them; the schema test compares both with what the migrations made).
    metadata: MetaData | None

    def router(self, kit: RouteKit) -> APIRouter | None: ...

    def console(self) -> ConsoleSection | None: ...
