"""How long an event takes to reach a WebSocket on another replica.

Two `giliran serve` replicas (one worker each, the default settings) share one throw-away
PostgreSQL database. An admin socket is open on each. Tickets are created one at a time
through replica A; for each, the time from sending the POST to the `ticket.created` event
arriving is measured on A's socket (same replica) and on B's (another replica), next to the
time the POST took to be answered (the floor: an event exists once it commits). Between two
tickets the script waits a random 0-250 ms, so arrivals fall anywhere in a poller's period, as
real ones do.

    .venv/bin/python bench/ws_latency.py [--tickets 200] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from websockets.sync.client import ClientConnection, connect

from _common import (
    ADMIN_TOKEN,
    REPO,
    Server,
    banner,
    giliran_server,
    median,
    percentile,
    pg_cluster,
    write_json,
)

sys.path.insert(0, str(REPO))
API = "/api/v1"
TARGET_P50_MS = 50.0


class Arrivals:
    """Reads one socket in a thread and notes when each ticket's creation arrived."""

    def __init__(self, server: Server, stack: ExitStack) -> None:
        url = server.base_url.replace("http://", "ws://") + API + "/ws"
        self.ws: ClientConnection = stack.enter_context(connect(url, open_timeout=10))
        self.ws.send(json.dumps({"type": "auth", "token": ADMIN_TOKEN}))
        assert json.loads(self.ws.recv(timeout=10))["type"] == "hello"
        assert json.loads(self.ws.recv(timeout=10))["type"] == "snapshot"
        self.at: dict[int, float] = {}
        self.changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self.ws:
            now = time.perf_counter()
            msg = json.loads(raw)
            if msg.get("type") == "ticket.created":
                with self.changed:
                    self.at[msg["ticket"]["id"]] = now
                    self.changed.notify_all()

    def wait_for(self, ticket_id: int, timeout: float = 30.0) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: ticket_id in self.at, timeout):
                raise TimeoutError(f"ticket {ticket_id} never reached the socket")
            return self.at[ticket_id]



def measure(tickets: int, folder: Path) -> dict[str, list[float]]:
    with pg_cluster() as cluster:
        cluster.psql("CREATE DATABASE giliran")
        url = cluster.url("giliran")
        a = giliran_server(url, 1, folder / "replica-a.log")
        b = giliran_server(url, 1, folder / "replica-b.log")
        a.start()
        b.start()
        try:
            with ExitStack() as sockets:
                same, other = Arrivals(a, sockets), Arrivals(b, sockets)
                return post_and_time(a, same, other, tickets)
        finally:
            a.stop()
            b.stop()


def post_and_time(a: Server, same: Arrivals, other: Arrivals,
                  tickets: int) -> dict[str, list[float]]:
    took: dict[str, list[float]] = {"POST answered": [], "same replica": [],
                                    "another replica": []}
    rng = random.Random(7)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=a.base_url + API, headers=admin) as http:
        http.post("/tickets", json={"title": "warm-up"}).raise_for_status()
        for i in range(tickets):
            time.sleep(rng.uniform(0, 0.25))  # spread arrivals over the poll period
            start = time.perf_counter()
            answer = http.post("/tickets", json={"title": f"t{i}"})
            took["POST answered"].append(time.perf_counter() - start)
            answer.raise_for_status()
            tid = answer.json()["id"]
            took["same replica"].append(same.wait_for(tid) - start)
            took["another replica"].append(other.wait_for(tid) - start)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    banner("POST /tickets on replica A -> ticket.created on a WebSocket "
           "(PostgreSQL, 2 replicas x 1 worker)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for where, seconds in measure(args.tickets, Path(tmp)).items():
            ms = sorted(s * 1000 for s in seconds)
            p50 = median(ms)
            results[where] = {"n": len(ms), "p50_ms": p50, "p90_ms": percentile(ms, 90),
                              "p99_ms": percentile(ms, 99), "max_ms": ms[-1]}
            verdict = "met" if p50 < TARGET_P50_MS else "NOT met"
            target = (f"   (target p50 < {TARGET_P50_MS:.0f} ms: {verdict})"
                      if where == "another replica" else "")
            print(f"{where:<16} {len(ms)} tickets: p50 {p50:6.1f} ms, "
                  f"p90 {percentile(ms, 90):6.1f} ms, p99 {percentile(ms, 99):6.1f} ms, "
                  f"max {ms[-1]:6.1f} ms{target}", flush=True)
    write_json(args.json, results)


if __name__ == "__main__":
    main()
