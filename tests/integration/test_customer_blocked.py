"""A Telegram customer who blocks the bot, on SQLite and PostgreSQL, against the fake Bot API
server (which answers them 403 "Forbidden: bot was blocked by the user", as Telegram does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.support.desks import AGENT_CHAT, API, CUSTOMER, Bot


def customer_of(tg: Bot, ticket_id: int) -> dict[str, Any]:
    r = tg.client.get(f"{API}/tickets/{ticket_id}/customer", headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def conversation(tg: Bot, ticket_id: int) -> list[dict[str, Any]]:
    r = tg.client.get(f"{API}/tickets/{ticket_id}/messages", headers=ADMIN)
    return list(r.json()["items"])


def test_a_customer_who_blocked_the_bot_is_marked_and_refused_until_they_write(
    tg: Bot,
) -> None:
    tg.say(CUSTOMER, "Paket saya belum sampai", language_code="id")
    (ticket,) = tg.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    tg.deliver()  # the customer hears the ticket's number
    assert customer_of(tg, ticket["id"])["blocked_at"] is None

    tg.fake.blocked.add(str(CUSTOMER))
    assert tg.client.post(f"{API}/tickets/{ticket['id']}/messages", json={"text": "Halo"},
                          headers=ADMIN).status_code == 201
    tg.deliver()
    failed = conversation(tg, ticket["id"])[-1]
    assert (failed["state"], failed["error"]) == (
        "failed", "Forbidden: bot was blocked by the user")
    blocked_at = datetime.fromisoformat(customer_of(tg, ticket["id"])["blocked_at"])
    assert blocked_at == tg.clock.now()

    # A new reply is refused at once, and nothing is stored or queued for it.
    tg.clock.advance(60)
    refused = tg.client.post(f"{API}/tickets/{ticket['id']}/messages",
                             json={"text": "Halo lagi"}, headers=ADMIN)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "customer_blocked"
    assert len(conversation(tg, ticket["id"])) == 3
    assert tg.deliver() == 0

    # They unblock the bot and write: the mark is gone, and replies reach them again.
    tg.fake.blocked.discard(str(CUSTOMER))
    tg.say(CUSTOMER, "Sudah saya buka blokirnya", language_code="id")
    assert customer_of(tg, ticket["id"])["blocked_at"] is None
    assert tg.client.post(f"{API}/tickets/{ticket['id']}/messages", json={"text": "Siap"},
                          headers=ADMIN).status_code == 201
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER)[-1] == "Siap"


def test_an_agent_answering_from_its_chat_is_told_the_customer_blocked_the_bot(
    tg: Bot,
) -> None:
    agent = make_agent(tg.client, "Sari", language="id")
    tg.link(agent["id"])
    online(tg.client, agent)
    tg.say(CUSTOMER, "Halo")
    (ticket,) = tg.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    tg.fake.blocked.add(str(CUSTOMER))
    tg.deliver()  # the acknowledgement meets the block
    assert customer_of(tg, ticket["id"])["blocked_at"] is not None
    refused = tg.client.post(f"{API}/tickets/{ticket['id']}/messages", json={"text": "x"},
                             headers=bearer(agent["token"]))
    assert refused.json()["error"]["code"] == "customer_blocked"
    tg.say(AGENT_CHAT, f"/reply {ticket['number']} Halo, ada yang bisa dibantu?")
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[-1] == (
        "⛔ Tidak terkirim: pelanggan telah memblokir bot. Pelanggan bisa dibalas lagi setelah "
        "mereka menulis.")
