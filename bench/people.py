"""What people's sign-in costs: the sign-in itself (Argon2id by design takes tens of
milliseconds of CPU), and what each way of being recognised adds to every request.

A real `giliran serve` (SQLite, 1 worker, `--no-access-log`) with one supervisor who has a
password. First, N sign-ins one after the other (`POST /api/v1/auth/login`, client-side
latency). Then the same cheap read (`GET /api/v1/queues`) under wrk, once with the session
cookie, once with the supervisor's personal API token and once with the admin token, in
interleaved rounds so a change in the machine's load hits all three alike: p50/p99 and req/s
(only 2xx answers count), with the CPU others used during each run.

    .venv/bin/python bench/people.py [--sign-ins 100] [--connections 8] [--duration 5]
                                     [--rounds 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _common import (
    ADMIN_TOKEN,
    BENCH,
    CpuWatch,
    banner,
    giliran_server,
    median,
    ms,
    percentile,
    run_wrk,
    wait_quiet,
    write_json,
)

API = "/api/v1"
EMAIL = "rina@example.com"
PASSWORD = "violet kettle drums at dawn"
GET_SCRIPT = BENCH / "get_with.lua"


def sign_ins(base_url: str, n: int) -> list[float]:
    """Seconds per sign-in, each on a fresh client (a browser signing in anew)."""
    took = []
    for _ in range(n):
        with httpx.Client(base_url=base_url + API) as browser:
            start = time.perf_counter()
            answer = browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
            took.append(time.perf_counter() - start)
            answer.raise_for_status()
    return took


def credentials(base_url: str) -> dict[str, str]:
    """The header each way of being recognised sends: a session cookie, a personal token (made
    through that session), the admin token."""
    with httpx.Client(base_url=base_url + API) as browser:
        signed = browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        signed.raise_for_status()
        made = browser.post("/tokens", headers={"X-CSRF-Token": signed.json()["csrf_token"]},
                            json={"name": "bench", "role": "supervisor",
                                  "expires_in_days": 1})
        made.raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    return {"session cookie": f"Cookie: {cookie}",
            "personal token": f"Authorization: Bearer {made.json()['token']}",
            "admin token": f"Authorization: Bearer {ADMIN_TOKEN}"}


def argon2_cost() -> str:
    """The parameters of giliran's password hashes, as a fresh hash names them."""
    from giliran.adapters.passwords import Argon2Passwords

    found = re.search(r"\$argon2id\$v=\d+\$([^$]+)\$", Argon2Passwords().hash(PASSWORD))
    return found.group(1) if found else "unknown"


def one_run(base_url: str, header: str, connections: int, duration: float) -> dict[str, Any]:
    os.environ["BENCH_HEADER"] = header  # read by get_with.lua (wrk inherits the environment)
    run_wrk(base_url, connections, 1.0, script=GET_SCRIPT)  # warm-up, not reported
    with CpuWatch() as cpu:
        res = run_wrk(base_url, connections, duration, script=GET_SCRIPT)
    res["cpu_foreign"] = cpu.foreign
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=100)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = giliran_server(f"sqlite:///{Path(tmp) / 'people.db'}", 1,
                                Path(tmp) / "people.log")
        server.start()
        try:
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            httpx.post(server.base_url + API + "/users", headers=admin, json={
                "email": EMAIL, "name": "Rina", "role": "supervisor", "password": PASSWORD,
            }).raise_for_status()
            results = measure(server.base_url, args, argon2_cost())
        finally:
            server.stop()
    write_json(args.json, results)


def measure(base_url: str, args: argparse.Namespace, cost: str) -> dict[str, Any]:
    banner(f"sign-in: POST /auth/login, one after another (Argon2id {cost})")
    wait_quiet()
    took = sorted(t * 1e6 for t in sign_ins(base_url, args.sign_ins))
    print(f"  {len(took)} sign-ins: p50 {ms(median(took))}  p99 {ms(percentile(took, 99))}  "
          f"max {ms(took[-1])}", flush=True)
    headers = credentials(base_url)
    banner(f"GET /api/v1/queues by how the caller is recognised (wrk, c={args.connections}, "
           f"{args.duration:g} s, {args.rounds} interleaved rounds; medians)")
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in headers}
    for _ in range(args.rounds):
        for kind, header in headers.items():
            wait_quiet()
            runs[kind].append(one_run(base_url, header, args.connections, args.duration))
    for kind, done in runs.items():
        print(f"  {kind:<15} {median([r['rps'] for r in done]):7.0f} req/s  "
              f"p50 {ms(median([r['lat_p50_us'] for r in done]))}  "
              f"p99 {ms(median([r['lat_p99_us'] for r in done]))}  "
              f"non-2xx {sum(r['err_status'] for r in done)}  "
              f"cpu of others {max(r['cpu_foreign'] for r in done):.2f} cores (most)",
              flush=True)
    return {"argon2": cost, "sign_in_us": took, "gets": runs}


if __name__ == "__main__":
    main()
