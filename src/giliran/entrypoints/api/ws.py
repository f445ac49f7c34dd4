"""The event stream over a WebSocket at /api/v1/ws.

Protocol (JSON text frames):
  client -> {"type": "auth", "token": "...", "since": <last event id seen, optional>}
            or, from a signed-in page, {"type": "auth", "csrf_token": "...", "since"?}: the
            handshake's session cookie, with its CSRF token (ws_auth.py says why)
  server -> {"type": "hello", "last_event_id": N, "resumed": bool}
            then, with `since` and the events still kept: every event after it the client may
            see, in order; otherwise {"type": "snapshot", ...} (its queue, or the floor)
  server -> events as they commit: {"type": "ticket.assigned", "id": N, "at": "...", ...}
            (a ticket, agent or queue in an event is as the REST API shows it)
  server -> views without an id, after the events they reflect: {"type": "desk", ...} to an
            agent, {"type": "floor", ...} to an admin (see giliran.entrypoints.api.live_views)
  client -> {"type": "ping"}  server -> {"type": "pong"}
  client -> {"type": "watch", "tickets": "<query>"} (admins: keep this ticket list current)
Errors: {"type": "error", "code": "...", "message": "..."}, then close (4401 bad or missing
token, a session without its csrf_token, or a key that stopped working: a deactivated user, an
ended session, a revoked token; 4429 too many failed authentications from the address, 4400
bad first message, 4408 too slow to keep up: reconnect with `since`).

Every server process runs one hub that reads new events from the database (so events made by
any process or replica reach every socket) and hands each to the sockets allowed to see it. It
reads when the process's commit signal says events committed: at once for this process's own
commits (SQLite included), and on PostgreSQL for every other process's and replica's too, whose
NOTIFY the listener publishes on the same signal (giliran.adapters.sql.wakeup). The poll
interval (GILIRAN_EVENT_POLL_SECONDS) is only the backstop for what no signal announces: other
processes' commits on SQLite, a notification missed while the listener reconnects.
An agent's open socket counts as a sign of life (a heartbeat), so closing it starts the
presence grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from giliran.domain.errors import CsrfRefused, GiliranError, TooManyRequests, Unauthorized
from giliran.domain.event_types import EventType
from giliran.domain.events import Event
from giliran.domain.people import Role
from giliran.entrypoints.alarm import Alarm
from giliran.entrypoints.api.live_views import Views, valid_list_query
from giliran.entrypoints.api.root import root_of
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.ws_auth import FIRST_FRAME, Key, checked, key_of, principal
from giliran.service.assignment import presence
from giliran.service.context import Context
from giliran.service.events import stream
from giliran.service.people import access
from giliran.service.ports import Committed

log = logging.getLogger("giliran.ws")
router = APIRouter()

AUTH_TIMEOUT = 10.0
BACKLOG = 1000  # events waiting for one socket before it counts as too slow
REPLAY_PAGE = 500
# Seconds between two reads at least, however often commits wake the hub: under load one read
# takes every event of that span, instead of one read per commit in every process.
WAKE_GAP = 0.005


@dataclass(eq=False)
class Subscriber:
    viewer: stream.Viewer
    queue: asyncio.Queue[Event | dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(BACKLOG))
    overflowed: bool = False
    tickets: str | None = None  # an admin page's ticket list query (live_views.py)
    key: Key | None = None  # how it signed in, checked again when its user's access changes

    def offer(self, frame: Event | dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True  # its socket closes; the client resumes with `since`


class EventHub:
    """One per process: reads the events table when the commit signal says (or the backstop
    poll comes round) and fans out to the sockets."""

    def __init__(self, ctx: Context, interval: float) -> None:
        self._ctx = ctx
        self._interval = interval
        self._subscribers: set[Subscriber] = set()
        self.position = 0  # the last event id handed out
        self._task: asyncio.Task[None] | None = None
        self._woken = Alarm()
        self.views = Views(ctx, lambda: list(self._subscribers))

    def committed(self, commit: Committed) -> None:
        """A subscriber of the commit signal, run in the committing thread: read the new
        events now. Not for events already handed out, and not with no socket open here
        (nobody to hurry for: the next poll keeps up)."""
        if (self._subscribers and commit.moved
                and (commit.events_upto is None or commit.events_upto > self.position)):
            self._woken.ring()

    async def start(self) -> None:
        self._woken.arm()
        self.position = (await run_in_threadpool(stream.bounds, self._ctx))[1]
        self._task = asyncio.create_task(self._poll(), name="giliran-event-hub")
        self.views.start()

    async def stop(self) -> None:
        await self.views.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self, viewer: stream.Viewer) -> Subscriber:
        sub = Subscriber(viewer)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    async def _poll(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._woken.clear()  # a wake from here on means events this read may not see
            try:
                if self._subscribers:
                    events = await run_in_threadpool(stream.read_after, self._ctx,
                                                     self.position, REPLAY_PAGE)
                else:
                    # Nobody listens here: keep up with one index lookup, not by reading (and
                    # decoding) every event; a socket that connects replays from the database.
                    latest = (await run_in_threadpool(stream.bounds, self._ctx))[1]
                    if not self._subscribers:  # one may have joined meanwhile: then read
                        self.position = latest
                    events = []
            except Exception:
                log.exception("reading events failed; retrying")
                events = []
            for event in events:
                self._deliver(event)
                self.position = event.id
            if events:
                self.views.read(events)
            if len(events) < REPLAY_PAGE:
                rested = loop.time() + WAKE_GAP
                await self._woken.wait(self._interval)
                await asyncio.sleep(max(0.0, rested - loop.time()))

    def _deliver(self, event: Event) -> None:
        for sub in list(self._subscribers):
            if not sub.overflowed and sub.viewer.sees(event):
                sub.offer(event)


@router.websocket("/ws")
async def event_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    root = root_of(websocket.app)
    ctx, hub = root.ctx, root.hub
    try:
        first = await asyncio.wait_for(websocket.receive_json(), AUTH_TIMEOUT)
    except (TimeoutError, ValueError, WebSocketDisconnect, RuntimeError):
        await _refuse(websocket, 4400, "bad_request", f"send {FIRST_FRAME} first")
        return
    since = first.get("since") if isinstance(first, dict) else None
    key = key_of(first, websocket)
    if key is None or (since is not None and (not isinstance(since, int) or since < 0)):
        await _refuse(websocket, 4400, "bad_request", f"the first message must be {FIRST_FRAME}")
        return
    throttle = root.throttle
    try:
        throttle.check(websocket)
        try:
            who = await run_in_threadpool(principal, ctx, key)
            viewer = await run_in_threadpool(stream.viewer, ctx, who)
        except (Unauthorized, CsrfRefused):
            await throttle.failed(websocket)
            raise
    except TooManyRequests as exc:
        await _refuse(websocket, 4429, exc.code, exc.message)
        return
    except GiliranError as exc:
        code = exc.code if isinstance(exc, Unauthorized | CsrfRefused) else "forbidden"
        await _refuse(websocket, 4401, code, exc.message)
        return
    sub = hub.subscribe(viewer)
    sub.key = key
    try:
        await _serve(websocket, ctx, hub, sub, since)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)


async def _serve(websocket: WebSocket, ctx: Context, hub: EventHub, sub: Subscriber,
                 since: int | None) -> None:
    grace = 0
    runner = root_of(websocket.app).runner
    if sub.viewer.principal.role is Role.AGENT:
        # A heartbeat writes (last seen, maybe presence): on the writer path, like every write.
        _, grace = await runner.write(presence.heartbeat, ctx, sub.viewer.principal)
    first_kept, last = await run_in_threadpool(stream.bounds, ctx)
    # Where the live feed starts: the latest event, even when this process's poller is behind
    # (with no socket open it reads only at its poll). Events up to here that it hands over
    # later are skipped as already sent; those after, it delivers.
    start = max(hub.position, last)
    resumed = since is not None and (first_kept == 0 or since + 1 >= first_kept)
    await websocket.send_json({"type": "hello", "last_event_id": start, "resumed": resumed})
    sent = since or 0
    if resumed:
        sent = await _replay(websocket, ctx, sub.viewer, sent, start)
    else:
        picture = await run_in_threadpool(stream.snapshot, ctx, sub.viewer)
        await websocket.send_json({"type": "snapshot", "last_event_id": start, **picture})
        sent = start
    tasks = [asyncio.create_task(_forward(websocket, sub, sent)),
             asyncio.create_task(_listen(websocket, hub, sub))]
    if sub.viewer.principal.role is Role.AGENT:
        tasks.append(asyncio.create_task(_keep_alive(ctx, runner, sub, grace)))
    if sub.key is not None:
        tasks.append(asyncio.create_task(_check_key(websocket, ctx, runner, sub)))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()


async def _replay(websocket: WebSocket, ctx: Context, viewer: stream.Viewer, after: int,
                  until: int) -> int:
    """What the client missed, up to where the live feed starts."""
    while after < until:
        page = await run_in_threadpool(stream.read_after, ctx, after, REPLAY_PAGE)
        if not page:
            break
        for event in page:
            if event.id > until:
                return after
            if viewer.sees(event):
                await websocket.send_json(event.message())
            after = event.id
    return after


async def _forward(websocket: WebSocket, sub: Subscriber, sent: int) -> None:
    ctx = root_of(websocket.app).ctx
    while True:
        event = await sub.queue.get()
        if sub.overflowed:
            await _refuse(websocket, 4408, "too_slow",
                          f"events arrived faster than this connection took them; reconnect "
                          f"with since={sent}")
            return
        if isinstance(event, dict):
            await websocket.send_json(event)  # a view: no id of its own
            continue
        if event.id <= sent:
            continue  # already replayed
        await websocket.send_json(event.message())
        sent = event.id
        if (event.type is EventType.USER_CHANGED and sub.key is not None
                and event.payload["user"]["id"] == sub.viewer.principal.user_id):
            # Its user's access changed: the key may have stopped working, or the role or
            # queues changed what it sees. Checked here, on every replica, as the event passes.
            try:
                who = await run_in_threadpool(principal, ctx, sub.key)
                sub.viewer = await run_in_threadpool(stream.viewer, ctx, who)
            except GiliranError as exc:
                await _refuse(websocket, 4401, exc.code if isinstance(exc, Unauthorized)
                              else "forbidden", exc.message)
                return
        elif event.type is EventType.AGENT_CHANGED and sub.viewer.agent is not None:
            # Its queues may have changed, and with them what it sees; a deactivated agent's
            # token is revoked, so its socket closes as a refused login would.
            try:
                sub.viewer = await run_in_threadpool(stream.refreshed, ctx,
                                                     sub.viewer.principal)
            except Unauthorized as exc:
                await _refuse(websocket, 4401, exc.code, exc.message)
                return


async def _listen(websocket: WebSocket, hub: EventHub, sub: Subscriber) -> None:
    while True:
        incoming = await websocket.receive_json()
        kind = incoming.get("type") if isinstance(incoming, dict) else None
        if kind == "ping":
            await websocket.send_json({"type": "pong"})
        elif (kind == "watch" and sub.viewer.agent is None
              and isinstance(query := incoming.get("tickets"), str) and valid_list_query(query)):
            sub.tickets = query
            hub.views.watched()
        else:
            await websocket.send_json({
                "type": "error", "code": "unknown_message",
                "message": "only {\"type\": \"ping\"} (and an admin's valid \"watch\") is "
                           "understood"})


async def _keep_alive(ctx: Context, runner: Runner, sub: Subscriber, grace: int) -> None:
    """An open socket is a heartbeat: one on connecting, then well within the grace period."""
    while True:
        await asyncio.sleep(min(60.0, grace / 3) if grace > 0 else 60.0)
        _, grace = await runner.write(presence.heartbeat, ctx, sub.viewer.principal)


async def _check_key(websocket: WebSocket, ctx: Context, runner: Runner,
                     sub: Subscriber) -> None:
    """Now and then, whether the socket's key still works: a session past its absolute
    expiry, a token past its own, end no event announces. The open page is a use of its
    session or token (noted at most once a minute, as a request would)."""
    every = root_of(websocket.app).settings.ws_key_check_seconds
    key = sub.key
    assert key is not None
    while True:
        await asyncio.sleep(every)
        try:
            _, seen = await run_in_threadpool(checked, ctx, key)
        except GiliranError as exc:
            await _refuse(websocket, 4401, exc.code, exc.message)
            return
        if seen is not None:
            await runner.write(access.note_use, ctx, seen)


async def _refuse(websocket: WebSocket, close_code: int, code: str, text: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.send_json({"type": "error", "code": code, "message": text})
        await websocket.close(close_code)
