"""The mixed load of `make smoke-deploy`, sent through nginx as a floor's clients would send
it: intake creating tickets, agents going online and offline, accepting and completing, an
admin watching, and WebSocket clients following the event stream.

Every client treats nginx's 503 "unavailable" (no replica answered: one was just killed) and a
dropped connection as a transient failure and carries on as a real client does: a creator
retries its POST with the same external_id (idempotent), an agent reads its queue again, a
socket reconnects with `since` (the last event id it saw).
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.support.e2e_server import Actor, Call, Recorder
from tests.support.server import ADMIN_TOKEN

PRIORITIES = ("low", "normal", "high", "urgent")
# What each kind of call may answer (besides a transient failure).
ALLOWED: dict[str, set[int]] = {
    "setup": {200, 201},
    "create": {200, 201},  # 200: a retry found the ticket an unanswered attempt created
    "online": {200},
    "offline": {200},
    "my-queue": {200},
    "accept": {200, 409},  # 409: escalated away, or a retry of an accept that went through
    "complete": {200, 409},
    "workload": {200},
    "list": {200},
}


def transient(call: Call) -> bool:
    """No replica answered (nginx's 503 unavailable) or the connection dropped."""
    if call.status == 0:
        return True
    error = call.body.get("error") if isinstance(call.body, dict) else None
    return call.status == 503 and isinstance(error, dict) and error.get("code") == "unavailable"


@dataclass
class AgentHandle:
    id: int
    token: str
    max_tickets: int


@dataclass
class Floor:
    base_url: str  # nginx
    database_url: str
    seed: int
    recorder: Recorder = field(default_factory=Recorder)
    agents: list[AgentHandle] = field(default_factory=list)
    attempted: set[str] = field(default_factory=set)  # external ids any POST carried
    acknowledged: dict[str, int] = field(default_factory=dict)  # external id -> ticket id

    def actor(self, name: str, token: str) -> Actor:
        return Actor(name, self.base_url, token, self.recorder, timeout=15.0)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")


async def until_answered(actor: Actor, kind: str, method: str, path: str,
                         json_body: Any = None, *, attempts: int = 40) -> Call:
    """A call repeated while it fails transiently, as a client retries through a restart."""
    call = await actor.call(kind, method, path, json=json_body)
    for attempt in range(1, attempts):
        if not transient(call):
            break
        await asyncio.sleep(min(0.5, 0.05 * attempt))  # a client's back-off
        call = await actor.call(kind, method, path, json=json_body)
    return call


async def set_up(floor: Floor, capacities: tuple[int, ...]) -> None:
    admin = floor.actor("admin-setup", ADMIN_TOKEN)
    try:
        for i, cap in enumerate(capacities, start=1):
            made = await until_answered(admin, "setup", "POST", "/agents", {
                "name": f"agent-{i}", "max_tickets": cap, "rotation_order": i})
            assert made.status == 201, made.describe()
            floor.agents.append(AgentHandle(made.body["id"], made.body["token"], cap))
        # Timers race the clients: assignments not accepted within 2 s are taken back.
        policy = await until_answered(admin, "setup", "PATCH", "/queues/default", {
            "accept_timeout_seconds": 2, "offline_policy": "requeue"})
        assert policy.status == 200, policy.describe()
    finally:
        await admin.aclose()


async def creator(floor: Floor, index: int, stop: asyncio.Event) -> None:
    rng = floor.rng(f"creator-{index}")
    me = floor.actor(f"creator-{index}", ADMIN_TOKEN)
    try:
        number = 0
        while not stop.is_set():
            number += 1
            ext = f"smoke-{index}-{number}"
            floor.attempted.add(ext)
            call = await until_answered(me, "create", "POST", "/tickets", {
                "title": f"ticket {ext}", "external_id": ext,
                "priority": rng.choice(PRIORITIES)})
            if call.status in (200, 201):
                floor.acknowledged[ext] = call.body["id"]
            await asyncio.sleep(rng.uniform(0.01, 0.05))  # the pace of intake
    finally:
        await me.aclose()


async def agent(floor: Floor, handle: AgentHandle, stop: asyncio.Event) -> None:
    rng = floor.rng(f"agent-{handle.id}")
    me = floor.actor(f"agent-{handle.id}", handle.token)
    try:
        await until_answered(me, "online", "POST", "/agent/go-online")
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(0.02, 0.08))  # an agent's pace
            if rng.random() < 0.04:
                await me.call("offline", "POST", "/agent/go-offline")
                await asyncio.sleep(rng.uniform(0.1, 0.5))
                await me.call("online", "POST", "/agent/go-online")
                continue
            mine = await me.call("my-queue", "GET", "/agent/my-queue")
            if mine.status != 200:
                continue
            assigned = [t["id"] for t in mine.body["queue"] if t["status"] == "assigned"]
            started = [t["id"] for t in mine.body["queue"] if t["status"] == "in_progress"]
            if assigned and rng.random() < 0.7:
                await me.call("accept", "POST", f"/tickets/{assigned[0]}/accept")
            elif started and rng.random() < 0.8:
                await me.call("complete", "POST", f"/tickets/{rng.choice(started)}/complete")
        # The floor settles with everyone online, so a queued ticket next to an agent with
        # room would be a real lost wake-up.
        await until_answered(me, "online", "POST", "/agent/go-online")
    finally:
        await me.aclose()


async def supervisor(floor: Floor, stop: asyncio.Event) -> None:
    me = floor.actor("supervisor", ADMIN_TOKEN)
    try:
        while not stop.is_set():
            await me.call("workload", "GET", "/workload")
            await me.call("list", "GET", "/tickets?status=queued&limit=50")
            await asyncio.sleep(0.2)  # a dashboard's pace
    finally:
        await me.aclose()


@dataclass
class Watcher:
    """An admin's event stream through nginx, resumed with `since` after every drop."""

    name: str
    ws_url: str
    last_id: int | None = None
    created: set[int] = field(default_factory=set)  # tickets whose creation it heard
    events: int = 0
    connections: int = 0
    problems: list[str] = field(default_factory=list)
    # Set once it has a starting point: tickets created from then on it must hear of (ones
    # created before are in its snapshot, not in its events).
    following: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with connect(self.ws_url, open_timeout=5) as ws:
                    self.connections += 1
                    await self._follow(ws, stop)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
                await asyncio.sleep(0.1)  # then reconnect, as the dashboards do

    async def _follow(self, ws: Any, stop: asyncio.Event) -> None:
        auth: dict[str, Any] = {"type": "auth", "token": ADMIN_TOKEN}
        if self.last_id is not None:
            auth["since"] = self.last_id
        await ws.send(json.dumps(auth))
        hello = json.loads(await ws.recv())
        if self.last_id is None:
            self.last_id = hello["last_event_id"]  # a snapshot follows; events after it
            self.following.set()
        elif not hello.get("resumed"):
            self.problems.append(f"{self.name}: could not resume after event {self.last_id}")
        while not stop.is_set():
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                continue  # only to look at `stop` now and then
            if msg["type"] in ("snapshot", "pong", "error") or "id" not in msg:
                continue
            if msg["id"] <= self.last_id:
                self.problems.append(f"{self.name}: event {msg['id']} after {self.last_id}")
            self.last_id = msg["id"]
            self.events += 1
            if msg["type"] == "ticket.created":
                self.created.add(msg["ticket"]["id"])
