"""A throw-away PostgreSQL cluster for the test session (initdb + pg_ctl, no system service).

Each test gets a fresh database cloned from a migrated template, which takes milliseconds.
When the binaries are missing the PostgreSQL tests skip, except under CI=true, where a skip
would hide that half of the suite never ran, so it fails instead.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_DB = "giliran_template"
_counter = itertools.count(1)


def find_bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: Path
    data_dir: Path
    port: int
    run_as: str | None  # initdb and postgres refuse to run as root

    def url(self, database: str) -> str:
        return f"postgresql://giliran@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def run(self, *args: str) -> None:
        subprocess.run(self._cmd(*args), check=True, capture_output=True, text=True)

    def start(self) -> None:
        self.run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "giliran",
                 "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=300")
        self.run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
                 "-l", str(self.data_dir / "server.log"), "-w", "start")

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir),
                                 "-m", "immediate", "stop"), capture_output=True)

    def psql(self, sql: str, database: str = "postgres") -> None:
        self.run(str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "giliran", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql)

    def fresh_database(self) -> str:
        name = f"test_{os.getpid()}_{next(_counter)}"
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE_DB}')
        return self.url(name)


def start_cluster() -> Iterator[Cluster]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL binaries (pg_ctl, initdb) not found")
    run_as = None
    base = Path(tempfile.mkdtemp(prefix="giliran-pg-"))
    if os.geteuid() == 0:
        run_as = "postgres"
        user = pwd.getpwnam(run_as)
        os.chown(base, user.pw_uid, user.pw_gid)
    cluster = Cluster(bin_dir, base / "data", free_port(), run_as)
    if run_as:
        cluster.data_dir.mkdir()
        os.chown(cluster.data_dir, pwd.getpwnam(run_as).pw_uid, pwd.getpwnam(run_as).pw_gid)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        # Hundreds of databases by now: removing them took up to two minutes at the end of a
        # run, so it happens in the background, after pytest has reported.
        subprocess.Popen(["rm", "-rf", str(base)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
