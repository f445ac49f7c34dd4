"""README's Quick start, run as written: the server `make run` starts (the Makefile's own
command: a generated admin token kept in `.giliran/admin-token`, SQLite in the working
directory), the lines it prints as the README shows them, signing in with the one-time password
they give, then the curl block in a new shell that has none of the variables set, and what a
second start prints. Only the port is changed, to a free one, so none of it can drift from
what a newcomer types and reads."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def quick_start() -> str:
    text = README.read_text()
    start = text.index("## Quick start")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def make_run_args() -> list[str]:
    """What `make run` runs after `giliran` (the recipe's last line)."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe is not None, "the Makefile has no run target"
    command = recipe.group(1).strip().splitlines()[-1].split()
    assert command[0].endswith("/giliran"), command
    return command[1:]


def printed_lines(port: int) -> tuple[list[str], list[str]]:
    """The lines the README says the first start prints (its example block), and those it
    quotes for later starts, as patterns: `…` stands for a generated secret."""
    section = quick_start()
    after = section[section.index("`make run` prints"):]
    found = re.search(r"```\n(.*?)```", after, re.S)
    assert found is not None, "the Quick start shows no output of make run"
    paragraph = after[found.end():].strip().split("\n\n")[0]
    later = [" ".join(quoted.split()) for quoted in re.findall(r"`([^`]+)`", paragraph)
             if quoted.startswith(("sign in at", "admin token:"))]
    return ([_pattern(line, port) for line in found.group(1).splitlines()],
            [_pattern(line, port) for line in later])


def _pattern(line: str, port: int) -> str:
    escaped = re.escape(line.replace("localhost:8000", f"localhost:{port}"))
    return escaped.replace("…", r"\S+").replace(re.escape(".venv/bin/giliran"),
                                                 r"(?:\S*/)?giliran")


def printed(log: Path) -> str:
    """What serve printed before uvicorn's own log lines."""
    return log.read_text().split("INFO:", 1)[0]


def quick_start_block() -> str:
    """The first `sh` block after "Then, in another terminal" in the Quick start."""
    section = quick_start()
    after = section[section.index("Then, in another terminal"):]
    found = re.search(r"```sh\n(.*?)```", after, re.S)
    assert found is not None, "the Quick start has no curl block"
    return found.group(1)


def test_quick_start_block_runs_as_written(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.fail("the Quick start needs curl (apt-get install curl)")
    block = quick_start_block()
    assert "$TOKEN" in block and "$AGENT_TOKEN" in block
    server = ServerProcess("sqlite:///giliran.db", cwd=tmp_path, admin_token=None,
                           log_path=tmp_path / "first.log")
    server.args = [*make_run_args(), "--host", "127.0.0.1", "--port", str(server.port),
                   "--no-access-log"]
    first, later = printed_lines(server.port)
    server.start()
    try:
        shown = printed(tmp_path / "first.log")
        for line in first:
            assert re.search(f"^{line}$", shown, re.M), f"not printed: {line}\n{shown}"
        password = re.search(r"one-time password (\S+)", shown)
        assert password is not None, shown
        _sign_in_and_choose_a_password(server.base_url, password.group(1))
        # A new terminal: nothing of the test's environment that names giliran's tokens.
        env = {k: v for k, v in os.environ.items()
               if k not in ("TOKEN", "AGENT_TOKEN") and not k.startswith("GILIRAN_")}
        script = block.replace("localhost:8000", f"localhost:{server.port}")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in _json_documents(done.stdout)]
    online, ticket, my_queue = answers
    assert online["online"] is True
    assert ticket["title"] == "Cannot log in"
    assert ticket["status"] == "assigned", ticket
    assert [t["title"] for t in my_queue["queue"]] == ["Cannot log in"]

    server.log_path = tmp_path / "again.log"
    server.start()  # the second `make run`: no secret again, how to get back in instead
    server.stop()
    shown = printed(tmp_path / "again.log")
    assert len(later) == 2, later
    for line in later:
        assert re.search(f"^{line}$", shown, re.M), f"not printed: {line}\n{shown}"
    assert password.group(1) not in shown and "gl_admin_" not in shown


def _sign_in_and_choose_a_password(base_url: str, password: str) -> None:
    """The owner signs in with the printed password and must choose their own first."""
    with httpx.Client(base_url=base_url + "/api/v1") as browser:
        signed = browser.post("/auth/login", json={"email": "admin@localhost",
                                                   "password": password})
        assert signed.status_code == 200, signed.text
        assert signed.json()["password_change_required"] is True
        assert browser.get("/workload").json()["error"]["code"] == "password_change_required"
        csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
        chosen = browser.post("/me/password", headers=csrf, json={
            "current_password": password, "new_password": "quiet harbour lanterns 42"})
        assert chosen.status_code == 204, chosen.text
        assert browser.get("/workload").status_code == 200


def _json_documents(out: str) -> list[str]:
    """curl -s prints each answer without a newline: split the concatenated JSON documents."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while at < len(out):
        if out[at].isspace():
            at += 1
            continue
        _, end = decoder.raw_decode(out, at)
        found.append(out[at:end])
        at = end
    return found
