"""SLA alerts on a real server against the fake Bot API server: a supervisor who linked its own
Telegram chat from the console (in Indonesian) hears the warning and then the breach of a
ticket of its queue, in Indonesian, naming the holder; the holder's chat hears both too, in
English; a supervisor of another queue hears nothing.

The server runs on the real clock, the timers made short (as tests/e2e/test_escalation.py
does): a 3-second first-response target warned at half, a scheduler ticking every 0.1 s. The
test waits on what the bot is sent, never for a fixed time; a pass that finds both due tells
the warning before the breach, so a slow machine changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import connect as connect_db
from giliran.channels.telegram.fake import FakeTelegram
from tests.e2e.test_telegram import bot_env, post_update
from tests.support.e2e_server import API, log_tail, logged_errors, wait_until
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PASSWORD = "the floor never sleeps 26"
AGENT_CHAT, SARI_CHAT, TONO_CHAT = 5101, 5102, 5103
WAIT = 30.0


@dataclass
class Floor:
    http: httpx.Client  # the admin's
    fake: FakeTelegram
    base: str

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json() if r.content else None

    def said(self, chat: int, count: int, what: str) -> list[str]:
        wait_until(lambda: len(self.fake.sent_to(chat)) >= count, timeout=WAIT, what=what)
        return list(self.fake.sent_to(chat))

    def supervisor(self, email: str, queues: list[str], chat: int, language: str) -> None:
        """A supervisor who signs in and links its chat with the console's code."""
        self.ok("POST", "/users", json={"email": email, "name": email.split("@")[0].title(),
                                        "role": "supervisor", "password": PASSWORD,
                                        "queues": queues})
        r = httpx.post(f"{self.base}/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        me = {"Cookie": f"giliran_session={r.cookies['giliran_session']}",
              "X-CSRF-Token": r.json()["csrf_token"]}
        code = httpx.post(f"{self.base}/supervisor/telegram-code", headers=me,
                          json={"language": language})
        assert code.status_code == 200, code.text
        post_update(self.http, self.fake.message(chat, code.json()["send_to_bot"],
                                                 language_code="en"))
        self.said(chat, 1, f"{email}'s link confirmed")
        linked = httpx.get(f"{self.base}/supervisor/telegram", headers=me).json()
        assert linked == {"enabled": True, "linked": True}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                                marks=pytest.mark.postgres)])
def floor(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Floor]:
    folder = tmp_path_factory.mktemp("sla_alerts")
    if request.param == "postgres":
        url = request.getfixturevalue("pg_cluster").fresh_database()
    else:
        url = f"sqlite:///{folder / 'giliran.db'}"
        db = connect_db(url)
        migrate.upgrade(db)
        db.dispose()
    log = folder / "server.log"
    with FakeTelegram() as fake:
        server = ServerProcess(url, workers=1, log_path=log,
                               env={**bot_env(fake), "GILIRAN_PRESENCE_GRACE_SECONDS": "0"})
        server.start()
        base = server.base_url + API
        try:
            with httpx.Client(base_url=base, headers=ADMIN, timeout=10) as http:
                yield Floor(http, fake, base)
        finally:
            server.stop()
    assert not logged_errors(log), log_tail(log)


def test_a_supervisors_chat_hears_the_warning_then_the_breach_in_its_language(
    floor: Floor,
) -> None:
    floor.ok("POST", "/queues", json={"name": "billing"})
    floor.ok("POST", "/queues", json={"name": "sales"})
    floor.supervisor("sari@example.com", ["billing"], SARI_CHAT, "id")
    floor.supervisor("tono@example.com", ["sales"], TONO_CHAT, "en")
    assert floor.fake.sent_to(SARI_CHAT)[0].startswith("🔗 Chat ini sekarang terhubung ke Sari")

    budi = floor.ok("POST", "/agents", json={"name": "Budi", "queues": ["billing"]})
    code = floor.ok("POST", f"/agents/{budi['id']}/telegram-code")
    post_update(floor.http, floor.fake.message(AGENT_CHAT, code["send_to_bot"]))
    floor.said(AGENT_CHAT, 1, "the agent's link confirmed")
    floor.ok("POST", "/agent/go-online", headers={"Authorization": f"Bearer {budi['token']}"})
    floor.ok("POST", "/sla-policies", json={
        "name": "Billing answers", "conditions": {"queues": ["billing"]},
        "targets": {"first_response_seconds": 3}, "warn_percent": 50})

    ticket = floor.ok("POST", "/tickets", json={"title": "Double charge", "queue": "billing"})
    assert ticket["assigned_agent_id"] == budi["id"]
    assert ticket["sla"]["policy"] == "Billing answers"

    sari = floor.said(SARI_CHAT, 3, "Sari's warning and breach")[1:]
    number = ticket["number"]
    assert sari[0].startswith(f"⏳ Peringatan SLA: {number} (Double charge) di billing harus "
                              "mendapat respons pertama paling lambat ")
    assert sari[1].startswith(f"🚨 SLA terlampaui: {number} (Double charge) di billing "
                              "melewati target respons pertama (batas ")
    assert all(t.endswith("\nDipegang oleh Budi.") for t in sari)

    alerts = [t for t in floor.said(AGENT_CHAT, 4, "the holder's alerts")
              if t.startswith(("⏳", "🚨"))]
    assert [t.split(":")[0] for t in alerts] == ["⏳ SLA warning", "🚨 SLA breached"]
    assert all(number in t and "first response" in t for t in alerts)

    r = floor.http.get(f"/tickets/{ticket['id']}")
    assert [(t["target"], t["state"]) for t in r.json()["sla"]["targets"]] == [
        ("first_response", "breached")]
    assert floor.fake.sent_to(TONO_CHAT)[1:] == []  # sales is his; the ticket is not
    assert len(floor.fake.sent_to(SARI_CHAT)) == 3  # each alert once
