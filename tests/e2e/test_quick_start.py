"""README's Quick start, run as written: the server `make run` starts (a generated admin token
kept in `.giliran/admin-token`, SQLite in the working directory), then the curl block in a new
shell that has none of the variables set. Only the port is changed, to a free one, so the
block can never drift from what a newcomer types again."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

README = Path(__file__).resolve().parents[2] / "README.md"


def quick_start_block() -> str:
    """The first `sh` block after "Then, in another terminal" in the Quick start."""
    text = README.read_text()
    start = text.index("## Quick start")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
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
                           log_path=tmp_path / "server.log")
    server.args = ["serve", "--host", "127.0.0.1", "--port", str(server.port),
                   "--no-access-log", "--token-file", ".giliran/admin-token"]
    server.start()
    try:
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
