"""What meets a response target, on SQLite and PostgreSQL with the fake Telegram: an agent's
reply from its own Telegram chat and a reply from the dashboard do; giliran's acknowledgement
to the customer, an internal note and a customer's automatic mail (an auto-reply the email
intake takes in as a system message) do not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from giliran.domain.conversation import Kind
from giliran.service.conversations.channels import Incoming, receive
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_telegram import tickets
from tests.support.desks import AGENT_CHAT, API, CUSTOMER, Bot


def states(tg: Bot, ticket_id: int) -> dict[str, str]:
    ticket = tg.client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN).json()
    return {m["target"]: m["state"] for m in ticket["sla"]["targets"]}


def test_only_a_persons_reply_to_the_customer_meets_a_response_target(tg: Bot) -> None:
    r = tg.client.post(f"{API}/sla-policies", headers=ADMIN, json={
        "name": "Replies", "targets": {"first_response_seconds": 600,
                                       "next_response_seconds": 600}})
    assert r.status_code == 201, r.text
    agent = make_agent(tg.client, "Sari")
    tg.link(agent["id"])
    online(tg.client, agent)
    tg.deliver()
    tg.say(CUSTOMER, "My order never arrived")
    tg.deliver()  # the acknowledgement ("ticket opened") goes out: giliran's, not a response
    (ticket,) = tickets(tg.client)
    key = ticket["id"]
    assert states(tg, key) == {"first_response": "active"}
    r = tg.client.post(f"{API}/tickets/{key}/notes", json={"text": "Check the courier"},
                       headers=bearer(agent["token"]))
    assert r.status_code == 201, r.text
    assert states(tg, key) == {"first_response": "active"}, "a note is no response"
    tg.say(AGENT_CHAT, "We are on it", reply_to=tg.fake.last_message_id(AGENT_CHAT))
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER)[-1] == "We are on it"
    assert states(tg, key) == {"first_response": "met"}, "the agent's chat reply"
    tg.clock.advance(5)
    tg.say(CUSTOMER, "Any news?")
    assert states(tg, key) == {"first_response": "met", "next_response": "active"}
    r = tg.client.post(f"{API}/tickets/{key}/messages", json={"text": "Tomorrow"},
                       headers=bearer(agent["token"]))
    assert r.status_code == 201, r.text
    assert states(tg, key) == {"first_response": "met", "next_response": "met"}


def test_a_customers_automatic_message_starts_no_next_response_clock(tg: Bot) -> None:
    r = tg.client.post(f"{API}/sla-policies", headers=ADMIN, json={
        "name": "Replies", "targets": {"first_response_seconds": 600,
                                       "next_response_seconds": 600}})
    assert r.status_code == 201, r.text
    agent = make_agent(tg.client, "Sari")
    online(tg.client, agent)
    tg.say(CUSTOMER, "Hello")
    (ticket,) = tickets(tg.client)
    r = tg.client.post(f"{API}/tickets/{ticket['id']}/messages", json={"text": "Hi!"},
                       headers=bearer(agent["token"]))
    assert r.status_code == 201, r.text
    current: Any = tg.client.get(f"{API}/tickets/{ticket['id']}", headers=ADMIN).json()
    # What the email intake does with an out-of-office answer to a reply (intake.take_in).
    now = tg.clock.now()
    receive(tg.container.ctx, Incoming(
        channel="telegram", queue="default", contact=str(CUSTOMER), sender="Budi",
        message_id="auto-1", text="I am away until Monday", at=now + timedelta(seconds=1),
        kind=Kind.SYSTEM, thread=current["id"]))
    said = tg.client.get(f"{API}/tickets/{ticket['id']}/messages", headers=ADMIN).json()
    assert "I am away until Monday" in str(said["items"][-1]), "it joined the ticket"
    assert states(tg, ticket["id"]) == {"first_response": "met"}
    tg.say(CUSTOMER, "Still there?")  # a real message does start it
    assert states(tg, ticket["id"]) == {"first_response": "met", "next_response": "active"}
