"""Every change names its person (issue 22, item 5): a change made by a named user through
the service layer shows in GET /audit, GET /history, a ticket's history, the CSV exports and
the webhook bodies with `by` {user_id, name, via, token} beside the unchanged `actor` key; the
admin token, an agent's token and giliran itself are named too. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

from giliran.bootstrap import Container
from giliran.domain.people import Role, Via
from giliran.service.context import Principal
from giliran.service.queues.admin import QueueChanges, update_queue
from giliran.service.tickets.manual import reassign
from tests.integration import test_webhooks
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket
from tests.integration.test_webhooks import deliver, register
from tests.support.receiver import Receiver

API = "/api/v1"
container = test_webhooks.container  # the same, with webhooks allowed to reach loopback
SARI = Principal(Role.SUPERVISOR, user_id=3, name="Sari Wulandari", via=Via.SESSION, session_id=9)
CI_BOT = Principal(Role.ADMIN, user_id=4, name="Dewi", via=Via.TOKEN, token_name="ci-bot")
BY_SARI = {"user_id": 3, "name": "Sari Wulandari", "via": "session", "token": None}
BY_CI_BOT = {"user_id": 4, "name": "Dewi", "via": "token", "token": "ci-bot"}
BY_ADMIN = {"user_id": None, "name": "admin token", "via": "admin_token", "token": None}
BY_GILIRAN = {"user_id": None, "name": "giliran", "via": "system", "token": None}


def get(client: TestClient, path: str, **params: Any) -> Any:
    r = client.get(f"{API}{path}", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()


def rows(client: TestClient, path: str, **params: Any) -> list[dict[str, str]]:
    r = client.get(f"{API}{path}", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def test_a_supervisors_reassignment_names_them_in_the_ticket_history(
    client: TestClient, container: Container
) -> None:
    a, b = make_agent(client, "Ayu"), make_agent(client, "Budi")
    online(client, a)
    ticket = post_ticket(client, "lead")  # the admin token creates it; giliran gives it to A
    reassign(container.ctx, SARI, ticket["id"], b["id"])
    r = client.post(f"{API}/tickets/{ticket['id']}/accept", headers=bearer(b["token"]))
    assert r.status_code == 200, r.text

    with container.ctx.uow(write=False) as uow:  # an agent is a user too (0024)
        budi = uow.users.by_agent(b["id"])
    assert budi is not None
    history = get(client, f"/tickets/{ticket['id']}/history")
    moves = [(h["event"], h["actor"], h["by"]) for h in history]
    assert moves == [
        ("created", "admin", BY_ADMIN),
        ("assigned", "system", BY_GILIRAN),
        ("unassigned", "user:3", BY_SARI),
        ("assigned", "user:3", BY_SARI),
        ("accepted", f"agent:{b['id']}",
         {"user_id": budi.id, "name": "Budi", "via": "agent_token", "token": None}),
    ]
    listed = get(client, "/history", ticket_id=ticket["id"])["items"]
    assert [(h["actor"], h["by"]) for h in listed] == [(m[1], m[2]) for m in moves]
    exported = rows(client, "/history.csv", ticket_id=ticket["id"])
    assert [(r["actor"], r["actor_name"], r["actor_via"]) for r in exported][2] == (
        "user:3", "Sari Wulandari", "session")


def test_the_audit_names_who_changed_a_queue_and_finds_a_users_changes(
    client: TestClient, container: Container
) -> None:
    update_queue(container.ctx, CI_BOT, "default", QueueChanges(max_wait_seconds=600))
    a = make_agent(client, "Ayu")
    update_queue(container.ctx, SARI, "default", QueueChanges(), next_agent_id=a["id"])

    newest = get(client, "/audit")["items"]
    assert [(e["action"], e["actor"], e["by"]) for e in newest] == [
        ("pointer", "user:3", BY_SARI),
        ("created", "admin", BY_ADMIN),
        ("changed", "user:4", BY_CI_BOT),
    ]
    (hers,) = get(client, "/audit", user_id=3)["items"]
    assert (hers["action"], hers["by"]) == ("pointer", BY_SARI)
    assert get(client, "/audit", actor="admin")["total"] == 1, "the key filter as before"
    assert get(client, "/audit", user_id=99)["total"] == 0
    assert client.get(f"{API}/audit", params={"user_id": 0}, headers=ADMIN).status_code == 422
    exported = rows(client, "/audit.csv")
    assert [(r["actor"], r["actor_name"], r["actor_via"]) for r in exported] == [
        ("user:3", "Sari Wulandari", "session"), ("admin", "admin token", "admin_token"),
        ("user:4", "Dewi", "token")]


def test_a_webhook_body_says_who_moved_the_ticket(
    client: TestClient, container: Container
) -> None:
    with Receiver() as receiver:
        register(client, receiver.url, events=["ticket.assigned"])
        a, b = make_agent(client, "Ayu"), make_agent(client, "Budi")
        online(client, a)
        ticket = post_ticket(client, "lead")
        reassign(container.ctx, CI_BOT, ticket["id"], b["id"])
        assert deliver(container) == 2
        bodies = sorted((json.loads(got.body) for got in receiver.received),
                        key=lambda body: body["id"])  # delivered side by side
    assert [(body["actor"], body["by"]) for body in bodies] == [
        ("system", BY_GILIRAN), ("user:4", BY_CI_BOT)]
    assert bodies[1]["to_agent_id"] == b["id"]


def test_a_webhook_body_says_who_changed_a_queue_or_an_agent(
    client: TestClient, container: Container
) -> None:
    """Changes of configuration reach integrations with their person too; giliran's own
    changes of an agent (a miss, a pause) name nobody."""
    with Receiver() as receiver:
        register(client, receiver.url, events=["queue.changed", "agent.changed"])
        update_queue(container.ctx, CI_BOT, "default", QueueChanges(max_wait_seconds=600))
        a = make_agent(client, "Ayu")
        assert deliver(container) == 2
        bodies = sorted((json.loads(got.body) for got in receiver.received),
                        key=lambda body: body["id"])
    assert [(body["type"], body.get("by")) for body in bodies] == [
        ("queue.changed", BY_CI_BOT), ("agent.changed", BY_ADMIN)]
    assert bodies[1]["agent"]["id"] == a["id"]
