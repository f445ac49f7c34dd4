"""The `giliran` command as a newcomer meets it: serve prints where to go and which token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from giliran.adapters.sql.migrate import head_revision
from giliran.channels import registry
from tests.support.postgres import free_port
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = pytest.mark.e2e


def giliran(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "giliran", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GILIRAN_")}
    env["GILIRAN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    return env


def test_serve_generates_and_prints_a_working_admin_token(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "giliran", "serve", "--port", str(port)],
        env=clean_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "admin token" in line:
                break
        text = "".join(lines)
        assert f"http://localhost:{port}" in text
        token = re.search(r"(gl_admin_\S+)", text)
        assert token, text
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        # "Uvicorn running on" is logged once the socket listens; "Application startup
        # complete" comes earlier, before the bind, so waiting for it raced the request.
        for line in proc.stdout:
            if "Uvicorn running on" in line:
                break
        else:
            pytest.fail(f"serve exited before listening: {proc.wait()}")
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/workload", headers=headers)
        assert r.status_code == 200
        assert r.json()["queue"]["pending"] == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_migrate_and_create_agent_from_the_terminal(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    done = giliran("migrate", env=env)
    head = head_revision(registry.migration_dirs())
    assert done.returncode == 0 and f"revision {head}" in done.stdout
    again = giliran("migrate", env=env)
    assert again.returncode == 0
    made = giliran("create-agent", "Sari", "--max-tickets", "3", env=env)
    assert made.returncode == 0 and re.search(r"token: gla_\S+", made.stdout), made.stdout
    assert "warning" not in made.stderr
    # A second Sari is created too; the terminal says another active agent has the name.
    twin = giliran("create-agent", "sari", env=env)
    assert twin.returncode == 0 and re.search(r"token: gla_\S+", twin.stdout), twin.stdout
    assert ("warning: another active agent is already named 'sari' (id 1) (duplicate_name)"
            in " ".join(twin.stderr.split())), twin.stderr


def test_bad_configuration_is_reported_not_a_traceback(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    bad_url = giliran("migrate", env={**env, "GILIRAN_DATABASE_URL": "mysql://x@y/z"})
    assert bad_url.returncode == 2 and "unsupported database" in bad_url.stderr + bad_url.stdout
    weak = giliran("migrate", env={**env, "GILIRAN_ADMIN_TOKEN": "changeme"})
    assert weak.returncode == 2 and "GILIRAN_ADMIN_TOKEN" in weak.stderr + weak.stdout
    assert "Traceback" not in bad_url.stderr + weak.stderr


def test_tick_from_cron_escalates_what_is_due(tmp_path: Path) -> None:
    """With the in-process scheduler off, `giliran tick` is the timer: run it after an
    assignment's deadline and the assignment is taken back, once. (One agent: after its miss
    nobody is left, so the ticket is flagged and no later deadline can blur the count.)"""
    env = clean_env(tmp_path)
    server = ServerProcess(env["GILIRAN_DATABASE_URL"], env={"GILIRAN_SCHEDULER": "false"})
    server.start()
    try:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        with httpx.Client(base_url=server.base_url + "/api/v1", headers=admin) as http:
            assert http.patch("/queues/default",
                              json={"accept_timeout_seconds": 1}).status_code == 200
            token = http.post("/agents", json={"name": "A"}).json()["token"]
            http.post("/agent/go-online", headers={"Authorization": f"Bearer {token}"})
            lead = http.post("/tickets", json={"title": "lead"}).json()
    finally:
        server.stop()
    time.sleep(1.2)  # let the 1 s deadline pass; no process holds the timer
    first = giliran("tick", env=env)
    assert first.returncode == 0, first.stderr
    assert "escalated 1, flagged exhausted 1," in first.stdout, first.stdout
    again = giliran("tick", env=env)
    assert "escalated 0, flagged exhausted 0," in again.stdout, "the same deadline fired twice"
    assert lead["assigned_agent_id"] is not None


def test_import_a_backlog_twice_creates_it_once_and_dispatches_what_capacity_allows(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path)
    server = ServerProcess(env["GILIRAN_DATABASE_URL"], env={"GILIRAN_SCHEDULER": "false"})
    server.start()
    try:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        with httpx.Client(base_url=server.base_url + "/api/v1", headers=admin) as http:
            for name in ("A", "B"):
                token = http.post("/agents", json={"name": name, "max_tickets": 20}).json()[
                    "token"]
                http.post("/agent/go-online", headers={"Authorization": f"Bearer {token}"})
    finally:
        server.stop()
    backlog = tmp_path / "backlog.csv"
    lines = ["external_id,title,priority,category"]
    lines += [f"old-{i},Old ticket {i},{('low', 'normal', 'high')[i % 3]},billing"
              for i in range(300)]
    lines += ["old-bad-1,,normal,billing", ",No id,normal,billing", "old-bad-2,x,someday,"]
    backlog.write_text("\n".join(lines) + "\n")

    first = giliran("import", str(backlog), "--batch", "64", env=env)
    assert first.returncode == 1, first.stderr  # some rows were invalid
    assert "created 300, already there 0, invalid 3, assigned 40" in first.stdout, first.stdout
    assert "line 302" in first.stderr and "external_id is required" in first.stderr
    again = giliran("import", str(backlog), env=env)
    assert "created 0, already there 300, invalid 3, assigned 0" in again.stdout, again.stdout

    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text('{"external_id": "old-0", "title": "dup"}\n'
                     '{"external_id": "new-1", "title": "fresh", "priority": "urgent"}\n')
    more = giliran("import", str(jsonl), env=env)
    assert more.returncode == 0 and "created 1, already there 1, invalid 0" in more.stdout
    missing = giliran("import", str(tmp_path / "nope.csv"), env=env)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def token_line(tmp_path: Path, *args: str) -> str:
    """Start `giliran serve`, read the line where it speaks of the admin token, stop it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "giliran", "serve", "--port", str(free_port()), *args],
        env=clean_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "admin token" in line:
                return line
        raise AssertionError("serve said nothing of the admin token")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def printed_token(tmp_path: Path, *args: str) -> str:
    line = token_line(tmp_path, *args)
    found = re.search(r"(gl_admin_\S+)", line)
    assert found, line
    return found.group(1)


def test_make_runs_token_file_keeps_the_admin_token_across_restarts(tmp_path: Path) -> None:
    kept = tmp_path / ".giliran" / "admin-token"
    first = printed_token(tmp_path, "--token-file", str(kept))
    assert kept.read_text().strip() == first
    assert kept.stat().st_mode & 0o777 == 0o600, "the token file is readable by others"
    # Shown once, when generated; later starts say where it is kept, not what it is.
    again = token_line(tmp_path, "--token-file", str(kept))
    assert first not in again and str(kept) in again
    assert kept.read_text().strip() == first, "the kept token changed"
    assert printed_token(tmp_path) != first, "without the file a fresh token is generated"


def test_telegram_webhook_and_link_code_commands(tmp_path: Path) -> None:
    from giliran.channels.telegram.fake import FakeTelegram

    env = clean_env(tmp_path)
    with FakeTelegram() as fake:
        env.update(GILIRAN_TELEGRAM_BOT_TOKEN=fake.token, GILIRAN_TELEGRAM_API_URL=fake.url,
                   GILIRAN_TELEGRAM_WEBHOOK_SECRET="cli-webhook-secret-0123")
        done = giliran("telegram-webhook", "https://desk.example.com/api/v1/webhooks/telegram",
                       env=env)
        assert done.returncode == 0, done.stderr
        [call] = [c for c in fake.calls if c.method == "setWebhook"]
        assert call.params["url"] == "https://desk.example.com/api/v1/webhooks/telegram"
        assert call.params["secret_token"] == "cli-webhook-secret-0123"
        assert giliran("telegram-webhook", "--delete", env=env).returncode == 0
        assert [c.method for c in fake.calls][-1] == "deleteWebhook"
        assert fake.token not in done.stdout + done.stderr
    nothing = giliran("telegram-webhook", env=env)
    assert nothing.returncode == 2 and "--delete" in nothing.stderr

    assert giliran("create-agent", "Sari", env=env).returncode == 0
    code = giliran("link-code", "1", env=env)
    assert code.returncode == 0 and re.search(r"/start [0-9A-F]{10}", code.stdout), code.stdout
    missing = giliran("link-code", "99", env=env)
    assert missing.returncode == 1 and "99" in missing.stderr
