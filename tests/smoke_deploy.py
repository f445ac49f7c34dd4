"""`make smoke-deploy`: giliran run the way deploy/ describes, under load, with replicas killed.

A throw-away PostgreSQL cluster; the schema migrated with giliran-migrate.service's command;
two replicas started with giliran@.service's command line and environment file (on loopback
ports); Debian's nginx, unprivileged, with deploy/nginx's configuration in front of them. Then
a mixed load through nginx (tests/support/deploy_load.py) during which each replica in turn is
SIGKILLed and restarted. Afterwards, from the database alone: no ticket held twice, no
capacity exceeded, every counter equal to the real count, no ticket waiting next to an agent
with room, every acknowledged ticket present, none stored twice, none nobody asked for; and
every ticket's creation heard by every event-stream client, in order, across the kills.

Before that, the shipped files themselves: `nginx -t` of the site (TLS server included, with
a self-signed certificate) and `systemd-analyze verify` of the units.

Prints the figures (requests, errors, kills, violations) and exits 1 on any violation or
unexpected answer, keeping the replicas' and nginx's logs (GILIRAN_SMOKE_KEEP_LOGS=1 keeps
them anyway). Set GILIRAN_LOAD_SEED to replay the same choices.

    .venv/bin/python -m tests.smoke_deploy      # or: make smoke-deploy
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg

from tests.support import deploy_load as load
from tests.support.e2e_invariants import Snapshot, violations
from tests.support.e2e_server import logged_errors
from tests.support.nginx import DEPLOY, Nginx, find_nginx
from tests.support.postgres import free_port, start_cluster
from tests.support.server import ADMIN_TOKEN, ServerProcess

LOAD_SECONDS = 30.0  # at least; and at least AFTER_RESTART after the last restart
KILL_AT = (8.0, 16.0)  # seconds into the load: replica 1, then replica 2
DOWN_SECONDS = 1.5  # how long a killed replica stays down before systemd would restart it
AFTER_RESTART = 8.0  # load on the last restarted replica, so it shows it gets traffic back
CAPACITIES = (2, 3, 2, 3, 2, 3, 2, 3)
CREATORS = 4
WATCHERS = 4
IN_CI = os.environ.get("CI", "").lower() == "true"
UNIT = DEPLOY / "systemd" / "giliran@.service"
MIGRATE_UNIT = DEPLOY / "systemd" / "giliran-migrate.service"
ENV_EXAMPLE = DEPLOY / "giliran.env.example"


def unit_args(unit: Path, port: int = 0) -> list[str]:
    """The arguments after `giliran` in a unit's ExecStart, with %i as the port."""
    line = next(ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStart="))
    binary, *args = shlex.split(line.removeprefix("ExecStart="))
    assert binary.endswith("/giliran"), line
    return [a.replace("%i", str(port)) for a in args]


def unit_env(database_url: str) -> dict[str, str]:
    """The example environment file, with this run's database and admin token."""
    env = dict(re.findall(r"^(GILIRAN_\w+)=(.*)$", ENV_EXAMPLE.read_text(), re.MULTILINE))
    env.update(GILIRAN_DATABASE_URL=database_url, GILIRAN_ADMIN_TOKEN=ADMIN_TOKEN,
               GILIRAN_TICK_SECONDS="0.2")
    return env


def check_units() -> str:
    """`systemd-analyze verify` of the shipped units (with ExecStart pointing at this venv)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if IN_CI:
            raise SystemExit("CI=true: systemd-analyze is required (apt-get install systemd)")
        return "skipped (no systemd-analyze; apt-get install systemd)"
    venv_giliran = Path(sys.executable).parent / "giliran"
    with tempfile.TemporaryDirectory() as tmp:
        for unit in (DEPLOY / "systemd").iterdir():
            text = unit.read_text().replace("/opt/giliran/.venv/bin/giliran", str(venv_giliran))
            (Path(tmp) / unit.name).write_text(text)
        shutil.copyfile(Path(tmp) / "giliran@.service", Path(tmp) / "giliran@8001.service")
        done = subprocess.run([analyze, "verify", "--man=no", "giliran@8001.service",
                               "giliran-migrate.service", "giliran.target"],
                              cwd=tmp, capture_output=True, text=True)
    complaints = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    if done.returncode != 0 or complaints:
        raise SystemExit("systemd-analyze verify complained about deploy/systemd:\n"
                         + "\n".join(complaints))
    return "ok"


async def run_load(floor: load.Floor, replicas: list[ServerProcess],
                   watchers: list[load.Watcher]) -> int:
    """The load with the kills; returns how many kills there were."""
    await load.set_up(floor, CAPACITIES)
    stop, watching = asyncio.Event(), asyncio.Event()
    streams = [asyncio.create_task(w.run(watching)) for w in watchers]
    # The streams start before the first ticket, so each must hear of every ticket.
    await asyncio.wait_for(asyncio.gather(*(w.following.wait() for w in watchers)), 30)
    work = [asyncio.create_task(t) for t in (
        *(load.creator(floor, i, stop) for i in range(CREATORS)),
        *(load.agent(floor, a, stop) for a in floor.agents),
        load.supervisor(floor, stop))]
    kills = 0
    started = time.monotonic()
    for replica, at in zip(replicas, KILL_AT, strict=True):
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        replica.crash()
        kills += 1
        await asyncio.sleep(DOWN_SECONDS)
        await asyncio.to_thread(replica.start)
        # Back means nginx sends it requests again (it tries a replica it marked down every
        # fail_timeout); only then may its neighbour fail, as in a rolling restart.
        deadline = time.monotonic() + 30
        while not served_since_restart(replica) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)  # polling the replica's access log
    end = max(started + LOAD_SECONDS, time.monotonic() + AFTER_RESTART)
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    stop.set()
    await asyncio.gather(*work)
    await caught_up(floor, watchers)
    watching.set()
    await asyncio.gather(*streams)
    return kills


async def caught_up(floor: load.Floor, watchers: list[load.Watcher],
                    timeout: float = 30.0) -> None:
    """Wait until every stream has heard every event written so far."""
    with psycopg.connect(floor.database_url) as conn:
        row = conn.execute("SELECT max(id) FROM events").fetchone()
    target = int(row[0] or 0) if row else 0
    deadline = time.monotonic() + timeout
    while any((w.last_id or 0) < target for w in watchers) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # polling the clients' own progress


def client_problems(floor: load.Floor, snap: Snapshot,
                    watchers: list[load.Watcher]) -> list[str]:
    """What the clients were told, and heard, against what the database holds."""
    found: list[str] = []
    stored = Counter(t.external_id for t in snap.tickets.values())
    found += [f"external_id {ext!r} stored {n} times" for ext, n in stored.items() if n > 1]
    for ext, tid in sorted(floor.acknowledged.items()):
        row = snap.tickets.get(tid)
        if row is None or row.external_id != ext:
            found.append(f"acknowledged ticket {tid} ({ext}) is missing")
    phantoms = [t.id for t in snap.tickets.values() if t.external_id not in floor.attempted]
    if phantoms:
        found.append(f"tickets nobody asked for: {phantoms[:20]}")
    for kind, event in (("accept", "accepted"), ("complete", "completed")):
        calls = floor.recorder.of_kind(kind)
        ok = sum(c.status == 200 for c in calls)
        unsure = sum(load.transient(c) for c in calls)  # may or may not have happened
        written = len(snap.events(event))
        if not ok <= written <= ok + unsure:
            found.append(f"{ok} {kind}s answered 200 ({unsure} unanswered), history has "
                         f"{written}")
    for a in floor.agents:
        if snap.agents[a.id].max_tickets != a.max_tickets:
            found.append(f"agent {a.id}: max_tickets changed")
    for w in watchers:
        missed = sorted(set(snap.tickets) - w.created)
        if missed:
            found.append(f"{w.name} never heard of tickets {missed[:20]} ({len(missed)})")
        found += w.problems
    return found


def main() -> int:
    seed = int(os.environ.get("GILIRAN_LOAD_SEED") or random.randrange(2**32))
    began = time.monotonic()
    if find_nginx() is None:
        print("smoke-deploy needs nginx: apt-get install nginx", file=sys.stderr)
        return 2
    print(f"smoke-deploy (seed {seed}): systemd units: {check_units()}", flush=True)
    clusters = start_cluster()
    cluster = next(clusters)
    folder = Path(tempfile.mkdtemp(prefix="giliran-smoke-"))
    replicas: list[ServerProcess] = []
    proxy: Nginx | None = None
    result = 1
    try:
        cluster.psql("CREATE DATABASE giliran")
        url = cluster.url("giliran")
        env = unit_env(url)
        subprocess.run([sys.executable, "-m", "giliran", *unit_args(MIGRATE_UNIT)],
                       env={**os.environ, **env}, check=True, capture_output=True)
        for i in (1, 2):
            port = free_port()
            replicas.append(ServerProcess(url, env=env, port=port, args=unit_args(UNIT, port),
                                          log_path=folder / f"giliran@{i}.log"))
            replicas[-1].start()
        proxy = Nginx([r.port for r in replicas])
        proxy.check_site()
        print("smoke-deploy: nginx -t of deploy/nginx/giliran.conf: ok", flush=True)
        proxy.start()
        floor = load.Floor(proxy.base_url, url, seed)
        ws_url = proxy.base_url.replace("http://", "ws://") + "/api/v1/ws"
        watchers = [load.Watcher(f"socket-{i}", ws_url) for i in range(1, WATCHERS + 1)]
        kills = asyncio.run(run_load(floor, replicas, watchers))
        proxy.stop()
        for replica in replicas:
            replica.stop()
        snap = Snapshot.load(url)
        result = report(floor, snap, watchers, replicas, kills, time.monotonic() - began)
        return result
    finally:
        if proxy is not None:
            proxy.stop()
            for name in ("error.log", "access.log"):
                if (proxy.folder / name).exists():
                    shutil.copyfile(proxy.folder / name, folder / f"nginx-{name}")
            proxy.cleanup()
        for replica in replicas:
            replica.stop()
        next(clusters, None)
        if result == 0 and not os.environ.get("GILIRAN_SMOKE_KEEP_LOGS"):
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"(replica and nginx logs in {folder})")


def served_since_restart(replica: ServerProcess) -> int:
    """API requests in the replica's access log since it last started (the readiness probes
    that ServerProcess sends it directly are not API requests)."""
    assert replica.log_path is not None
    text = replica.log_path.read_text(errors="replace")
    return text.rsplit("Application startup complete", 1)[-1].count(" /api/v1/")


def report(floor: load.Floor, snap: Snapshot, watchers: list[load.Watcher],
           replicas: list[ServerProcess], kills: int, seconds: float) -> int:
    rec = floor.recorder
    errors = [c for c in rec.calls if load.transient(c)]
    unexpected = [c for c in rec.calls if not load.transient(c)
                  and c.status not in load.ALLOWED.get(c.kind, set())]
    found = violations(snap) + client_problems(floor, snap, watchers)
    for replica in replicas:
        assert replica.log_path is not None
        found += [f"{replica.log_path.name}: {line}" for line in logged_errors(replica.log_path)]
    served = [served_since_restart(r) for r in replicas]
    if not all(served):
        found.append(f"a restarted replica got no traffic back through nginx: {served}")
    statuses = Counter(t.status for t in snap.tickets.values())
    no_answer = sum(c.status == 0 for c in errors)
    print(f"smoke-deploy: requests {len(rec.calls)} through nginx; errors {len(errors)} "
          f"(around the kills: {len(errors) - no_answer} answered 503 by nginx, {no_answer} "
          f"dropped); unexpected answers {len(unexpected)}; "
          f"kills {kills}; requests served by each replica since its restart {served}")
    print(f"smoke-deploy: tickets {dict(statuses)}; escalations "
          f"{len(snap.events('escalated'))}; event streams {len(watchers)}, "
          f"{sum(w.connections for w in watchers) - len(watchers)} reconnects, "
          f"{sum(w.events for w in watchers)} events heard")
    for call in unexpected[:15]:
        print("  unexpected: " + call.describe())
    for problem in found[:40]:
        print("  violation: " + problem)
    print(f"smoke-deploy: violations: {len(found)} ({seconds:.0f} s)")
    enough = len(rec.calls) >= 1000 and snap.events("completed") and kills == len(KILL_AT)
    if not enough:
        print("smoke-deploy: the load was too small to show anything")
    return 0 if not found and not unexpected and enough else 1


if __name__ == "__main__":
    sys.exit(main())
