"""The Telegram bot on a real server, against a fake Bot API server on loopback: webhook mode
with two workers through a Telegram outage, long polling, and a crash between an assignment and
its notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from giliran.channels.telegram.fake import FakeTelegram
from tests.support.e2e_server import API, log_tail, logged_errors, running_server, wait_until
from tests.support.server import ADMIN_TOKEN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SECRET = "e2e-telegram-secret_0123456789"
AGENT_CHAT = 4242
CUSTOMER = 777


def bot_env(fake: FakeTelegram, *, webhook: bool = True, tick: str = "0.1") -> dict[str, str]:
    env = {"GILIRAN_TELEGRAM_BOT_TOKEN": fake.token, "GILIRAN_TELEGRAM_API_URL": fake.url,
           "GILIRAN_TICK_SECONDS": tick}
    if webhook:
        env["GILIRAN_TELEGRAM_WEBHOOK_SECRET"] = SECRET
    return env


def post_update(http: httpx.Client, update: dict[str, Any]) -> None:
    answer = http.post("/webhooks/telegram", json=update,
                       headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert answer.status_code == 200, answer.text


def link_agent(http: httpx.Client, fake: FakeTelegram, send: Any) -> dict[str, Any]:
    agent: dict[str, Any] = http.post("/agents", json={"name": "Sari"}).json()
    code = http.post(f"/agents/{agent['id']}/telegram-code").json()
    send(fake.message(AGENT_CHAT, code["send_to_bot"]))
    wait_until(lambda: fake.sent_to(AGENT_CHAT), timeout=20, what="the linked reply")
    send(fake.message(AGENT_CHAT, "/online"))
    wait_until(lambda: len(fake.sent_to(AGENT_CHAT)) == 2, timeout=20, what="/online's reply")
    return agent


def assigned_notices(fake: FakeTelegram) -> list[str]:
    return [t for t in fake.sent_to(AGENT_CHAT) if t.startswith("🎫")]


def settled(http: httpx.Client) -> bool:
    """Nothing left to send (pending notices are all delivered or dead)."""
    return bool(http.get("/notices", params={"status": "pending"}).json()["total"] == 0)


def test_webhook_mode_through_a_telegram_outage(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with FakeTelegram() as fake, running_server(database_url, log, workers=2,
                                                env=bot_env(fake)) as server:
        http = httpx.Client(base_url=server.base_url + API, headers=ADMIN, timeout=10)
        agent = link_agent(http, fake, lambda u: post_update(http, u))
        assert fake.sent_to(AGENT_CHAT)[1].startswith("🟢 You are online.")

        fake.failing = True
        made = [http.post("/tickets", json={"title": f"lead {i}"}).json() for i in range(3)]
        assert all(t["assigned_agent_id"] == agent["id"] for t in made)
        wait_until(lambda: fake.failed_attempts() >= 3, timeout=20, what="failed attempts")
        assert assigned_notices(fake) == []
        fake.failing = False
        wait_until(lambda: len(assigned_notices(fake)) >= 3, timeout=30,
                   what="the notices after the outage")
        wait_until(lambda: settled(http), timeout=30, what="every notice recorded")
        told = assigned_notices(fake)
        assert len(told) == 3 and len(set(told)) == 3, told
        assert all(any(t["number"] in m for m in told) for t in made)

        post_update(http, fake.press(AGENT_CHAT, f"accept:{made[0]['id']}"))
        assert fake.answers()[-1]["text"] == f"✅ Accepted {made[0]['number']}"
        assert http.get(f"/tickets/{made[0]['id']}").json()["status"] == "in_progress"

        post_update(http, fake.message(CUSTOMER, "Where is my parcel?"))
        wait_until(lambda: fake.sent_to(CUSTOMER), timeout=20, what="the customer's answer")
        opened = http.get("/tickets", params={"limit": 10}).json()["items"][-1]
        assert opened["title"] == "Where is my parcel?"
        assert fake.sent_to(CUSTOMER) == [
            f"✅ Thank you! Your ticket {opened['number']} is open. An agent will reply here "
            "soon."]
        http.close()
    text = log.read_text()
    assert fake.token not in text and SECRET not in text
    assert logged_errors(log) == [], log_tail(log)


def test_long_polling_with_two_workers_handles_each_update_once(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with FakeTelegram() as fake, running_server(database_url, log, workers=2,
                                                env=bot_env(fake, webhook=False)) as server:
        http = httpx.Client(base_url=server.base_url + API, headers=ADMIN, timeout=10)
        link_agent(http, fake, fake.push)
        for text in ("I was charged twice", "order 5512", "please help"):
            fake.push(fake.message(CUSTOMER, text))
        wait_until(lambda: fake.sent_to(CUSTOMER), timeout=20, what="the customer's answer")
        wait_until(lambda: fake.pending_updates() == 0, timeout=20, what="updates confirmed")
        wait_until(lambda: settled(http), timeout=20, what="every notice recorded")
        [ticket] = http.get("/tickets").json()["items"]
        messages = http.get(f"/tickets/{ticket['id']}/messages").json()["items"]
        assert [m["body"] for m in messages if m["direction"] == "in"] == [
            "I was charged twice", "order 5512", "please help"]
        assert len(fake.sent_to(CUSTOMER)) == 1
        assert len(assigned_notices(fake)) == 1
        http.close()
    assert fake.token not in log.read_text()
    assert logged_errors(log) == [], log_tail(log)


def test_an_assignment_notice_pending_at_a_crash_is_sent_once_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        # A server that sends nothing (its outbox loops are off) holds the window between the
        # assignment's commit and its notice open for as long as the test needs.
        slow = ServerProcess(database_url, log_path=tmp_path / "slow.log",
                             env={**bot_env(fake), "GILIRAN_OUTBOX": "false"})
        slow.start()
        try:
            http = httpx.Client(base_url=slow.base_url + API, headers=ADMIN, timeout=10)
            agent = http.post("/agents", json={"name": "Sari"}).json()
            code = http.post(f"/agents/{agent['id']}/telegram-code").json()
            post_update(http, fake.message(AGENT_CHAT, code["send_to_bot"]))
            post_update(http, fake.message(AGENT_CHAT, "/online"))
            ticket = http.post("/tickets", json={"title": "hot lead"}).json()
            assert ticket["status"] == "assigned"  # committed, not yet told
            http.close()
        finally:
            slow.crash()
        assert fake.sent() == [], "told before the crash; the test proves nothing"

        fast = ServerProcess(database_url, log_path=tmp_path / "fast.log", env=bot_env(fake))
        fast.start()
        try:
            with httpx.Client(base_url=fast.base_url + API, headers=ADMIN) as http:
                wait_until(lambda: assigned_notices(fake), timeout=30, what="the notice")
                wait_until(lambda: settled(http), timeout=30, what="the notice recorded")
        finally:
            fast.stop()
    told = fake.sent_to(AGENT_CHAT)
    assert [t.split()[0] for t in told] == ["🔗", "🟢", "🎫"], told  # each once, in order
    assert ticket["number"] in told[2]
