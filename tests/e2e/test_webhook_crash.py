"""The outbox across a crash: SIGKILL the server after an assignment commits and before its
webhook notification goes out; after a restart the receiver gets it exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.e2e_server import API, wait_until
from tests.support.receiver import Receiver
from tests.support.server import ADMIN_TOKEN, ServerProcess

PRIVATE_OK = {"GILIRAN_WEBHOOK_ALLOW_PRIVATE": "true"}  # the receiver is on loopback

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_a_notification_pending_at_a_crash_is_delivered_once_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    with Receiver() as receiver:
        # A server that sends nothing (its outbox loops are off) holds the window open for as
        # long as the test needs: the assignment commits, its notification waits.
        slow = ServerProcess(database_url, log_path=tmp_path / "slow.log",
                             env={"GILIRAN_OUTBOX": "false", **PRIVATE_OK})
        slow.start()
        try:
            http = httpx.Client(base_url=slow.base_url + API, headers=ADMIN)
            hook = http.post("/webhooks", json={"url": receiver.url,
                                                "secret": "crash-test-secret-0123",
                                                "events": ["ticket.assigned"]})
            assert hook.status_code == 201
            token = http.post("/agents", json={"name": "A"}).json()["token"]
            http.post("/agent/go-online", headers={"Authorization": f"Bearer {token}"})
            ticket = http.post("/tickets", json={"title": "lead"}).json()
            assert ticket["status"] == "assigned"  # committed, not yet notified
            http.close()
        finally:
            slow.crash()
        assert receiver.received == [], "notified before the crash; the test proves nothing"

        fast = ServerProcess(database_url, log_path=tmp_path / "fast.log",
                             env={"GILIRAN_TICK_SECONDS": "0.1", **PRIVATE_OK})
        fast.start()
        try:
            wait_until(lambda: receiver.received, timeout=30, what="the notification")
            with httpx.Client(base_url=fast.base_url + API, headers=ADMIN) as admin:
                wait_until(lambda: admin.get("/deliveries", params={"status": "delivered"})
                           .json()["total"] == 1, timeout=30, what="the delivery recorded")
        finally:
            fast.stop()
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [(b["type"], b["ticket"]["id"]) for b in bodies] == [
        ("ticket.assigned", ticket["id"])], bodies
