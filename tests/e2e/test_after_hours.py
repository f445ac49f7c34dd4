"""Opening hours end to end: one real `giliran serve` on SQLite, with WhatsApp (a fake Graph API
on loopback) and a Telegram bot (a fake Bot API) configured, its timer pass every 0.1 s.

The server runs on the real clock, and opening hours are whole minutes, so time is not moved:
the schedule is. "Night" keeps Jakarta hours with yesterday, today and tomorrow closed (a
customer writing now writes after closing), and "the opening" is the schedule changed so that
today opens at this minute, as an admin's edit or the clock reaching the hour leaves it; the
schedule is written to the database directly (the schedules API is another part of the issue).
The server finds out by itself in its timer pass, as it would at a real opening.

Tests share the server and run in file order: the first leaves a ticket waiting overnight that
the second's opening assigns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from giliran.channels.telegram.fake import FakeTelegram
from giliran.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_ID,
    FakeGraph,
    delivery,
    signed,
)
from giliran.domain.hours import Schedule
from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.schedules import closed_now, opening_now, store_schedule
from tests.support.server import ADMIN_TOKEN
from tests.support.sqlite_template import migrated_sqlite
from tests.support.whatsapp_samples import BUDI, text

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SECRET = "e2e-after-hours-secret_0123456789"
WAIT = 20.0
CUSTOMER_CHAT = 8801


@dataclass
class Floor:
    url: str  # the database, for the schedule
    http: httpx.Client
    graph: FakeGraph
    bot: FakeTelegram

    def ok(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else ADMIN
        r = self.http.request(method, path, headers=headers, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json()

    def agent(self, name: str, queue: str, order: int, online: bool = True) -> dict[str, Any]:
        made: dict[str, Any] = self.ok("POST", "/agents", json={
            "name": name, "queues": [queue], "rotation_order": order})
        if online:
            self.ok("POST", "/agent/go-online", made["token"])
        return made

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        return dict(self.ok("GET", f"/tickets/{ticket_id}"))

    def schedule(self, night: Schedule) -> None:
        """Night's hours as the database keeps them (written beside the server)."""
        store_schedule(self.url, night)

    def whatsapp(self, message_id: str, body: str) -> None:
        raw, headers = signed(delivery(
            messages=[text(message_id, body, int(time.time()), BUDI)],
            contacts=[{"profile": {"name": "Budi"}, "wa_id": BUDI}]))
        r = self.http.post("/webhooks/whatsapp", content=raw, headers=headers)
        assert r.status_code == 200, r.text

    def telegram(self, body: str, language_code: str) -> None:
        r = self.http.post("/webhooks/telegram", headers={
            "X-Telegram-Bot-Api-Secret-Token": SECRET}, json=self.bot.message(
            CUSTOMER_CHAT, body, first_name="Wati", language_code=language_code))
        assert r.status_code == 200, r.text

    def in_queue(self, queue: str) -> list[dict[str, Any]]:
        return list(self.ok("GET", "/tickets", params={"queue": queue})["items"])

    def said(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.ok("GET", f"/tickets/{ticket_id}/messages")["items"])


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Floor]:
    tmp = tmp_path_factory.mktemp("after-hours")
    url = migrated_sqlite(tmp / "giliran.db")
    log = tmp / "server.log"
    with FakeGraph() as graph, FakeTelegram() as bot:
        env = {"GILIRAN_TICK_SECONDS": "0.1", "GILIRAN_PRESENCE_GRACE_SECONDS": "0",
               "GILIRAN_WHATSAPP_APP_SECRET": APP_SECRET,
               "GILIRAN_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
               "GILIRAN_WHATSAPP_PHONE_NUMBER_ID": f"{PHONE_ID}=night",
               "GILIRAN_WHATSAPP_API_URL": graph.api_url,
               "GILIRAN_TELEGRAM_BOT_TOKEN": bot.token, "GILIRAN_TELEGRAM_API_URL": bot.url,
               "GILIRAN_TELEGRAM_WEBHOOK_SECRET": SECRET, "GILIRAN_TELEGRAM_QUEUE": "night"}
        with running_server(url, log, workers=1, env=env) as server, \
                httpx.Client(base_url=server.base_url + API, timeout=30) as http:
            desk = Floor(url, http, graph, bot)
            desk.schedule(closed_now("night", "Asia/Jakarta"))
            desk.ok("POST", "/queues", json={"name": "night", "schedule": "night",
                                             "priority_aging_seconds": 1,
                                             "max_wait_seconds": 1})
            yield desk
    assert not logged_errors(log), log_tail(log)


def test_a_whatsapp_message_after_closing_is_answered_once_and_waits_unaged(
    floor: Floor,
) -> None:
    sari = floor.agent("Sari", "night", 1)
    # The control: a queue without hours whose timers are the same, and nobody online there.
    floor.ok("POST", "/queues", json={"name": "day", "priority_aging_seconds": 1,
                                      "max_wait_seconds": 1})
    floor.agent("Dewi", "day", 1, online=False)

    floor.whatsapp("wamid.NIGHT1", "Halo, masih buka?")
    (lead,) = floor.in_queue("night")
    assert (lead["status"], lead["assigned_agent_id"]) == ("queued", None), \
        "Sari is online, but the queue is closed"
    told = wait_until(lambda: floor.graph.texts_to(BUDI), timeout=WAIT,
                      what="the out-of-hours reply at the Graph API")
    assert told[0].startswith("🌙 We are closed right now. We open again on ")
    assert told[0].endswith("(Asia/Jakarta); your message is waiting and an agent will "
                            "answer you then.")
    floor.whatsapp("wamid.NIGHT2", "Halo??")
    said = floor.said(lead["id"])
    assert [m["direction"] for m in said] == ["in", "out", "in"], "told once, not twice"

    control = floor.ok("POST", "/tickets", json={"title": "by day", "queue": "day"})
    wait_until(lambda: (t := floor.ticket(control["id"]))["flag"] == "waiting_too_long"
               and t["effective_priority"] == "high", timeout=WAIT,
               what="the control ticket aged and flagged after a second's wait")
    # Each pass handles every queue, and Budi's ticket is older: its clocks stood still.
    waited = floor.ticket(lead["id"])
    assert (waited["status"], waited["effective_priority"], waited["flag"],
            waited["escalations"]) == (
        "queued", "normal", None, 0)
    assert [h["event"] for h in floor.ok("GET", f"/tickets/{lead['id']}/history")] == [
        "created"]
    night = next(q for q in floor.ok("GET", "/workload")["queues"] if q["name"] == "night")
    assert (night["open"], night["open_until"]) == (False, None)
    assert night["closed_until"] is not None
    assert len(floor.graph.texts_to(BUDI)) == 1
    assert sari["id"] not in {t["assigned_agent_id"] for t in floor.in_queue("night")}


def test_a_telegram_customer_is_answered_in_indonesian_and_the_opening_assigns(
    floor: Floor,
) -> None:
    floor.telegram("Halo kak, pesanan saya belum sampai", language_code="id")
    texts = wait_until(lambda: len(floor.bot.sent_to(CUSTOMER_CHAT)) >= 2 and
                       floor.bot.sent_to(CUSTOMER_CHAT), timeout=WAIT,
                       what="the ticket's number and the out-of-hours reply on Telegram")
    closed = [t for t in texts if t.startswith("🌙")]
    assert len(closed) == 1, texts
    assert closed[0].startswith("🌙 Kami sedang tutup. Kami buka lagi pada ")
    assert "(Asia/Jakarta)" in closed[0]
    waiting = [t for t in floor.in_queue("night") if t["status"] == "queued"]
    assert len(waiting) == 2, "Budi's from WhatsApp and Wati's from Telegram"

    # The opening: no timer of the queue may act on what the night left (that is shown
    # above); the wait is over.
    floor.ok("PATCH", "/queues/night", json={"priority_aging_seconds": 0,
                                             "max_wait_seconds": 0})
    floor.schedule(opening_now("night", "Asia/Jakarta"))
    wait_until(lambda: all(t["assigned_agent_id"] for t in floor.in_queue("night")),
               timeout=WAIT, what="the waiting tickets assigned at the opening")
    sari = next(a for a in floor.ok("GET", "/agents") if a["name"] == "Sari")
    assert {t["assigned_agent_id"] for t in floor.in_queue("night")} == {sari["id"]}
    night = next(q for q in floor.ok("GET", "/workload")["queues"] if q["name"] == "night")
    assert (night["open"], night["closed_until"]) == (True, None)
    assert len([t for t in floor.bot.sent_to(CUSTOMER_CHAT) if t.startswith("🌙")]) == 1


def test_a_reply_timer_takes_a_ticket_from_an_agent_who_accepted_and_never_wrote(
    floor: Floor,
) -> None:
    floor.ok("POST", "/queues", json={"name": "desk", "strategy": "rotation",
                                      "reply_timeout_seconds": 1})
    tono = floor.agent("Tono", "desk", 1)
    rina = floor.agent("Rina", "desk", 2)
    lead = floor.ok("POST", "/tickets", json={"title": "refund?", "queue": "desk"})
    assert lead["assigned_agent_id"] == tono["id"]
    floor.ok("POST", f"/tickets/{lead['id']}/accept", tono["token"])
    moved = wait_until(lambda: (t := floor.ticket(lead["id"]))["assigned_agent_id"] == rina["id"]
                       and t, timeout=WAIT, what="the ticket taken back and offered to Rina")
    assert moved["escalations"] == 1
    history = floor.ok("GET", f"/tickets/{lead['id']}/history")
    assert [(h["event"], h["reason"]) for h in history][-2:] == [
        ("escalated", "reply_timeout"), ("assigned", "auto")]
