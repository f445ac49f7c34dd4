"""The audit trail, the desk's statistics, the orphan check and the supervisor's workload
figures, through the HTTP API on SQLite and PostgreSQL with a fake clock."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.service.assignment.timers import rescue_orphans
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def get(client: TestClient, path: str, **params: Any) -> Any:
    r = client.get(f"{API}{path}", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()


def test_history_answers_who_had_which_ticket_when_and_why(
    client: TestClient, clock: FakeClock
) -> None:
    start = clock.now()
    a, b = make_agent(client, "A", max_tickets=1), make_agent(client, "B", max_tickets=1)
    online(client, a)
    first = post_ticket(client, "first")  # A
    clock.advance(3600)
    online(client, b)
    second = post_ticket(client, "second")  # B
    client.post(f"{API}/tickets/{first['id']}/accept", headers=bearer(a["token"]))
    client.post(f"{API}/tickets/{first['id']}/complete", headers=bearer(a["token"]))

    everything = get(client, "/history", limit=1000)
    assert everything["total"] == 6  # 2 x created, 2 x assigned, 1 x accepted, 1 x completed
    ids = [h["id"] for h in everything["items"]]
    assert ids == sorted(ids), "history comes in the order it was written"
    of_a = get(client, "/history", agent_id=a["id"])["items"]
    assert {(h["event"], h["ticket_id"]) for h in of_a} == {
        ("assigned", first["id"]), ("accepted", first["id"]), ("completed", first["id"])}
    of_second = get(client, "/history", ticket_id=second["id"])["items"]
    assert [h["event"] for h in of_second] == ["created", "assigned"]
    later = get(client, "/history", **{"from": (start + timedelta(minutes=30)).isoformat()})
    assert {h["ticket_id"] for h in later["items"]} == {second["id"], first["id"]}
    earlier = get(client, "/history", to=(start + timedelta(minutes=30)).isoformat())
    assert {h["ticket_id"] for h in earlier["items"]} == {first["id"]}
    completed = get(client, "/history", reason="completed")
    assert [h["ticket_id"] for h in completed["items"]] == [first["id"]]
    page = get(client, "/history", limit=2, offset=2)
    assert [h["id"] for h in page["items"]] == ids[2:4] and page["total"] == len(ids)

    for bad in ({"reason": "whim"}, {"agent_id": 0}, {"limit": 0}, {"from": "yesterday"},
                {"from": start.isoformat(), "to": (start - timedelta(1)).isoformat()}):
        r = client.get(f"{API}/history", params=bad, headers=ADMIN)
        assert r.status_code == 422, (bad, r.text)


def test_every_history_entry_names_its_ticket_number_wherever_it_is_read(
    client: TestClient, clock: FakeClock
) -> None:
    """A ticket's own history (the supervisor's History dialog), the history across tickets and
    its CSV all say which ticket by its number, including tickets of earlier days."""
    online(client, make_agent(client, "A"))
    yesterday = post_ticket(client, "yesterday")
    clock.advance(86400)
    today = post_ticket(client, "today")
    assert yesterday["number"][:11] != today["number"][:11], "numbers carry their day"
    for ticket in (yesterday, today):
        own = get(client, f"/tickets/{ticket['id']}/history")
        assert [h["ticket_number"] for h in own] == [ticket["number"]] * 2
        across = get(client, "/history", ticket_id=ticket["id"])["items"]
        assert [h["ticket_number"] for h in across] == [ticket["number"]] * 2
        exported = client.get(f"{API}/history.csv", params={"ticket_id": ticket["id"]},
                              headers=ADMIN).text
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert [row["ticket_number"] for row in rows] == [ticket["number"]] * 2


def test_history_exports_as_csv_with_ticket_numbers(client: TestClient) -> None:
    agent = make_agent(client, "A")
    online(client, agent)
    tickets = [post_ticket(client, f"t{i}") for i in range(3)]
    r = client.get(f"{API}/history.csv", headers=ADMIN)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == get(client, "/history")["total"] == 6
    assert {row["ticket_number"] for row in rows} == {t["number"] for t in tickets}
    assert rows[1]["event"] == "assigned" and rows[1]["to_agent_id"] == str(agent["id"])
    only = client.get(f"{API}/history.csv", params={"ticket_id": tickets[0]["id"]},
                      headers=ADMIN)
    assert len(list(csv.DictReader(io.StringIO(only.text)))) == 2
    refused = client.get(f"{API}/history.csv", headers=bearer(agent["token"]))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_stats_report_assignment_time_waits_and_utilization(
    client: TestClient, clock: FakeClock
) -> None:
    start = clock.now()
    agent = make_agent(client, "A", max_tickets=2)
    first = post_ticket(client, "first")
    clock.advance(10)
    post_ticket(client, "second")
    clock.advance(50)
    online(client, agent)  # both assigned at start + 60: after 60 s and 50 s
    clock.advance(60)
    client.post(f"{API}/tickets/{first['id']}/complete", headers=bearer(agent["token"]))
    body = get(client, "/stats", **{"from": start.isoformat(),
                                   "to": (start + timedelta(seconds=120)).isoformat()})
    assert (body["created"], body["assigned"], body["completed"], body["escalations"]) == (
        2, 2, 0, 0)
    assert body["assignment_time"] == {"count": 2, "mean": 55.0, "median": 50.0, "p90": 60.0,
                                       "max": 60.0}
    assert body["queue_wait"]["count"] == 2 and body["queue_wait"]["max"] == 60.0
    # Online for the last 60 of the 120 seconds, holding both tickets of its two slots all that
    # time: fully utilized and fully loaded. The offline first minute counts neither way (over
    # the wall clock it read 0.5, which could not be held against a 70-90 % target).
    assert body["agent_utilization"] == {str(agent["id"]): 1.0}
    assert body["agent_load"] == {str(agent["id"]): 1.0}
    assert body["agents"][str(agent["id"])] == {"online_seconds": 60.0, "utilization": 1.0,
                                                "load": 1.0, "band": "above"}
    assert body["utilization_band"] == {"low": 0.7, "high": 0.9}
    assert (body["orphaned_tickets"], body["orphans_requeued"]) == (0, 0)
    assert set(body) >= {"from", "to"}
    bad = client.get(f"{API}/stats", params={"queue": "nope"}, headers=ADMIN)
    assert bad.status_code == 422


def test_an_orphaned_ticket_is_found_requeued_and_reported(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    a, b = make_agent(client, "A"), make_agent(client, "B")
    online(client, a)
    held = post_ticket(client, "held")
    # What the rules never do: a holder switched off behind giliran's back (a hand edit).
    with container.db.engine.begin() as conn:
        conn.execute(text("UPDATE agents SET active = :no WHERE id = :id"),
                     {"no": False, "id": a["id"]})
    assert get(client, "/stats")["orphaned_tickets"] == 1
    online(client, b)
    assert rescue_orphans(container.ctx) == 1
    now = get(client, f"/tickets/{held['id']}")
    assert now["assigned_agent_id"] == b["id"]
    clock.advance(1)  # the default period ends now, exclusive
    body = get(client, "/stats")
    assert (body["orphaned_tickets"], body["orphans_requeued"]) == (0, 1)
    reasons = [h["reason"] for h in get(client, f"/tickets/{held['id']}/history")]
    assert "orphaned" in reasons
    assert rescue_orphans(container.ctx) == 0


def test_workload_shows_each_agents_day_and_each_queues_oldest_wait(
    client: TestClient, clock: FakeClock
) -> None:
    a = make_agent(client, "A", max_tickets=2)
    online(client, a)
    done = post_ticket(client, "done")
    post_ticket(client, "open")
    client.post(f"{API}/tickets/{done['id']}/accept", headers=bearer(a["token"]))
    client.post(f"{API}/tickets/{done['id']}/complete", headers=bearer(a["token"]))
    clock.advance(5)
    waiting_since = clock.now()
    post_ticket(client, "wait 1")
    post_ticket(client, "wait 2")
    workload = get(client, "/workload")
    (row,) = workload["agents"]
    assert (row["assigned_today"], row["completed_today"], row["missed_today"]) == (3, 1, 0)
    assert (row["active_tickets"], row["max_tickets"], row["utilization"], row["full"]) == (
        2, 2, 1.0, True)
    (queue,) = workload["queues"]
    assert queue["pending"] == 1
    assert queue["oldest_waiting_since"].replace("Z", "+00:00").startswith(
        waiting_since.isoformat()[:19])


def test_deleting_an_agent_strands_nothing(client: TestClient) -> None:
    a, b = make_agent(client, "A"), make_agent(client, "B")
    online(client, a)
    held = post_ticket(client, "held")
    r = client.delete(f"{API}/agents/{a['id']}", headers=ADMIN)
    assert r.status_code == 204
    assert client.get(f"{API}/agent/me", headers=bearer(a["token"])).status_code == 401
    back = get(client, f"/tickets/{held['id']}")
    assert (back["status"], back["queue_position"]) == ("queued", 1)
    online(client, b)
    assert get(client, f"/tickets/{held['id']}")["assigned_agent_id"] == b["id"]
    assert client.delete(f"{API}/agents/{a['id']}", headers=ADMIN).status_code == 204
    assert client.delete(f"{API}/agents/999", headers=ADMIN).status_code == 404


def test_history_newest_first_by_ticket_number_and_the_csv_of_every_match(
    client: TestClient,
) -> None:
    a = make_agent(client, "A", max_tickets=5)
    online(client, a)
    first = post_ticket(client, "first")
    for i in range(3):
        post_ticket(client, f"other {i}")
    client.post(f"{API}/tickets/{first['id']}/accept", headers=bearer(a["token"]))
    newest = get(client, "/history", ticket=first["number"], order="desc")
    assert [h["event"] for h in newest["items"]] == ["accepted", "assigned", "created"]
    assert {h["ticket_number"] for h in newest["items"]} == {first["number"]}
    assert get(client, "/history", ticket=str(first["id"]))["total"] == 3
    everything = get(client, "/history", order="desc", limit=2)
    ids = [h["id"] for h in everything["items"]]
    assert ids == sorted(ids, reverse=True) and everything["total"] == 9
    r = client.get(f"{API}/history", params={"ticket": "INC-what"}, headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_input")
    csv_all = client.get(f"{API}/history.csv", params={"order": "desc", "limit": 1},
                         headers=ADMIN).text.splitlines()
    assert len(csv_all) == 1 + 9, "every match, oldest first, whatever the page"
