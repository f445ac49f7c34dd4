"""The Telegram bot on SQLite and PostgreSQL, against a fake Bot API server on loopback: updates
arrive at the webhook as Telegram POSTs them, and notices leave through the real client
(python-telegram-bot) as sendMessage calls the fake records."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from giliran.service.assignment.timers import tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.support.desks import (
    AGENT_CHAT,
    API,
    CUSTOMER,
    SECRET,
    TELEGRAM_HOOK,
    Bot,
)
from tests.support.server import ADMIN_TOKEN

HOOK = TELEGRAM_HOOK


def tickets(client: TestClient) -> list[dict[str, Any]]:
    return list(client.get(f"{API}/tickets", headers=ADMIN).json()["items"])


def test_a_customer_message_opens_one_ticket_and_the_customer_is_told_its_number(
    tg: Bot,
) -> None:
    tg.say(CUSTOMER, "My order #88 never arrived\nI paid on Monday.")
    tg.say(CUSTOMER, "Any news?")
    [ticket] = tickets(tg.client)
    assert ticket["title"] == "My order #88 never arrived"
    assert ticket["category"] == "telegram" and ticket["status"] == "queued"
    opened = (f"✅ Thank you! Your ticket {ticket['number']} is open. An agent will reply "
              "here soon.")
    messages = tg.client.get(f"{API}/tickets/{ticket['id']}/messages", headers=ADMIN).json()
    assert [(m["direction"], m["body"], m["state"]) for m in messages["items"]] == [
        ("in", "My order #88 never arrived\nI paid on Monday.", None),
        ("out", opened, "queued"),  # what giliran told the customer is in the conversation
        ("in", "Any news?", None)]
    assert tg.deliver() == 1
    assert tg.fake.sent_to(CUSTOMER) == [opened]
    messages = tg.client.get(f"{API}/tickets/{ticket['id']}/messages", headers=ADMIN).json()
    assert messages["items"][1]["state"] == "sent"


def test_an_update_telegram_sends_twice_changes_nothing_the_second_time(tg: Bot) -> None:
    update = tg.fake.message(CUSTOMER, "Halo, saya tidak bisa masuk", language_code="id")
    assert tg.update(update).status_code == 200
    assert tg.update(update).status_code == 200
    [ticket] = tickets(tg.client)
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER) == [
        f"✅ Terima kasih! Tiket Anda {ticket['number']} sudah dibuat. Agen kami akan segera "
        "membalas di sini."]


def test_the_webhook_refuses_a_missing_or_wrong_secret_and_stores_nothing(tg: Bot) -> None:
    update = tg.fake.message(CUSTOMER, "hello")
    for secret in (None, "wrong-secret-0123456789"):
        answer = tg.update(update, secret=secret)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "bad_secret"
        assert SECRET not in answer.text
    bad = tg.client.post(HOOK, content=b"{not json", headers={
        "X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    group = {"update_id": 5, "message": {"message_id": 1, "date": 0, "text": "x",
                                         "chat": {"id": -1001, "type": "supergroup"}}}
    assert tg.update(group).json() == {"handled": False}  # groups are not customers
    assert tickets(tg.client) == []


def test_an_agent_links_its_chat_once_with_a_code(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    code = tg.client.post(f"{API}/agent/telegram-code", headers=bearer(agent["token"])).json()
    assert code["send_to_bot"] == f"/start {code['code']}"
    state = tg.client.get(f"{API}/agent/telegram", headers=bearer(agent["token"]))
    assert state.json() == {"enabled": True, "linked": False}
    tg.say(AGENT_CHAT, code["send_to_bot"])
    state = tg.client.get(f"{API}/agent/telegram", headers=bearer(agent["token"]))
    assert state.json() == {"enabled": True, "linked": True}
    tg.say(AGENT_CHAT + 1, code["send_to_bot"])  # used up
    expired = tg.client.post(f"{API}/agents/{agent['id']}/telegram-code", headers=ADMIN).json()
    tg.clock.advance(16 * 60)
    tg.say(AGENT_CHAT + 2, expired["send_to_bot"])
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT) == [
        "🔗 This chat is now linked to agent Sari.\nCommands: /online /offline /myqueue /status"
        "\nAnswer a customer: reply to their message, or /reply INC… your text"]
    bad = ("That code is not valid or has expired. Ask for a new one in the dashboard or from "
           "your supervisor.")
    assert tg.fake.sent_to(AGENT_CHAT + 1) == [bad]
    assert tg.fake.sent_to(AGENT_CHAT + 2) == [bad]
    assert tickets(tg.client) == []  # a code is not a customer's message


def test_agent_commands_act_like_the_api(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari", max_tickets=3)
    tg.link(agent["id"])
    tg.say(AGENT_CHAT, "/online")
    def presence() -> str:
        return str(tg.client.get(f"{API}/agent/me", headers=bearer(agent["token"])).json()[
            "presence"])

    assert presence() == "online"
    tg.client.post(f"{API}/tickets", json={"title": "Refund for order 12"}, headers=ADMIN)
    tg.client.post(f"{API}/tickets", json={"title": "Wrong size"}, headers=ADMIN)
    tg.say(AGENT_CHAT, "/myqueue")
    tg.say(AGENT_CHAT, "/status")
    tg.say(AGENT_CHAT, "/offline")
    assert presence() == "offline"
    tg.deliver()
    numbers = [t["number"] for t in tickets(tg.client)]
    replies = [t for t in tg.fake.sent_to(AGENT_CHAT) if not t.startswith("🎫")]
    assert replies[1:] == [
        "🟢 You are online. New tickets arrive automatically (0/3 active).",
        f"📋 Your queue (2/3):\n#1 {numbers[0]} · Refund for order 12 · Pending\n"
        f"#2 {numbers[1]} · Wrong size · Pending",
        "Status: online\nActive tickets: 2/3\nAutomatic assignment: on\n"
        "Waiting in your queues: 0",
        "⚪ You are offline. You will not receive new tickets.",
    ]


def test_every_assignment_tells_the_agent_with_accept_and_complete_buttons(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    tg.link(agent["id"])
    online(tg.client, agent)
    first = tg.client.post(f"{API}/tickets", json={"title": "Cannot log in",
                                                    "category": "account"}, headers=ADMIN).json()
    second = tg.client.post(f"{API}/tickets", json={"title": "Invoice"}, headers=ADMIN).json()
    tg.deliver()
    told = [m for m in tg.fake.sent() if m["text"].startswith("🎫")]
    assert [m["text"] for m in told] == [
        f"🎫 New ticket added to your queue!\nTicket: {first['number']}\nTitle: Cannot log in\n"
        "Category: account\nQueue position: #1\nYou have 1/5 active tickets.",
        f"🎫 New ticket added to your queue!\nTicket: {second['number']}\nTitle: Invoice\n"
        "Category: -\nQueue position: #2\nYou have 2/5 active tickets.",
    ]
    assert told[0]["reply_markup"] == {"inline_keyboard": [[
        {"text": "✅ Accept", "callback_data": f"accept:{first['id']}"},
        {"text": "🏁 Complete", "callback_data": f"complete:{first['id']}"}]]}

    assert tg.press(AGENT_CHAT, f"accept:{first['id']}") == f"✅ Accepted {first['number']}"
    got = tg.client.get(f"{API}/tickets/{first['id']}", headers=ADMIN).json()
    assert got["status"] == "in_progress"
    assert tg.press(AGENT_CHAT, f"complete:{first['id']}") == f"🏁 Completed {first['number']}"
    got = tg.client.get(f"{API}/tickets/{first['id']}", headers=ADMIN).json()
    assert got["status"] == "completed"
    # The same rules as the API: completing it again is refused, and said so.
    assert tg.press(AGENT_CHAT, f"complete:{first['id']}") == (
        "Not possible now (invalid_transition).")


def test_a_stranger_pressing_a_button_changes_nothing(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    online(tg.client, agent)
    ticket = tg.client.post(f"{API}/tickets", json={"title": "x"}, headers=ADMIN).json()
    assert tg.press(CUSTOMER, f"accept:{ticket['id']}") == (
        "This Telegram account is not linked to an agent.")
    got = tg.client.get(f"{API}/tickets/{ticket['id']}", headers=ADMIN).json()
    assert got["status"] == "assigned"


def test_an_escalation_tells_the_old_holder_and_a_late_accept_is_refused(tg: Bot) -> None:
    """In the agent's own language (Indonesian here), whatever its Telegram speaks."""
    tg.client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 60}, headers=ADMIN)
    a = make_agent(tg.client, "Sari", language="id")
    b = make_agent(tg.client, "Budi")
    tg.link(a["id"], language_code="en")
    online(tg.client, a)
    ticket = tg.client.post(f"{API}/tickets", json={"title": "Tolong"}, headers=ADMIN).json()
    online(tg.client, b)
    tg.clock.advance(61)
    tick(tg.container.ctx)
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[-1] == (
        f"⏰ Tiket {ticket['number']} ditarik kembali karena tidak diterima tepat waktu; "
        "tiket diteruskan ke agen berikutnya.")
    assert tg.press(AGENT_CHAT, f"accept:{ticket['id']}") == (
        "Tiket ini sudah ditarik dari Anda.")
    got = tg.client.get(f"{API}/tickets/{ticket['id']}", headers=ADMIN).json()
    assert got["assigned_agent_id"] == b["id"]


def test_a_telegram_outage_delays_notices_and_loses_none_and_repeats_none(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    tg.link(agent["id"])
    tg.deliver()
    online(tg.client, agent)
    tg.fake.failing = True
    made = [tg.client.post(f"{API}/tickets", json={"title": f"lead {i}"}, headers=ADMIN).json()
            for i in range(3)]
    assert tg.deliver() == 3
    assert tg.fake.failed_attempts() == 3 and tg.fake.sent_to(AGENT_CHAT)[1:] == []
    pending = tg.client.get(f"{API}/notices", params={"status": "pending"},
                            headers=ADMIN).json()
    assert pending["total"] == 3
    assert {n["last_error"] for n in pending["items"]} == {"NetworkError: Bad Gateway (502)"}
    assert tg.deliver() == 0  # not yet due: the first retry waits 2 s
    tg.fake.failing = False
    tg.clock.advance(2)
    assert tg.deliver() == 3
    tg.clock.advance(30 * 60)
    assert tg.deliver() == 0
    told = [t for t in tg.fake.sent_to(AGENT_CHAT) if t.startswith("🎫")]
    assert sorted(told) == sorted(set(told)) and len(told) == 3
    assert all(any(t["number"] in m for m in told) for t in made)


def test_a_notice_that_keeps_failing_becomes_dead_and_an_admin_can_retry_it(
    tg: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tg.fake.failing = True
    tg.say(CUSTOMER, "hello?")
    for _ in range(3):  # telegram_max_attempts=3
        tg.deliver()
        tg.clock.advance(10 * 60)
    dead = tg.client.get(f"{API}/notices", params={"status": "dead"}, headers=ADMIN).json()
    assert dead["total"] == 1 and dead["items"][0]["attempts"] == 3
    tg.fake.failing = False
    notice_id = dead["items"][0]["id"]
    retried = tg.client.post(f"{API}/notices/{notice_id}/retry", headers=ADMIN)
    assert retried.json()["status"] == "pending"
    assert tg.client.post(f"{API}/notices/{notice_id}/retry", headers=ADMIN).status_code == 409
    tg.deliver()
    assert len(tg.fake.sent_to(CUSTOMER)) == 1
    listed = tg.client.get(f"{API}/notices", headers=ADMIN).text
    assert tg.fake.token not in listed and tg.fake.token not in caplog.text
    assert SECRET not in caplog.text


def test_without_a_webhook_secret_the_webhook_is_off(database_url: str) -> None:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False)
    container = bootstrap(settings)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            answer = client.post(HOOK, json={"update_id": 1})
            assert answer.status_code == 503 and answer.json()["error"]["code"] == "not_configured"
            agent = make_agent(client, "Sari")
            state = client.get(f"{API}/agent/telegram", headers=bearer(agent["token"])).json()
            assert state == {"enabled": False, "linked": False}
            for path, token in ((f"{API}/agent/telegram-code", agent["token"]),
                                (f"{API}/agents/{agent['id']}/telegram-code", ADMIN_TOKEN)):
                refused = client.post(path, headers=bearer(token))
                assert refused.status_code == 503, refused.text
                assert refused.json()["error"]["code"] == "not_configured"
    finally:
        container.close()


def test_a_deactivated_agents_chat_speaks_for_nobody(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    tg.link(agent["id"])
    assert tg.client.delete(f"{API}/agents/{agent['id']}", headers=ADMIN).status_code == 204
    tg.say(AGENT_CHAT, "/online")
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[-1] == (
        "👋 Hello! Write your question and we will open a ticket for you.")
    assert tickets(tg.client) == []
    got = tg.client.get(f"{API}/agents/{agent['id']}", headers=ADMIN).json()
    assert got["presence"] == "offline"


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20), _nested,
                    max_leaves=12)
UPDATE_KEYS = st.sampled_from(["message", "callback_query", "edited_message", "update_id"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(UPDATE_KEYS, JSON, max_size=3), update_id=st.integers())
def test_no_update_however_strange_makes_the_webhook_fail(
    tg: Bot, body: dict[str, Any], update_id: int
) -> None:
    answer = tg.update({**body, "update_id": update_id})
    assert answer.status_code in (200, 422), answer.text


def test_a_message_for_a_deactivated_queue_still_becomes_a_ticket(tg: Bot) -> None:
    """A desk that switches the bot's queue off loses no customer: `default` takes them."""
    tg.container.settings.telegram_queue = "sales"
    tg.say(CUSTOMER, "Is anyone there?")  # no such queue yet
    tg.client.post(f"{API}/queues", json={"name": "sales"}, headers=ADMIN)
    tg.say(CUSTOMER + 1, "Price list please")
    assert tg.client.patch(f"{API}/queues/sales", json={"active": False},
                           headers=ADMIN).status_code == 200
    tg.say(CUSTOMER + 2, "Hello?")
    assert [(t["title"], t["queue"]) for t in tickets(tg.client)] == [
        ("Is anyone there?", "default"), ("Price list please", "sales"), ("Hello?", "default")]


def test_a_customer_hears_once_in_their_language_that_the_ticket_is_resolved(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    online(tg.client, agent)
    tg.say(CUSTOMER, "Paket saya belum sampai", language_code="id")
    tg.say(CUSTOMER + 1, "Wrong invoice")
    first, other = tickets(tg.client)
    me = bearer(agent["token"])
    assert tg.client.post(f"{API}/tickets/{first['id']}/accept", headers=me).status_code == 200
    assert tg.client.post(f"{API}/tickets/{first['id']}/complete", headers=me).status_code == 200
    assert tg.client.post(f"{API}/tickets/{first['id']}/complete", headers=me).status_code == 409
    # A cancelled ticket was not resolved: its customer is not told it was.
    assert tg.client.post(f"{API}/tickets/{other['id']}/cancel", headers=ADMIN).status_code == 200
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER) == [
        f"✅ Terima kasih! Tiket Anda {first['number']} sudah dibuat. Agen kami akan segera "
        "membalas di sini.",
        f"🏁 Tiket Anda {first['number']} telah diselesaikan. Silakan tulis lagi kapan saja "
        "untuk membuka tiket baru."]
    assert len(tg.fake.sent_to(CUSTOMER + 1)) == 1  # the acknowledgement only

    tg.say(CUSTOMER, "One more question")  # a later message opens a new ticket, in English now
    newest = tickets(tg.client)[-1]
    assert newest["id"] != first["id"] and newest["title"] == "One more question"
    assert tg.client.post(f"{API}/tickets/{newest['id']}/accept", headers=me).status_code == 200
    assert tg.client.post(f"{API}/tickets/{newest['id']}/complete",
                          headers=ADMIN).status_code == 200
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER)[2:] == [
        f"✅ Thank you! Your ticket {newest['number']} is open. An agent will reply here soon.",
        f"🏁 Your ticket {newest['number']} has been resolved. Write again any time to open a "
        "new one."]
