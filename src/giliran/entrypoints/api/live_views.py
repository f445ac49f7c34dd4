"""The pages' views, worked out by the event hub: once per batch of events per process, not
once per page and event.

A page keeps one store filled from frames: events carry the ticket, agent or queue that changed;
what an event cannot carry (an agent's pick-up list, its room, the floor's figures: pending,
flagged, free slots, next agent, unreachable, oldest waiting, the agents' load and today's
counts) comes in a view frame, which is exactly what the REST endpoints answer, made by the
same route functions, so no rule of the domain is copied into JavaScript:
  agent  -> {"type": "desk", "me": GET /agent/me, "queue": GET /agent/my-queue,
             "available": GET /agent/available?limit=20}
  admin  -> {"type": "floor", "workload": GET /workload, "agents": GET /agents,
             "queues": GET /queues}
            and, once it sent {"type": "watch", "tickets": "<the query string of its ticket
            list>"}: {"type": "tickets", "query": "<the same>", "page": GET /tickets?<it>}
            (worked out once per distinct query)
A view is worked out when an event that may change it was read (for one agent: an event of
its queues, about itself or about any agent, whose turn may pass), at most once every GAP
seconds: the first batch of a quiet floor at once, a burst's later ones coalesced. A view is
several reads: one overtaken by events while it was worked out (it would follow them on the
socket without reflecting them all) is dropped for the next one, though never twice in a row,
so a floor that never goes quiet still gets views. The last frame a page gets is right.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from starlette.concurrency import run_in_threadpool

from giliran.domain.event_types import EventType
from giliran.domain.events import Event
from giliran.entrypoints.api import frames, routes_agents, routes_floor, routes_tickets
from giliran.service.context import Context, Principal
from giliran.service.events import stream

log = logging.getLogger("giliran.ws")

GAP = 0.25  # seconds between two workings-out at least
PICKUP_PAGE = 20  # as many of the pick-up list as the agent page shows


class Watcher(Protocol):
    viewer: stream.Viewer
    tickets: str | None  # the query of its ticket list, validated

    def offer(self, frame: dict[str, Any]) -> None: ...


def desk(ctx: Context, who: Principal) -> dict[str, Any]:
    return frames.Desk(
        me=routes_agents.whoami(ctx, who), queue=routes_agents.my_queue(ctx, who),
        available=routes_agents.available(ctx, who, PICKUP_PAGE, 0),
    ).model_dump(mode="json")


def floor(ctx: Context, who: Principal) -> dict[str, Any]:
    return frames.Floor(
        workload=routes_floor.workload(ctx, who), agents=routes_agents.list_agents(ctx, who),
        queues=routes_floor.list_queues(ctx, who),
    ).model_dump(mode="json")


def _list_query() -> type[BaseModel]:
    """GET /tickets's query parameters as a model, taken from the route itself: a watched list
    is validated as the route validates it."""
    hints = typing.get_type_hints(routes_tickets.list_tickets, include_extras=True)
    fields: dict[str, Any] = {
        name: (hints[name], p.default)
        for name, p in inspect.signature(routes_tickets.list_tickets).parameters.items()
        if name not in ("ctx", "who")}
    return create_model("TicketListQuery", __config__=ConfigDict(extra="forbid"), **fields)


TicketListQuery = _list_query()


def valid_list_query(query: str) -> bool:
    try:
        TicketListQuery.model_validate(dict(parse_qsl(query)))
    except ValidationError:
        return False
    return True


def ticket_list(ctx: Context, who: Principal, query: str) -> dict[str, Any]:
    params = TicketListQuery.model_validate(dict(parse_qsl(query)))
    page = routes_tickets.list_tickets(ctx, who, **dict(params))
    return frames.Tickets(query=query, page=page).model_dump(mode="json")


@dataclass
class Dirty:
    floor: bool = False
    agents: set[int] = field(default_factory=set)


def touched(events: Sequence[Event], watchers: Iterable[Watcher], dirty: Dirty) -> None:
    """Which views these events may have changed."""
    # A reply's state moves the floor's count of failed replies (failed, retried, or a later
    # reply that got through), and a reply its agent's last reply; nothing to an agent's desk.
    if any(e.type in (EventType.MESSAGE_STATUS, EventType.MESSAGE_SENT) for e in events):
        dirty.floor = True
    floor_events = [e for e in events if not (e.type.is_message or e.type.is_user)]
    if not floor_events:
        return
    dirty.floor = True
    any_agent = any(e.type.is_agent for e in floor_events)
    for w in watchers:
        agent = w.viewer.agent
        if agent is None or agent.id in dirty.agents:
            continue
        if any_agent or any(e.queue in agent.queues or agent.id in e.agents
                            for e in floor_events):
            dirty.agents.add(agent.id)


class Views:
    """One per process, beside the hub."""

    def __init__(self, ctx: Context, watchers: Callable[[], list[Watcher]]) -> None:
        self._ctx = ctx
        self._watchers = watchers
        self._dirty = Dirty()
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._held_back = Dirty()  # views dropped last time as overtaken (see _overtaken)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="giliran-views")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def watched(self) -> None:
        """An admin's page chose another ticket list: send it soon."""
        self._dirty.floor = True
        self._woken.set()

    def read(self, events: Sequence[Event]) -> None:
        touched(events, self._watchers(), self._dirty)
        if self._dirty.floor or self._dirty.agents:
            self._woken.set()

    async def _run(self) -> None:
        while True:
            await self._woken.wait()
            self._woken.clear()
            dirty, self._dirty = self._dirty, Dirty()
            try:
                await self._send(dirty)
            except Exception:
                log.exception("working out the pages' views failed")
            await asyncio.sleep(GAP)

    async def _send(self, dirty: Dirty) -> None:
        watchers = self._watchers()
        admins = [w for w in watchers if w.viewer.agent is None]
        if dirty.floor and admins:
            frame = await run_in_threadpool(floor, self._ctx, admins[0].viewer.principal)
            if not self._overtaken(floor=True):
                for w in admins:
                    w.offer(frame)
            await self._send_lists(admins)
        for agent_id in dirty.agents:
            mine = [w for w in watchers if w.viewer.agent and w.viewer.agent.id == agent_id]
            if not mine:
                continue
            try:
                frame = await run_in_threadpool(desk, self._ctx, mine[0].viewer.principal)
            except Exception:  # deactivated meanwhile: its socket closes on its own event
                log.debug("no desk for agent %s", agent_id, exc_info=True)
                continue
            if not self._overtaken(agent_id=agent_id):
                for w in mine:
                    w.offer(frame)

    def _overtaken(self, *, floor: bool = False, agent_id: int | None = None) -> bool:
        """Whether to drop a view just worked out because events that change it were read
        while it was (a view is several reads, and would follow those events on the socket
        without reflecting them all); another is worked out next anyway. Never twice in a row
        for one view, so a floor that never goes quiet still gets its views."""
        if floor:
            again = self._dirty.floor and not self._held_back.floor
            self._held_back.floor = again
            return again
        assert agent_id is not None
        again = agent_id in self._dirty.agents and agent_id not in self._held_back.agents
        self._held_back.agents.discard(agent_id)
        if again:
            self._held_back.agents.add(agent_id)
        return again

    async def _send_lists(self, admins: list[Watcher]) -> None:
        for query in sorted({w.tickets for w in admins if w.tickets is not None}):
            frame = await run_in_threadpool(ticket_list, self._ctx,
                                            admins[0].viewer.principal, query)
            for w in admins:
                if w.tickets == query:
                    w.offer(frame)
