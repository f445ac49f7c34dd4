"""A WhatsApp lead end to end with a real `giliran serve` (two workers) on SQLite and
PostgreSQL: the lead arrives by webhook and is assigned, the agent's reply reaches the Graph
API (a fake server on loopback speaking Meta's protocol), the reply accepts the lead, and its
accept timer never fires, while a lead nobody answered in the same time escalates."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from giliran.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_ID,
    FakeGraph,
    delivery,
    signed,
)
from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.server import ADMIN_TOKEN
from tests.support.whatsapp_samples import BUDI, text

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TIMEOUT = 4  # seconds to accept: long enough for the reply on a loaded machine
WAIT = 30.0


def test_a_reply_answers_the_lead_and_stops_its_escalation(
    database_url: str, tmp_path: Path,
) -> None:
    log = tmp_path / "server.log"
    with FakeGraph() as graph:
        env = {"GILIRAN_TICK_SECONDS": "0.1", "GILIRAN_PRESENCE_GRACE_SECONDS": "0",
               "GILIRAN_WHATSAPP_APP_SECRET": APP_SECRET,
               "GILIRAN_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
               "GILIRAN_WHATSAPP_PHONE_NUMBER_ID": f"{PHONE_ID}=sales",
               "GILIRAN_WHATSAPP_API_URL": graph.api_url}
        with running_server(database_url, log, workers=2, env=env) as server, \
                httpx.Client(base_url=server.base_url + API, timeout=30) as http:
            def ok(method: str, path: str, token: str = ADMIN_TOKEN, **kw: Any) -> Any:
                r = http.request(method, path, headers={"Authorization": f"Bearer {token}"},
                                 **kw)
                assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
                return r.json()

            def lead(message_id: str, sender: str, body: str) -> dict[str, Any]:
                raw, headers = signed(delivery(
                    messages=[text(message_id, body, int(time.time()), sender)],
                    contacts=[{"profile": {"name": sender}, "wa_id": sender}]))
                assert http.post("/webhooks/whatsapp", content=raw,
                                 headers=headers).json()["opened"] == 1
                found = ok("GET", "/tickets", params={"queue": "sales", "limit": 500})["items"]
                return next(t for t in found if t["external_id"] == f"whatsapp:{message_id}")

            ok("POST", "/queues", json={"name": "sales", "accept_timeout_seconds": TIMEOUT})
            a, b = (ok("POST", "/agents", json={"name": n, "queues": ["sales"],
                                                "rotation_order": i})
                    for i, n in enumerate("AB", start=1))
            for agent in (a, b):
                ok("POST", "/agent/go-online", agent["token"])

            answered = lead("wamid.E1", BUDI, "Halo, masih ada promo?")
            assert answered["assigned_agent_id"] == a["id"]
            ok("POST", f"/tickets/{answered['id']}/messages", a["token"],
               json={"text": "Masih, sampai Jumat"})
            sent = wait_until(graph.sent, timeout=WAIT, what="the reply at the Graph API")
            assert (sent[0].phone_id, sent[0].body["to"], sent[0].body["text"]["body"]) == (
                PHONE_ID, BUDI, "Masih, sampai Jumat")

            ignored = lead("wamid.E2", "6289900001111", "Info harga?")
            assert ignored["assigned_agent_id"] == b["id"]
            # The timer runs: the lead nobody answered moves on within the same timeout.
            wait_until(lambda: ok("GET", f"/tickets/{ignored['id']}")["escalations"] >= 1,
                       timeout=WAIT, what="the unanswered lead's escalation")

            now = ok("GET", f"/tickets/{answered['id']}")
            assert (now["status"], now["assigned_agent_id"], now["escalations"]) == (
                "in_progress", a["id"], 0)
            history = ok("GET", f"/tickets/{answered['id']}/history")
            assert [(h["event"], h["reason"]) for h in history] == [
                ("created", "created"), ("assigned", "auto"), ("accepted", "replied")]
            said = ok("GET", f"/tickets/{answered['id']}/messages")["items"]
            assert [(m["direction"], m["state"]) for m in said] == [("in", None), ("out", "sent")]
            assert len(graph.sent()) == 1
    assert not logged_errors(log), log_tail(log)
    assert ACCESS_TOKEN not in log.read_text() and APP_SECRET not in log.read_text()
