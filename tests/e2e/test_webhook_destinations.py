"""SSRF against a real server, on SQLite and PostgreSQL: a server that does not allow private
destinations refuses them at registration, and will not send to a webhook registered
earlier (on a server that allowed them) whose name resolves to loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.e2e_server import API, wait_until
from tests.support.receiver import Receiver
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_private_destinations_are_refused_at_registration_and_when_sending(
    database_url: str, tmp_path: Path
) -> None:
    with Receiver() as receiver:
        hook = {"url": receiver.url.replace("127.0.0.1", "localhost"),
                "secret": "receiver-shared-secret-0123"}
        lenient = ServerProcess(database_url, log_path=tmp_path / "lenient.log", env={
            "GILIRAN_WEBHOOK_ALLOW_PRIVATE": "true", "GILIRAN_OUTBOX": "false"})
        lenient.start()
        try:
            # A member of the default queue (offline): the ticket below waits for her, unflagged,
            # so it makes one delivery.
            r = httpx.post(lenient.base_url + API + "/agents", json={"name": "Sari"},
                           headers=ADMIN)
            assert r.status_code == 201, r.text
            r = httpx.post(lenient.base_url + API + "/webhooks", json=hook, headers=ADMIN)
            assert r.status_code == 201, r.text
        finally:
            lenient.stop()

        strict = ServerProcess(database_url, log_path=tmp_path / "strict.log",
                               env={"GILIRAN_TICK_SECONDS": "0.1"})
        strict.start()
        try:
            with httpx.Client(base_url=strict.base_url + API, headers=ADMIN) as http:
                for url in ("http://169.254.169.254/latest/meta-data/", hook["url"]):
                    r = http.post("/webhooks", json={**hook, "url": url})
                    assert (r.status_code, r.json()["error"]["code"]) == (
                        422, "destination_not_allowed")
                assert http.post("/tickets", json={"title": "t"}).status_code == 201

                def attempted() -> list[dict[str, object]]:
                    items = http.get("/deliveries").json()["items"]
                    return [d for d in items if int(str(d["attempts"])) >= 1]
                (tried,) = wait_until(attempted, timeout=30, what="a delivery attempt")
        finally:
            strict.stop()
    assert str(tried["last_error"]).startswith("destination not allowed")
    assert receiver.received == []
