"""Canned replies on SQLite and PostgreSQL: supervisors keep them for their queues, agents
read their queues' and the global ones, a ticket offers them filled in, every change is in
the audit log with who made it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_auth_matrix import PASSWORD, sign_in
from tests.support.desks import API, CUSTOMER, Bot

REPLIES = f"{API}/canned-replies"


def supervisor(client: TestClient, email: str, queues: list[str]) -> dict[str, str]:
    r = client.post(f"{API}/users", headers=ADMIN, json={
        "email": email, "name": email.split("@")[0].title(), "role": "supervisor",
        "password": PASSWORD, "queues": queues})
    assert r.status_code == 201, r.text
    secret, csrf = sign_in(client, email)
    return {"Cookie": f"giliran_session={secret}", "X-CSRF-Token": csrf}


def make(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post(REPLIES, json=body, headers=headers)


def code(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def names(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    r = client.get(REPLIES, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()["items"]]


def test_supervisors_keep_their_queues_replies_and_agents_read_theirs(
    client: TestClient,
) -> None:
    assert client.post(f"{API}/queues", json={"name": "sales"}, headers=ADMIN).status_code == 201
    sales = supervisor(client, "sales.lead@example.com", ["sales"])
    r = make(client, sales, name="Price", text="Rp {price}, {agent_name}", queue="sales",
             language="id")
    assert r.status_code == 201, r.text
    price = r.json()
    assert {k: price[k] for k in ("name", "text", "queue", "language")} == {
        "name": "Price", "text": "Rp {price}, {agent_name}", "queue": "sales", "language": "id"}
    # Scoped to sales: not for every queue, not for another queue.
    assert code(make(client, sales, name="Hi", text="Hi")) == (403, "not_your_queue")
    assert code(make(client, sales, name="Hi", text="Hi", queue="default")) == (
        403, "not_your_queue")
    greet = make(client, ADMIN, name="Greeting", text="Halo {customer_name}").json()
    refund = make(client, ADMIN, name="Refund", text="Refunds take 3 days",
                  queue="default", language="en").json()
    for bad in ({"name": "", "text": "t"}, {"name": "n" * 101, "text": "t"},
                {"name": "n", "text": ""}, {"name": "n", "text": "t" * 4097},
                {"name": "n", "text": "t", "language": "fr"}, {"name": "n"},
                {"name": "n", "text": "t", "queue": "nowhere"}, {"name": "n", "text": "t",
                                                                 "extra": 1}):
        assert make(client, ADMIN, **bad).status_code == 422, bad
    # Who reads what.
    agent = make_agent(client, "Sari")  # in the default queue
    sari = bearer(agent["token"])
    assert names(client, sari) == ["Greeting", "Refund"]
    assert names(client, sales) == ["Greeting", "Price"]
    assert names(client, ADMIN) == ["Greeting", "Price", "Refund"]
    assert names(client, ADMIN, queue="sales") == ["Greeting", "Price"]
    assert names(client, ADMIN, language="en") == ["Greeting", "Refund"]
    assert code(client.get(REPLIES, params={"queue": "sales"}, headers=sari)) == (
        403, "not_your_queue")
    assert code(client.get(f"{REPLIES}/{price['id']}", headers=sari)) == (403, "not_your_queue")
    assert client.get(f"{REPLIES}/{refund['id']}", headers=sari).json() == refund
    assert code(make(client, sari, name="Mine", text="t")) == (403, "forbidden")
    assert code(client.delete(f"{REPLIES}/{greet['id']}", headers=sari)) == (403, "forbidden")
    assert code(client.patch(f"{REPLIES}/{refund['id']}", json={"text": "x"},
                             headers=sales)) == (403, "not_your_queue")


def test_changing_and_removing_a_reply_is_audited_with_who(client: TestClient) -> None:
    reply = make(client, ADMIN, name="Hours", text="We open at 8", queue="default").json()
    path = f"{REPLIES}/{reply['id']}"
    r = client.patch(path, json={"text": "We open at 9", "language": "en"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert (r.json()["text"], r.json()["language"], r.json()["queue"]) == (
        "We open at 9", "en", "default")
    r = client.patch(path, json={"queue": None}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["queue"] is None
    assert client.patch(path, json={"name": None}, headers=ADMIN).status_code == 422
    assert client.patch(path, json={"name": ""}, headers=ADMIN).status_code == 422
    assert client.patch(path, json={"queue": "nowhere"}, headers=ADMIN).status_code == 422
    assert client.delete(path, headers=ADMIN).status_code == 204
    assert code(client.get(path, headers=ADMIN)) == (404, "not_found")
    assert code(client.delete(path, headers=ADMIN)) == (404, "not_found")
    audit = client.get(f"{API}/audit", params={"kind": "canned_reply"}, headers=ADMIN).json()
    lines = [(e["action"], e["by"]["name"], e["before"], e["after"])
             for e in reversed(audit["items"])]
    assert lines == [
        ("created", "admin token", None, {"name": "Hours", "text": "We open at 8",
                                          "queue": "default", "language": None}),
        ("changed", "admin token", {"text": "We open at 8", "language": None},
         {"text": "We open at 9", "language": "en"}),
        ("changed", "admin token", {"queue": "default"}, {"queue": None}),
        ("deleted", "admin token", {"name": "Hours", "text": "We open at 9", "queue": None,
                                    "language": "en"}, None),
    ]


def test_a_ticket_offers_its_replies_filled_in_its_customers_language_first(tg: Bot) -> None:
    client = tg.client
    assert client.post(f"{API}/queues", json={"name": "sales"}, headers=ADMIN).status_code == 201
    for name, queue, language in (("any", None, None), ("english", None, "en"),
                                  ("indonesian", "default", "id"), ("sales", "sales", None)):
        r = make(client, ADMIN, name=name, queue=queue, language=language,
                 text="Halo {customer_name}, {ticket_number} - {agent_name} {order_id}")
        assert r.status_code == 201, r.text
    agent = make_agent(client, "Sari")
    online(client, agent)
    tg.say(CUSTOMER, "Pesanan saya?", language_code="id")
    (ticket,) = client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    r = client.get(f"{API}/tickets/{ticket['id']}/canned-replies", headers=bearer(agent["token"]))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [x["name"] for x in items] == ["indonesian", "any", "english"]
    assert {x["text"] for x in items} == {
        f"Halo Budi, {ticket['number']} - Sari {{order_id}}"}
    stranger = make_agent(client, "Budi")
    r = client.get(f"{API}/tickets/{ticket['id']}/canned-replies",
                   headers=bearer(stranger["token"]))
    assert code(r) == (403, "not_your_ticket")
