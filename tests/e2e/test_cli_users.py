"""`giliran users` from a terminal on the server, against the running server's own database:
the people it makes sign in, a reset ends the old sessions, a deactivation locks them out,
the audit says the command line did it, and every refusal is a message and an exit code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli import clean_env, giliran
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

CHOSEN = "violet kettle drums at dawn"


def giliran_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "giliran", *args]


def one_time_password(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    found = re.search(r"one-time password[^:]*: (\S+)", done.stdout)
    assert found, done.stdout
    return found.group(1)


def sign_in(server: ServerProcess, email: str, password: str) -> tuple[httpx.Client, int]:
    """A browser of its own (its own cookie jar), and the status of its sign-in."""
    browser = httpx.Client(base_url=server.base_url + "/api/v1")
    answer = browser.post("/auth/login", json={"email": email, "password": password})
    return browser, answer.status_code


def test_people_made_in_the_terminal_sign_in_and_the_audit_names_the_command_line(
    database_url: str, tmp_path: Path,
) -> None:
    env = {**clean_env(tmp_path), "GILIRAN_DATABASE_URL": database_url}
    server = ServerProcess(env["GILIRAN_DATABASE_URL"])
    server.start()
    try:
        made = subprocess.run(
            giliran_args("users", "create", "Rina@Example.com", "--name", "Rina",
                         "--role", "supervisor", "--password-stdin", "--queue", "default"),
            input=CHOSEN + "\n", env=env, capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        assert "user rina@example.com" in made.stdout and "one-time" not in made.stdout
        agent = giliran("users", "create", "budi@example.com", "--name", "Budi",
                        "--role", "agent", env=env)
        first = one_time_password(agent)
        assert re.search(r"agent id=\d+", agent.stdout), agent.stdout

        rina, status = sign_in(server, "rina@example.com", CHOSEN)
        assert status == 200
        budi, status = sign_in(server, "budi@example.com", first)
        assert status == 200
        assert budi.get("/me").json()["password_change_required"] is True

        listed = giliran("users", "list", env={**env, "COLUMNS": "200"})
        assert listed.returncode == 0, listed.stderr
        rows = {line.split()[1]: line.split() for line in listed.stdout.splitlines()[1:]}
        assert rows["rina@example.com"][3:5] == ["supervisor", "(default)"]
        assert rows["rina@example.com"][-2:] == ["1", "0"]  # one session, no tokens
        assert "never" not in rows["budi@example.com"]  # signed in just now
        assert rows["admin@localhost"][3] == "owner"  # serve made the first owner

        again = one_time_password(giliran("users", "reset-password", "BUDI@example.com",
                                          env=env))
        assert budi.get("/me").status_code == 401  # the reset ended the old session
        assert sign_in(server, "budi@example.com", first)[1] == 401
        assert sign_in(server, "budi@example.com", again)[1] == 200

        gone = giliran("users", "deactivate", "rina@example.com", env=env)
        assert gone.returncode == 0 and "deactivated" in gone.stdout, gone.stderr
        assert rina.get("/me").status_code == 401
        assert sign_in(server, "rina@example.com", CHOSEN)[1] == 401

        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        audit = httpx.get(server.base_url + "/api/v1/audit", params={"kind": "user"},
                          headers=admin).json()["items"]
        by_cli = {(a["subject"], a["action"]) for a in audit if a["actor"] == "cli"}
        assert {("2", "created"), ("3", "created"), ("3", "password reset"),
                ("2", "deactivated")} <= by_cli, audit
        assert CHOSEN not in str(audit) and first not in str(audit)
    finally:
        server.stop()


def test_refusals_are_a_message_and_an_exit_code_by_kind(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    owner = giliran("users", "create", "owner@example.com", "--name", "O", "--role", "owner",
                    env=env)
    one_time_password(owner)
    cases = [
        (("users", "create", "OWNER@example.com", "--name", "X", "--role", "admin"), 4,
         "owner@example.com already has an account"),
        (("users", "create", "x@example.com", "--name", "X", "--role", "boss"), 2,
         "unknown role 'boss': use one of owner, admin, supervisor, agent"),
        (("users", "create", "not-an-email", "--name", "X", "--role", "admin"), 2,
         "an email looks like name@example.com"),
        (("users", "create", "s@example.com", "--name", "S", "--role", "supervisor",
          "--queue", "nowhere"), 2, "no queue named 'nowhere'"),
        (("users", "reset-password", "nobody@example.com"), 3,
         "no user with email nobody@example.com"),
        (("users", "deactivate", "nobody@example.com"), 3,
         "no user with email nobody@example.com"),
        (("users", "deactivate", "owner@example.com"), 4,
         "the last active owner cannot be deactivated"),
    ]
    for args, code, message in cases:
        done = giliran(*args, env=env)
        assert (done.returncode, message) == (code, " ".join(done.stderr.split())), args
        assert "Traceback" not in done.stderr
    weak = subprocess.run(
        giliran_args("users", "create", "w@example.com", "--name", "W", "--role", "agent",
                     "--password-stdin"),
        input="password\n", env=env, capture_output=True, text=True, timeout=120)
    assert weak.returncode == 2 and "password" in weak.stderr, weak.stderr
    listed = giliran("users", "list", env={**env, "COLUMNS": "200"})
    emails = [line.split()[1] for line in listed.stdout.splitlines()[1:]]
    assert emails == ["owner@example.com"]  # nothing refused was made
