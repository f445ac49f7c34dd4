"""The server's parts, typed, in one object: what the lifespan builds once and every route,
socket and middleware reads through `root_of` (or the `Parts` dependency).

Before, a dozen loose attributes on `app.state` were each read, untyped, where they were
needed; a missing or misspelt one failed on the first request that touched it. The root is set
on `app.state` under one name and nothing else is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Depends, Request
from starlette.types import Scope

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from giliran.bootstrap import Container
    from giliran.channels.port import ChannelClient, Media
    from giliran.config import Settings
    from giliran.entrypoints.api.edge import EdgeLimits
    from giliran.entrypoints.api.routes_floor import GaugeCache
    from giliran.entrypoints.api.routes_simulation import Simulations
    from giliran.entrypoints.api.runner import Runner
    from giliran.entrypoints.api.throttle import Throttle
    from giliran.entrypoints.api.ws import EventHub
    from giliran.service.context import Context


class MediaStore(Protocol):
    """What the server asks of the customers' files kept on disk (bootstrap builds it)."""

    async def fetch(self, client: ChannelClient, channel: str, media_id: str,
                    cap: int) -> Media: ...
    def prune(self) -> int: ...


@dataclass(frozen=True)
class Root:
    container: Container
    edge: EdgeLimits
    runner: Runner
    throttle: Throttle
    gauges: GaugeCache
    simulations: Simulations
    hub: EventHub
    channels: Mapping[str, ChannelClient]  # the clients this server sends with, by channel
    media: MediaStore

    @property
    def ctx(self) -> Context:
        return self.container.ctx

    @property
    def settings(self) -> Settings:
        return self.container.settings


KEY = "root"  # the one attribute of app.state


def install(app: Starlette, root: Root) -> None:
    setattr(app.state, KEY, root)


def root_of(app: Starlette) -> Root:
    """The app's root; a request, a socket or a middleware passes its `.app`."""
    root: Root = getattr(app.state, KEY)
    return root


def root_in(scope: Scope) -> Root | None:
    """The root, for a middleware that may see a request before the lifespan has run."""
    root: Root | None = getattr(scope["app"].state, KEY, None)
    return root


async def get_root(request: Request) -> Root:
    return root_of(request.app)


Parts = Annotated[Root, Depends(get_root)]
