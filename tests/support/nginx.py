"""Debian's nginx in front of giliran replicas, with the configuration shipped in deploy/nginx,
run as an unprivileged process from a throw-away directory on loopback ports.

What runs is the shipped proxy snippet (deploy/nginx/giliran-proxy.conf) verbatim and the
http-level part of the shipped site (deploy/nginx/giliran.conf: the connection limit zone and
the upstream) with the replicas' ports put in; only the listening address and the files nginx
writes are the test's own. The whole site, TLS server included, is checked with `nginx -t`
against a self-signed certificate.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.postgres import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SITE = DEPLOY / "nginx" / "giliran.conf"
SNIPPET = DEPLOY / "nginx" / "giliran-proxy.conf"
SNIPPET_INCLUDE = "include /etc/nginx/snippets/giliran-proxy.conf;"
UPSTREAM_SERVER = re.compile(r"^(\s*server\s+)127\.0\.0\.1:\d+(\s.*;)$", re.MULTILINE)
UNPRIVILEGED = "nobody"


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def http_part(site: str, upstreams: list[int]) -> str:
    """The site's http-level directives (before its first server block) with one upstream
    server line per replica port, in the shipped form."""
    head = site[:site.index("\nserver {")]
    seen = 0

    def ours(found: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        if seen > 1:
            return "\x00"  # the shipped example's other replicas: dropped below
        prefix, options = found.groups()
        return "\n".join(f"{prefix}127.0.0.1:{port}{options}" for port in upstreams)

    head = UPSTREAM_SERVER.sub(ours, head).replace("\x00\n", "")
    if not seen:
        raise ValueError(f"{SITE}: no 'server 127.0.0.1:PORT ...;' line in the upstream")
    return head


@dataclass
class Nginx:
    upstreams: list[int]
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="giliran-nginx-")))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"

    def _prefix(self) -> list[str]:
        """Run as an unprivileged user when we are root (nginx would keep root otherwise)."""
        return ["runuser", "-u", UNPRIVILEGED, "--"] if os.geteuid() == 0 else []

    def _common(self) -> str:
        f = self.folder
        return (f"pid {f}/nginx.pid;\nworker_processes 1;\nevents {{ worker_connections 1024; }}\n"
                f"http {{\n  log_format upstreams '$msec $status $request_method $uri "
                f"$upstream_addr $upstream_status';\n"
                f"  access_log {f}/access.log upstreams;\n  client_body_temp_path {f}/body;\n"
                f"  proxy_temp_path {f}/proxy;\n  fastcgi_temp_path {f}/fastcgi;\n"
                f"  uwsgi_temp_path {f}/uwsgi;\n  scgi_temp_path {f}/scgi;\n")

    def _write(self) -> Path:
        snippet = self.folder / "giliran-proxy.conf"
        shutil.copyfile(SNIPPET, snippet)
        conf = self.folder / "nginx.conf"
        conf.write_text(self._common() + http_part(SITE.read_text(), self.upstreams)
                        + f"\n  server {{\n    listen 127.0.0.1:{self.port};\n"
                          f"    include {snippet};\n  }}\n}}\n")
        return conf

    def _own(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            for path in [self.folder, *self.folder.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)

    def _run(self, conf: Path, *args: str) -> list[str]:
        nginx = find_nginx()
        if nginx is None:
            raise FileNotFoundError("nginx not found (apt-get install nginx)")
        return [*self._prefix(), nginx, "-p", str(self.folder), "-c", str(conf),
                "-e", str(self.error_log), *args]

    def check_site(self) -> None:
        """`nginx -t` of the shipped site as an operator installs it, TLS server included."""
        cert, key = self.folder / "cert.pem", self.folder / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "1", "-subj", "/CN=giliran.example.com", "-keyout", str(key), "-out",
                        str(cert)], check=True, capture_output=True)
        site = SITE.read_text()
        if SNIPPET_INCLUDE not in site:
            raise AssertionError(f"{SITE} does not include the proxy snippet ({SNIPPET_INCLUDE})")
        site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
        site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
        site = site.replace(SNIPPET_INCLUDE, f"include {self.folder / 'giliran-proxy.conf'};")
        # `nginx -t` binds the listening sockets: loopback ports of our own instead of 80 and
        # 443, which need root (and IPv6, which the machine may not have).
        ports: dict[str, int] = {}
        site = re.sub(r"^\s*listen\s+\[::\]:\d+[^;]*;\n", "", site, flags=re.MULTILINE)
        site = re.sub(r"listen\s+(\d+)", lambda m: "listen 127.0.0.1:"
                      + str(ports.setdefault(m.group(1), free_port())), site)
        (self.folder / "site.conf").write_text(site)
        conf = self.folder / "check.conf"
        conf.write_text(self._common() + f"  include {self.folder / 'site.conf'};\n}}\n")
        self._write()
        self._own()
        done = subprocess.run(self._run(conf, "-t", "-q"), capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"nginx -t refused the shipped site:\n{done.stderr}")

    def start(self, timeout: float = 15.0) -> None:
        conf = self._write()
        self._own()
        self.proc = subprocess.Popen(self._run(conf, "-g", "daemon off;"),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n"
                                   f"{self.error_log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)  # polling for the listening socket
        raise TimeoutError("nginx did not start listening")

    def stop(self) -> None:
        pid_file = self.folder / "nginx.pid"
        if self.proc is not None and pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
