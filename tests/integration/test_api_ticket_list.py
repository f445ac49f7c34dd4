"""The supervisor's ticket list through the HTTP API on SQLite and PostgreSQL: search, filters,
sorting, paging and the total; and on a floor of 5,000 tickets, each page in one statement
and one more for the places of its queued tickets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, insert

from giliran.adapters.clock import FakeClock
from giliran.adapters.sql import tables as t
from giliran.bootstrap import Container
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def listed(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get(f"{API}/tickets", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def numbers(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


def add_customer(container: Container, ticket_id: int, channel: str, address: str,
                 name: str) -> None:
    key = f"{channel}:{address}"
    with container.db.engine.begin() as conn:
        conn.execute(insert(t.customers).values(key=key, channel=channel, address=address,
                                                name=name))
        conn.execute(t.tickets.update().where(t.tickets.c.id == ticket_id).values(contact=key))


def test_search_finds_a_ticket_by_number_title_customer_and_external_id(
    client: TestClient, container: Container,
) -> None:
    printer = post_ticket(client, "Printer jams", external_id="CRM-4711")
    login = post_ticket(client, "Cannot log in")
    post_ticket(client, "100% wrong_total")
    add_customer(container, login["id"], "whatsapp", "6281234567890", "Siti Rahayu")
    assert numbers(listed(client, q=printer["number"])) == ["Printer jams"]
    assert numbers(listed(client, q=str(login["id"]))) == ["Cannot log in"]
    assert numbers(listed(client, q="printer")) == ["Printer jams"]
    assert numbers(listed(client, q="crm-47")) == ["Printer jams"]
    assert numbers(listed(client, q="siti")) == ["Cannot log in"]
    assert numbers(listed(client, q="62812")) == ["Cannot log in"]
    for typed in ("+62 812-3456-7890", "0812 3456 7890", "+62 (812) 3456.7890"):
        assert numbers(listed(client, q=typed)) == ["Cannot log in"], "as a phone shows it"
    assert numbers(listed(client, q="100%")) == ["100% wrong_total"], "% is no wildcard"
    assert numbers(listed(client, q="_")) == ["100% wrong_total"], "_ is no wildcard"
    found = listed(client, q="siti")["items"][0]
    assert (found["customer"], found["channel"]) == ("Siti Rahayu", "whatsapp")
    assert listed(client, q="nobody")["total"] == 0


def test_filters_sorting_paging_and_the_total(
    client: TestClient, container: Container, clock: FakeClock,
) -> None:
    assert client.post(f"{API}/queues", json={"name": "sales"}, headers=ADMIN).status_code == 201
    sari = make_agent(client, "Sari", max_tickets=1)
    online(client, sari)
    held = post_ticket(client, "held")  # assigned to Sari at once
    clock.advance(600)
    old = post_ticket(client, "old low", priority="low")
    clock.advance(300)
    urgent = post_ticket(client, "urgent sale", priority="urgent", queue="sales")
    post_ticket(client, "new high", priority="high")
    done = post_ticket(client, "cancelled")
    client.post(f"{API}/tickets/{done['id']}/cancel", headers=ADMIN)
    add_customer(container, urgent["id"], "telegram", "42", "Budi")

    assert listed(client)["total"] == 5
    assert numbers(listed(client, open="true", sort="queue_order")) == [
        "urgent sale", "new high", "held", "old low"], "queue order: priority, then arrival"
    assert numbers(listed(client, queue="sales")) == ["urgent sale"]
    assert numbers(listed(client, status="assigned")) == ["held"]
    assert numbers(listed(client, priority="low")) == ["old low"]
    assert numbers(listed(client, agent_id=sari["id"])) == ["held"]
    assert listed(client, agent_id=sari["id"])["items"][0]["agent_name"] == "Sari"
    assert numbers(listed(client, channel="telegram")) == ["urgent sale"]
    assert listed(client, channel="api")["total"] == 4
    assert numbers(listed(client, waiting_longer_than=200)) == ["old low"]
    assert numbers(listed(client, flagged="true")) == ["urgent sale"], (
        "nobody serves sales: flagged unreachable")

    assert numbers(listed(client, sort="number", order="desc"))[:2] == ["cancelled", "new high"]
    assert numbers(listed(client, sort="title")) == [
        "cancelled", "held", "new high", "old low", "urgent sale"]
    assert numbers(listed(client, sort="priority", order="desc", open="true")) == [
        "urgent sale", "new high", "held", "old low"]
    assert numbers(listed(client, sort="agent", open="true"))[0] == "held"

    first = listed(client, sort="number", limit=2)
    second = listed(client, sort="number", limit=2, offset=2)
    beyond = listed(client, sort="number", limit=2, offset=10)
    assert (first["total"], second["total"], beyond["total"]) == (5, 5, 5)
    assert numbers(first) + numbers(second) == [
        "held", "old low", "urgent sale", "new high"]
    assert beyond["items"] == []
    assert old["status"] == "queued" and held["status"] == "assigned"


def test_the_list_is_for_supervisors_and_refuses_what_it_cannot_read(
    client: TestClient,
) -> None:
    agent = make_agent(client, "a")
    assert client.get(f"{API}/tickets", headers=bearer(agent["token"])).status_code == 403
    for bad in ({"sort": "colour"}, {"order": "up"}, {"limit": 501}, {"channel": "Web!"},
                {"priority": "asap"}, {"waiting_longer_than": -1}, {"q": "x" * 101}):
        r = client.get(f"{API}/tickets", params=bad, headers=ADMIN)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request"), bad


FLOOR = 5000


@contextmanager
def statements(container: Container) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    event.listen(container.db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(container.db.engine, "before_cursor_execute", count)


def fill_floor(container: Container, clock: FakeClock, size: int = FLOOR) -> None:
    """`size` tickets in one bulk insert, a fifth of them with a named customer."""
    now = clock.now()
    rows = [{
        "title": f"ticket {i}", "queue": "default", "priority": i % 4, "status": "queued",
        "assigned_seq": 0, "created_at": now - timedelta(seconds=size - i),
        "queued_at": now - timedelta(seconds=size - i), "escalations": 0, "missed_by": [],
        "auto_dispatch": True, "queue_order": 0, "contact": f"whatsapp:62{i:08d}" if i % 5 == 0
        else None,
    } for i in range(size)]
    customers = [{"key": f"whatsapp:62{i:08d}", "channel": "whatsapp", "address": f"62{i:08d}",
                  "name": f"Customer {i}"} for i in range(0, size, 5)]
    with container.db.engine.begin() as conn:
        conn.execute(insert(t.tickets), rows)
        conn.execute(insert(t.customers), customers)


def test_a_floor_of_5000_tickets_is_one_statement_per_page_and_two_for_the_places(
    client: TestClient, container: Container, clock: FakeClock,
) -> None:
    """Every ticket is queued: ticket i (from 0) has priority i % 4, so its place is the
    1,250 of each higher priority, then its rank among its own."""
    fill_floor(container, clock)
    listed(client, limit=1)  # warm: the admin check and the statement caches
    for params in ({"limit": 50}, {"limit": 50, "offset": 4900},
                   {"limit": 50, "offset": 900, "sort": "waiting", "q": "customer"},
                   {"limit": 25, "offset": 975, "open": "true", "sort": "agent",
                    "order": "desc", "channel": "whatsapp"},
                   {"limit": 50, "offset": 2400, "status": "queued"}):
        with statements(container) as seen:
            page = listed(client, **params)
        # Besides the request, only the event stream's poller reads (the events table). The
        # request: the page, the names of the queues that line up by SLA due time
        # (waiting_order sla_due), the places, and, where the page is whole runs of a queue's
        # line, that queue's settings (its order): three or four, whatever the floor's size.
        request = [s for s in seen if "FROM events" not in s
                   and s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
        assert len(request) == (4 if params.get("status") == "queued" else 3), (
            params, [s[:90] for s in request])
        assert page["total"] in (FLOOR, FLOOR // 5) and len(page["items"]) == params["limit"]
        for item in page["items"]:
            i = int(item["title"].removeprefix("ticket "))
            assert item["queue_position"] == (3 - i % 4) * FLOOR // 4 + i // 4 + 1, params
    assert listed(client, q="Customer 4995")["items"][0]["customer"] == "Customer 4995"


def test_every_queued_ticket_of_the_list_is_told_its_place_in_its_queue(
    client: TestClient,
) -> None:
    """The list says what GET /tickets/{id} says, on any page, filter and sort: queued tickets
    have their place in their own queue, the others none."""
    assert client.post(f"{API}/queues", json={"name": "sales"}, headers=ADMIN).status_code == 201
    sari = make_agent(client, "Sari", max_tickets=1)
    online(client, sari)
    post_ticket(client, "held")  # assigned to Sari at once
    for i in range(12):
        post_ticket(client, f"t{i}", priority=("low", "normal", "high")[i % 3],
                    queue=("default", "sales")[i % 2 and i > 4])
    front = post_ticket(client, "moved to the front")
    assert client.post(f"{API}/tickets/{front['id']}/front", headers=ADMIN).status_code == 200
    done = post_ticket(client, "cancelled")
    client.post(f"{API}/tickets/{done['id']}/cancel", headers=ADMIN)

    for params in ({}, {"status": "queued"}, {"status": "queued", "limit": 4, "offset": 3},
                   {"open": "true", "sort": "queue_order", "limit": 5, "offset": 2},
                   {"sort": "queue_order", "order": "desc"}, {"queue": "sales", "limit": 2},
                   {"q": "t1"}, {"priority": "high", "sort": "title"}):
        for item in listed(client, **params)["items"]:
            single = client.get(f"{API}/tickets/{item['id']}", headers=ADMIN).json()
            assert item["queue_position"] == single["queue_position"], (params, item["title"])
            assert (item["queue_position"] is None) == (item["status"] != "queued")
    places = {i["title"]: i["queue_position"] for i in listed(client, status="queued")["items"]}
    assert places["moved to the front"] == 1 and places["t2"] == 2
