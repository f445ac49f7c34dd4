"""Shared plumbing for the benchmark scripts: servers, wrk, a throw-away PostgreSQL, output.

Nothing here asserts on timing; the scripts print figures and write them as JSON for run_all.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"  # gitignored
ADMIN_TOKEN = "bench-admin-token-0123456789"
POST_SCRIPT = BENCH / "post_ticket.lua"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # for tests.support.postgres


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse_dbs(raw: str) -> list[str]:
    dbs = [d.strip() for d in raw.split(",") if d.strip()]
    for d in dbs:
        if d not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown database {d!r}: use sqlite and/or postgres")
    return dbs


@contextmanager
def pg_cluster() -> Iterator[Any]:
    """The test suite's throw-away cluster (initdb + pg_ctl, fsync off); stopped on exit."""
    from tests.support.postgres import start_cluster

    gen = start_cluster()
    cluster = next(gen)
    pid_file = cluster.data_dir / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    MINE.postmasters.add(postmaster)
    try:
        yield cluster
    finally:
        MINE.postmasters.discard(postmaster)
        gen.close()


@dataclass
class Server:
    """A server process in its own session, ready when `ready_url` answers 200."""

    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    ready_path: str = "/readyz"
    proc: subprocess.Popen[bytes] | None = None
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv, env={**os.environ, **self.env}, cwd=REPO,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        MINE.pgids.add(self.proc.pid)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.argv[0]} exited with {self.proc.returncode}; see {self.log_path}"
                    )
                try:
                    if client.get(self.base_url + self.ready_path).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)  # readiness polling interval
        self.stop()
        raise TimeoutError(f"server not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None:
            return
        pgid = self.proc.pid  # its own session: the group id is the process id
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait()
        # uvicorn's worker processes exit with their parent; reap any straggler of this group.
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        MINE.pgids.discard(pgid)
        self.proc = None


def giliran_server(database_url: str, workers: int, log_path: Path) -> Server:
    port = free_port()
    return Server(
        argv=[str(BIN / "giliran"), "serve", "--host", "127.0.0.1", "--port", str(port),
              "--workers", str(workers), "--no-access-log"],
        env={"GILIRAN_DATABASE_URL": database_url, "GILIRAN_ADMIN_TOKEN": ADMIN_TOKEN,
             "GILIRAN_LOG_LEVEL": "warning"},
        port=port, log_path=log_path,
    )


def wrk_available() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    return found


def run_wrk(base_url: str, connections: int, duration: float, *, threads: int = 2,
            script: Path = POST_SCRIPT, token: str = ADMIN_TOKEN) -> dict[str, Any]:
    """One wrk run; returns the figures printed by the script's done() plus req/s."""
    argv = [wrk_available(), f"-t{threads}", f"-c{connections}", f"-d{duration:g}s",
            "--timeout", "10s", "--latency", "-s", str(script), base_url]
    proc = subprocess.run(argv, env={**os.environ, "BENCH_TOKEN": token},
                          capture_output=True, text=True, check=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{proc.stdout}\n{proc.stderr}")
    res: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = res["duration_us"] / 1e6
    res["connections"] = connections
    errors = sum(res[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    res["socket_errors"] = errors
    res["ok_requests"] = max(0, res["requests"] - res["err_status"] - errors)
    # Only answered, successful requests count: a server failing fast must not look fast.
    res["rps"] = res["ok_requests"] / seconds if seconds else 0.0
    return res


class PgLockSampler:
    """Samples, every 20 ms, who holds giliran's writer advisory lock and what that backend is
    doing: 'active' (PostgreSQL executing a statement) or 'idle in transaction' (waiting for
    the application to send the next one), and how many backends queue for the lock."""

    QUERY = """
        SELECT (SELECT a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %(key)s LIMIT 1),
               (SELECT count(*) FROM pg_locks l
                WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = %(key)s)
    """
    KEY = 0x6711_1A4A  # giliran's WRITER_LOCK_KEY (fits in objid; classid is 0)

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[tuple[str | None, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.02):  # the sampling interval
                row = conn.execute(self.QUERY, {"key": self.KEY}).fetchone()
                if row is not None:
                    self.samples.append((row[0], int(row[1])))

    def __enter__(self) -> PgLockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float]:
        n = max(1, len(self.samples))
        return {
            "samples": len(self.samples),
            "held_pct": 100 * sum(1 for s, _ in self.samples if s is not None) / n,
            "holder_active_pct": 100 * sum(1 for s, _ in self.samples if s == "active") / n,
            "holder_idle_in_tx_pct": 100 * sum(
                1 for s, _ in self.samples if s is not None and s.startswith("idle in")) / n,
            "avg_waiters": sum(w for _, w in self.samples) / n,
        }


def load_runs(base_url: str, connections: Sequence[int], duration: float, warmup: float,
              label: str, pg_url: str | None = None) -> list[dict[str, Any]]:
    """For each connection count: a short unreported warm-up at that concurrency, then the run.
    With pg_url, the run also samples the writer lock (see PgLockSampler)."""
    runs = []
    for c in connections:
        idle_before = wait_quiet()
        warm = run_wrk(base_url, c, warmup) if warmup > 0 else None
        sampler = PgLockSampler(pg_url) if pg_url else None
        with CpuWatch() as cpu:
            if sampler:
                sampler.__enter__()
            try:
                res = run_wrk(base_url, c, duration)
            finally:
                if sampler:
                    sampler.__exit__()
        if sampler:
            res["pg_lock"] = sampler.summary()
        res["warmup_ok_requests"] = warm["ok_requests"] if warm else 0
        res["cpu_busy_before"] = idle_before
        res["cpu_total"] = cpu.total
        res["cpu_ours"] = cpu.mine
        res["cpu_foreign"] = cpu.foreign
        runs.append(res)
        res["cpu_top_foreign"] = cpu.top_foreign
        flag = ""
        if cpu.foreign > 0.3:
            flag = "  <- OTHER LOAD: " + (", ".join(cpu.top_foreign) or "short-lived processes")
        print(f"  {label:<22} c={c:<3} {res['rps']:7.0f} req/s  p50 {ms(res['lat_p50_us'])}"
              f"  p99 {ms(res['lat_p99_us'])}  non-2xx {res['err_status']}"
              f"  sock.err {res['socket_errors']}  cpu ours {cpu.mine:.2f} / other "
              f"{cpu.foreign:.2f} cores{flag}", flush=True)
        if "pg_lock" in res:
            lk = res["pg_lock"]
            print(f"  {'':<22}       writer lock held {lk['held_pct']:3.0f}% of samples: holder "
                  f"executing SQL {lk['holder_active_pct']:3.0f}%, idle in transaction (waiting "
                  f"on the app) {lk['holder_idle_in_tx_pct']:3.0f}%; {lk['avg_waiters']:.1f} "
                  f"backends queued for it on average", flush=True)
    return runs


_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from /proc/stat. Interrupt and softirq time (loopback
    TCP is mostly softirq) is left out of busy: no process is charged for it."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, steal = parts[0], parts[1], parts[2], parts[7]
    return user + nice + system + steal, sum(parts[:8])


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:80]
    except OSError:
        return "?"


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, pgid, utime+stime jiffies) for every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12]))
    return table


@dataclass
class Mine:
    """Which processes count as this benchmark's: server process groups, a postmaster's tree."""

    pgids: set[int] = field(default_factory=set)
    postmasters: set[int] = field(default_factory=set)

    def jiffies(self) -> dict[int, int]:
        table = _proc_table()
        return {pid: j for pid, (ppid, pgid, j) in table.items()
                if pgid in self.pgids or pid in self.postmasters or ppid in self.postmasters}


MINE = Mine()


def wait_quiet(limit: float = 0.5, max_wait: float = 20.0) -> float:
    """Poll until processes other than ours use under `limit` cores over two consecutive 0.5 s
    windows (at most `max_wait` seconds); returns the last reading. The box may be shared;
    the figures carry that reading instead of silently absorbing someone else's load."""
    ncpu = os.cpu_count() or 1
    deadline = time.monotonic() + max_wait
    quiet = 0
    cores = 0.0
    while time.monotonic() < deadline:
        b0, t0 = _cpu_jiffies()
        m0 = MINE.jiffies()
        time.sleep(0.5)  # the sampling window of the CPU reading
        b1, t1 = _cpu_jiffies()
        m1 = MINE.jiffies()
        total = ncpu * (b1 - b0) / max(1, t1 - t0)
        mine = sum(j - m0.get(pid, 0) for pid, j in m1.items()) / _TCK / 0.5
        cores = max(0.0, total - mine)
        quiet = quiet + 1 if cores < limit else 0
        if quiet >= 2:
            break
    return cores


class CpuWatch:
    """CPU used during a run: by everything, by our processes (servers, PostgreSQL, wrk), and
    so by others (foreign), in cores."""

    def __enter__(self) -> CpuWatch:
        self.b0, self.t0 = _cpu_jiffies()
        self.all0 = _proc_table()
        self.m0 = MINE.jiffies()
        self.c0 = os.times()
        self.w0 = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        b1, t1 = _cpu_jiffies()
        m1 = MINE.jiffies()
        c1 = os.times()
        wall = max(1e-6, time.monotonic() - self.w0)
        ncpu = os.cpu_count() or 1
        self.total = ncpu * (b1 - self.b0) / max(1, t1 - self.t0)
        mine = sum(j - self.m0.get(pid, 0) for pid, j in m1.items()) / _TCK
        children = (c1.children_user + c1.children_system
                    - self.c0.children_user - self.c0.children_system)
        me = c1.user + c1.system - self.c0.user - self.c0.system
        self.mine = (mine + children + me) / wall
        self.foreign = max(0.0, self.total - self.mine)
        # The busiest other processes alive at both ends, to say who else was using the CPU.
        all1 = _proc_table()
        others = sorted(
            ((all1[pid][2] - j0, pid) for pid, (_, _, j0) in self.all0.items()
             if pid in all1 and pid not in m1 and pid != os.getpid()),
            reverse=True,
        )
        self.top_foreign = [f"{_comm(pid)} ({d / _TCK / wall:.2f})" for d, pid in others[:3]
                            if d / _TCK / wall >= 0.05]


def ms(us: float) -> str:
    return f"{us / 1000:6.2f} ms"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def write_json(path: Path | None, data: Any) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)
