"""A throw-away Dovecot (Debian's /usr/sbin/dovecot) for the email tests: its own config,
passwd-file users, Maildir under a temporary directory; IMAP on a free port (STARTTLS offered,
not required) and IMAPS on another, with a self-signed certificate for 127.0.0.1 (`cert`).

Dovecot runs as an ordinary user with chroots off (its "rootless" mode), so one config serves
both cases: run as a normal user it runs as that user; run as root (CI containers) it runs as
Debian's `dovecot` system user through runuser, because Dovecot refuses mail owned by root and
the tests should never need the system's service. When the binary is missing the tests skip,
except under CI=true, where a skip would hide that the IMAP tests never ran.

`deliver` puts a message in a folder with IMAP APPEND, the way a delivery agent's result looks
to a reader: a new UID, an EXISTS to any IDLE session. One server serves the session (the
`dovecot` fixture in tests/email/conftest.py): a test keeps to a folder of its own (or one of
the users desk, other, spare), so tests never see each other's mail. The same server at
127.0.0.2 announces neither IDLE nor MOVE; `kick` cuts a user's sessions.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

DOVECOT = Path("/usr/sbin/dovecot")
PASSWORD = "correct horse battery"  # a test server's, on 127.0.0.1 only
USERS = ("desk", "other", "spare")

CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
instance_name = giliran-test-{port}
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{base}/mail/%u
mail_fsync = never
# An IDLE session hears of new mail at once through inotify; this is only the fallback.
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/users
  default_fields = uid={user} gid={group} home={base}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1, 127.0.0.2
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
# The same server at 127.0.0.2 plays one without IDLE (or MOVE), as some hosted IMAP is.
local 127.0.0.2 {{
  protocol imap {{
    imap_capability = IMAP4rev1 LITERAL+ UIDPLUS
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins from 127.0.0.1 (the tests' one address), which would
  # slow every later test: Dovecot's documented way to turn the auth penalty off.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    base: Path
    port: int
    process: subprocess.Popen[bytes]
    tls_port: int = 0
    host: str = "127.0.0.1"
    password: str = PASSWORD

    def client(self, user: str = "desk") -> IMAPClient:
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(user, self.password)
        return client

    def deliver(self, raw: bytes, user: str = "desk", folder: str = "INBOX") -> int:
        """Append one message; returns its UID (Dovecot answers APPENDUID)."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            answer = client.append(folder, raw)
        # b"[APPENDUID <uidvalidity> <uid>] Append completed."
        return int(answer.split(b"]")[0].split()[-1])

    @property
    def cert(self) -> Path:
        return self.base / "cert.pem"

    def tls_context(self) -> ssl.SSLContext:
        """A client's context that trusts this server's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cert))

    def kick(self, user: str) -> None:
        """Cut every session of `user`, as a server restart or a dropped link does."""
        done = subprocess.run(["doveadm", "-c", str(self.base / "dovecot.conf"), "kick", user],
                              capture_output=True, text=True)
        if done.returncode not in (0, 68):  # 68: the user had no session to cut
            raise RuntimeError(f"doveadm kick: {done.stderr}")

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        # The whole process group at once: a polite SIGTERM makes Dovecot wait two seconds for
        # its children, and nothing of a throw-away server needs to be kept.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _run_as() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam("dovecot")  # Debian's package makes it
    except KeyError:
        return pwd.getpwnam("nobody")


def start_dovecot() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        raise FileNotFoundError(f"{DOVECOT} not found")
    account = _run_as()
    base = Path(tempfile.mkdtemp(prefix="giliran-dovecot-"))
    port, tls_port = free_port(), free_port()
    _self_signed(base)
    for sub in ("run", "state", "mail", "home"):
        (base / sub).mkdir()
    users = "".join(f"{name}:{{PLAIN}}{PASSWORD}::::\n" for name in USERS)
    (base / "users").write_text(users)
    group = _group_name(account.pw_gid)
    (base / "dovecot.conf").write_text(CONFIG.format(
        base=base, port=port, tls_port=tls_port, user=account.pw_name, group=group,
        uid=account.pw_uid))
    if os.geteuid() == 0:
        for path in (base, *base.rglob("*")):
            os.chown(path, account.pw_uid, account.pw_gid)
    command = [str(DOVECOT), "-F", "-c", str(base / "dovecot.conf")]
    if os.geteuid() == 0:
        command = ["runuser", "-u", account.pw_name, "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    server = Dovecot(base, port, process, tls_port)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _self_signed(base: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(base / "key.pem"),
         "-out", str(base / "cert.pem"), "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)


def _group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


def _wait_until_serving(server: Dovecot, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            stderr = server.process.stderr
            err = stderr.read().decode(errors="replace") if stderr else ""
            raise RuntimeError(f"dovecot exited: {err}\n{server.log()}")
        try:
            with server.client():
                return
        except OSError:
            time.sleep(0.05)  # polling a condition (the port answers) with a deadline
    raise TimeoutError(f"dovecot did not answer on port {server.port}:\n{server.log()}")


def dovecot_fixture() -> Iterator[Dovecot]:
    try:
        servers = start_dovecot()
        server = next(servers)
    except FileNotFoundError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Dovecot is required under CI=true: {exc}")
        pytest.skip(f"the IMAP tests need Dovecot: {exc} (apt-get install dovecot-imapd)")
    yield server
    next(servers, None)
