"""Hundreds of concurrent creates, accepts, completes and presence changes from many clients at
a real `giliran serve` with two worker processes, on SQLite and PostgreSQL; then the floor's
invariants, checked from the database alone.

The load is random but bounded (a fixed number of operations per client, and a time budget).
The seed is printed; set GILIRAN_LOAD_SEED to replay the same choices (the interleaving of
course differs from run to run).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e_invariants import ACTIVE, Snapshot, violations
from tests.support.e2e_server import (
    Actor,
    Call,
    Recorder,
    log_tail,
    logged_errors,
    running_server,
)
from tests.support.server import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

WORKERS = 2
CAPACITIES = (2, 3, 2, 3, 2, 3, 2, 3)  # eight agents
DEVICES_PER_AGENT = 2  # two tabs of the same agent race each other on accept/complete
AGENT_ROUNDS = 14
CREATORS = 6
CREATES_PER_CREATOR = 26
DUPLICATE_IDS = 16
DUPLICATE_FANOUT = 4  # simultaneous POSTs with one external_id, from distinct clients
ADMINS = 2
ADMIN_ROUNDS = 16
LOAD_BUDGET_S = 40.0  # the whole load phase; each test must finish well under a minute
PRIORITIES = ("low", "normal", "high", "urgent")

# What each kind of call may answer under racing. Anything else (and any 5xx) fails the test.
ALLOWED: dict[str, set[int]] = {
    "create-agent": {201},
    "create": {201},
    "create-retry": {200},  # a client re-posting its own external_id after a 201
    "create-dup": {200, 201},
    "online": {200},
    "offline": {200},
    "my-queue": {200},
    "accept": {200, 409},  # the agent's other device or an admin got there first
    "complete": {200, 409},  # 409 also when the ticket was taken back from this agent
    # Someone else's ticket. 409: it was taken back from me; 200: timers moved it, and it
    # has become mine in the meantime.
    "nosy-accept": {200, 403, 409},
    "heartbeat": {200},
    "policy": {200},
    "nosy-complete": {200, 403, 409},
    "list": {200},
    "admin-complete": {200, 409},
    "admin-patch": {200},
}


@dataclass
class AgentHandle:
    id: int
    name: str
    token: str
    max_tickets: int


@dataclass
class Load:
    server_url: str
    rng_seed: int
    recorder: Recorder = field(default_factory=Recorder)
    agents: list[AgentHandle] = field(default_factory=list)
    seen_tickets: dict[int, int] = field(default_factory=dict)  # ticket id -> holder seen

    def actor(self, name: str, token: str) -> Actor:
        return Actor(name, self.server_url, token, self.recorder)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.rng_seed}:{name}")


async def jitter(rng: random.Random, upto: float = 0.015) -> None:
    await asyncio.sleep(rng.uniform(0, upto))


async def create_agents(load: Load) -> None:
    admin = load.actor("admin-setup", ADMIN_TOKEN)
    try:
        for i, cap in enumerate(CAPACITIES, start=1):
            call = await admin.call("create-agent", "POST", "/agents", json={
                "name": f"agent-{i}", "max_tickets": cap, "rotation_order": i})
            assert call.status == 201, call.describe()
            load.agents.append(AgentHandle(call.body["id"], f"agent-{i}", call.body["token"], cap))
        # Timers race the load: assignments nobody accepts within 1 s are taken back while
        # agents accept and complete.
        call = await admin.call("policy", "PATCH", "/queues/default",
                                json={"accept_timeout_seconds": 1, "offline_policy": "requeue"})
        assert call.status == 200, call.describe()
    finally:
        await admin.aclose()


async def creator(load: Load, index: int) -> None:
    rng = load.rng(f"creator-{index}")
    me = load.actor(f"creator-{index}", ADMIN_TOKEN)
    mine: list[dict[str, Any]] = []
    try:
        for j in range(CREATES_PER_CREATOR):
            body: dict[str, Any] = {"title": f"c{index}-{j}"}
            if rng.random() < 0.7:
                body["priority"] = rng.choice(PRIORITIES)
            if rng.random() < 0.3:
                body["external_id"] = f"uniq-{index}-{j}"
            call = await me.call("create", "POST", "/tickets", json=body)
            if call.status == 201 and "external_id" in body:
                mine.append(body)
            if mine and rng.random() < 0.1:  # a retry of an earlier, acknowledged POST
                await me.call("create-retry", "POST", "/tickets", json=rng.choice(mine))
            await jitter(rng)
    finally:
        await me.aclose()


async def duplicate_bursts(load: Load, clients: list[Actor], ids: list[str]) -> None:
    """Fire DUPLICATE_FANOUT identical POSTs at once, each from a different client."""
    rng = load.rng(f"dups-{ids[0]}")
    for ext in ids:
        await asyncio.sleep(rng.uniform(0, 0.25))
        body = {"title": f"dup {ext}", "priority": rng.choice(PRIORITIES), "external_id": ext}
        senders = rng.sample(clients, DUPLICATE_FANOUT)
        await asyncio.gather(*(c.call("create-dup", "POST", "/tickets", json=body)
                               for c in senders))


async def agent_device(load: Load, agent: AgentHandle, device: int) -> None:
    rng = load.rng(f"agent-{agent.id}-{device}")
    me = load.actor(f"{agent.name}/{device}", agent.token)
    try:
        if device == 0 and rng.random() < 0.8:
            await me.call("online", "POST", "/agent/go-online")
        for _ in range(AGENT_ROUNDS):
            if rng.random() < 0.15:
                kind = rng.choice(("online", "offline"))
                await me.call(kind, "POST", f"/agent/go-{kind}")
            if rng.random() < 0.1:
                await me.call("heartbeat", "POST", "/agent/heartbeat")
            q = await me.call("my-queue", "GET", "/agent/my-queue")
            if q.status != 200:
                continue
            queue = q.body["queue"]
            for t in queue:
                load.seen_tickets[t["id"]] = agent.id
            assigned = [t["id"] for t in queue if t["status"] == "assigned"]
            started = [t["id"] for t in queue if t["status"] == "in_progress"]
            roll = rng.random()
            if assigned and roll < 0.5:
                # Both devices tend to pick the head of the personal queue: a real race.
                tid = assigned[0] if rng.random() < 0.7 else rng.choice(assigned)
                await me.call("accept", "POST", f"/tickets/{tid}/accept")
            elif started and roll < 0.9:  # only what was accepted can be completed
                tid = rng.choice(started)
                await me.call("complete", "POST", f"/tickets/{tid}/complete")
            elif roll >= 0.9:
                others = [tid for tid, holder in list(load.seen_tickets.items())
                          if holder != agent.id]
                if others:
                    tid = rng.choice(others)
                    action = rng.choice(("accept", "complete"))
                    await me.call(f"nosy-{action}", "POST", f"/tickets/{tid}/{action}")
            await jitter(rng)
    finally:
        await me.aclose()


async def admin_worker(load: Load, index: int) -> None:
    rng = load.rng(f"admin-{index}")
    me = load.actor(f"admin-{index}", ADMIN_TOKEN)
    try:
        for _ in range(ADMIN_ROUNDS):
            roll = rng.random()
            if roll < 0.15:
                agent = rng.choice(load.agents)
                await me.call("admin-patch", "PATCH", f"/agents/{agent.id}",
                              json={"auto_assign": rng.random() < 0.5})
            else:
                status = rng.choice(ACTIVE)
                page = await me.call("list", "GET", "/tickets",
                                     params={"status": status, "limit": 100})
                items = page.body["items"] if page.status == 200 else []
                if items:
                    tid = rng.choice(items)["id"]
                    await me.call("admin-complete", "POST", f"/tickets/{tid}/complete")
            await jitter(rng, 0.03)
    finally:
        await me.aclose()


async def run_load(load: Load) -> None:
    await create_agents(load)
    creator_clients = [load.actor(f"dup-client-{i}", ADMIN_TOKEN) for i in range(CREATORS)]
    dup_ids = [f"dup-{k}" for k in range(DUPLICATE_IDS)]
    try:
        tasks = [
            *(creator(load, i) for i in range(CREATORS)),
            *(duplicate_bursts(load, creator_clients, dup_ids[k::4]) for k in range(4)),
            *(agent_device(load, a, d) for a in load.agents for d in range(DEVICES_PER_AGENT)),
            *(admin_worker(load, i) for i in range(ADMINS)),
        ]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=LOAD_BUDGET_S)
    finally:
        await asyncio.gather(*(c.aclose() for c in creator_clients))


ESCALATIONS_WANTED = 15


async def timers_race_agents(load: Load) -> None:
    """A second wave of agents working while 1 s timeouts fire, until the timers have taken
    back at least ESCALATIONS_WANTED assignments or the wave ends: accepts and completes race
    escalations."""
    admin = load.actor("admin-timers", ADMIN_TOKEN)

    async def escalations() -> int:
        page = await admin.call("list", "GET", "/tickets", params={"limit": 500})
        return sum(t["escalations"] for t in page.body["items"]) if page.status == 200 else 0

    async def watch(devices: asyncio.Future[list[None]]) -> None:
        # Until the timers took back enough, or the agents ran out of rounds: agents that
        # accept everything in time leave the timers nothing to take back, and waiting on
        # then would wait for nothing (a run here stalled so, at 5 escalations).
        while not devices.done() and await escalations() < ESCALATIONS_WANTED:
            await asyncio.sleep(0.1)  # polling the server's state, not pacing a race

    devices = asyncio.gather(
        *(agent_device(load, a, d + DEVICES_PER_AGENT) for a in load.agents for d in (0,)))
    try:
        await asyncio.gather(watch(devices), devices)
    finally:
        await admin.aclose()


async def settle(load: Load) -> None:
    """Let everyone receive work again: auto-assign back on, every agent online (concurrently)."""
    admin = load.actor("admin-settle", ADMIN_TOKEN)
    agents = [load.actor(f"{a.name}/settle", a.token) for a in load.agents]
    try:
        await asyncio.gather(*(admin.call("admin-patch", "PATCH", f"/agents/{a.id}",
                                          json={"auto_assign": True}) for a in load.agents))
        await asyncio.gather(*(me.call("online", "POST", "/agent/go-online") for me in agents))
    finally:
        await asyncio.gather(admin.aclose(), *(me.aclose() for me in agents))


def acknowledged_creates(calls: list[Call]) -> dict[int, list[Call]]:
    by_id: dict[int, list[Call]] = defaultdict(list)
    for c in calls:
        if c.kind.startswith("create") and c.kind != "create-agent" and c.status in (200, 201):
            by_id[c.body["id"]].append(c)
    return by_id


def check_against_responses(load: Load, snap: Snapshot) -> list[str]:
    """What the clients were told must be what the database holds."""
    problems: list[str] = []
    rec = load.recorder
    acked = acknowledged_creates(rec.calls)

    # No acknowledged ticket lost, and no ticket nobody was told about.
    for tid, calls in sorted(acked.items()):
        row = snap.tickets.get(tid)
        if row is None:
            problems.append(f"acknowledged ticket {tid} is missing: {calls[0].describe()}")
            continue
        for c in calls:
            if c.body.get("external_id") != row.external_id or c.body.get("title") != row.title:
                problems.append(f"ticket {tid} answered {c.body.get('title')!r}/"
                                f"{c.body.get('external_id')!r}, stored {row.title!r}/"
                                f"{row.external_id!r}")
    unexplained = sorted(set(snap.tickets) - set(acked))
    if unexplained:
        problems.append(f"tickets no client was told about: {unexplained[:20]}")

    # Idempotency: one ticket per external_id, one 201 for it, the same id in every answer.
    answers: dict[str, list[Call]] = defaultdict(list)
    for c in rec.of_kind("create", "create-retry", "create-dup"):
        if isinstance(c.request, dict) and "external_id" in c.request:
            answers[c.request["external_id"]].append(c)
    stored = Counter(t.external_id for t in snap.tickets.values() if t.external_id is not None)
    for ext, calls in sorted(answers.items()):
        ids = {c.body.get("id") for c in calls if c.status in (200, 201)}
        created = [c for c in calls if c.status == 201]
        if stored[ext] != 1:
            problems.append(f"external_id {ext!r}: {stored[ext]} tickets stored")
        if len(ids) != 1:
            problems.append(f"external_id {ext!r}: answers name tickets {sorted(ids)}")
        if len(created) != 1:
            problems.append(f"external_id {ext!r}: {len(created)} answers said 201 Created")

    # Every successful accept / complete is in the history, and nothing else is.
    accepted_ok = [c for c in rec.of_kind("accept", "nosy-accept") if c.status == 200]
    completed_ok = [c for c in rec.of_kind("complete", "admin-complete", "nosy-complete")
                    if c.status == 200]
    n_accepted, n_completed = len(snap.events("accepted")), len(snap.events("completed"))
    if n_accepted != len(accepted_ok):
        problems.append(f"{len(accepted_ok)} accepts answered 200, history has {n_accepted}")
    if n_completed != len(completed_ok):
        problems.append(f"{len(completed_ok)} completes answered 200, history has {n_completed}")
    twice = [tid for tid, n in Counter(h.ticket_id for h in snap.events("completed")).items()
             if n > 1]
    if twice:
        problems.append(f"tickets completed more than once: {twice}")
    for c in completed_ok:
        row = snap.tickets.get(c.body["id"])
        if row is None or row.status != "completed":
            problems.append(f"completed per the API but {row and row.status}: {c.describe()}")

    # max_tickets never changed (the replayed capacity check relies on it).
    for a in load.agents:
        if snap.agents[a.id].max_tickets != a.max_tickets:
            problems.append(f"agent {a.id} max_tickets changed to {snap.agents[a.id].max_tickets}")
    return problems


def summary(load: Load, snap: Snapshot, seconds: float) -> str:
    statuses = Counter(t.status for t in snap.tickets.values())
    return (f"seed={load.rng_seed} requests={len(load.recorder.calls)} in {seconds:.1f}s; "
            f"per kind {load.recorder.status_counts()}; tickets {dict(statuses)}; "
            f"history rows {len(snap.history)}, escalations {len(snap.events('escalated'))}")


def test_concurrent_load_keeps_the_floor_consistent(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("GILIRAN_LOAD_SEED") or random.randrange(2**32))
    log = tmp_path / "server.log"
    with running_server(database_url, log, workers=WORKERS,
                        env={"GILIRAN_TICK_SECONDS": "0.1"}) as server:
        load = Load(server.base_url, seed)
        started = time.monotonic()
        try:
            asyncio.run(run_load(load))
            asyncio.run(settle(load))
            asyncio.run(asyncio.wait_for(timers_race_agents(load), timeout=LOAD_BUDGET_S))
        except TimeoutError:
            pytest.fail(f"load did not finish within {LOAD_BUDGET_S}s (seed {seed});"
                        f" {len(load.recorder.calls)} requests done\n{log_tail(log)}")
        elapsed = time.monotonic() - started
    snap = Snapshot.load(database_url)
    print(f"[{backend}] {summary(load, snap, elapsed)}")

    rec = load.recorder
    report: list[str] = []
    broken = rec.server_errors()
    if broken:
        report.append(f"{len(broken)} request(s) failed with 5xx or got no response:")
        report += ["  " + c.describe() for c in broken[:15]]
    odd = [c for c in rec.unexpected(ALLOWED) if c not in broken]
    if odd:
        report.append(f"{len(odd)} unexpected status(es):")
        report += ["  " + c.describe() for c in odd[:15]]
    errors = logged_errors(log)
    if errors:
        report.append(f"the server logged {len(errors)} error line(s):")
        report += ["  " + line for line in errors[:10]]
    found = violations(snap) + check_against_responses(load, snap)
    if found:
        report.append(f"{len(found)} invariant violation(s) found in the database:")
        report += ["  " + v for v in found[:40]]
    assert not report, (f"concurrency test on {backend} failed (seed {seed}):\n"
                        + "\n".join(report)
                        + (f"\n--- server log tail ---\n{log_tail(log, 40)}" if broken else ""))

    # The load did what it claims: many requests, real work done, real duplicates raced.
    assert len(rec.calls) >= 500
    assert snap.events("completed"), "no ticket was ever completed"
    assert len(rec.of_kind("create-dup")) == DUPLICATE_IDS * DUPLICATE_FANOUT
