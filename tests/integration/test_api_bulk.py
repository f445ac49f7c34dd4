"""Bulk actions (POST /tickets/bulk) through the HTTP API on SQLite and PostgreSQL: named
tickets and filters, a result per ticket, dry runs, the refusals, a supervisor of some
queues, one audit line, and a filter whose tickets change while the action runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.domain.model import Priority
from giliran.domain.people import Role
from giliran.service.assignment import timers
from giliran.service.context import ADMIN as ADMIN_PRINCIPAL
from giliran.service.context import Principal
from giliran.service.ports import TicketFilter, UnitOfWork, UnitOfWorkFactory
from giliran.service.tickets import importing, manual, triage
from giliran.service.tickets.tickets import NewTicket
from tests.integration.test_api_queues import make_queue
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, post_ticket
from tests.integration.test_auth_matrix import PASSWORD, sign_in
from tests.support.invariants import check_floor, snapshot

API = "/api/v1"


def bulk(client: TestClient, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return client.post(f"{API}/tickets/bulk", json=body, headers=headers or ADMIN)


def outcome(r: Any) -> list[tuple[int, str]]:
    """Each ticket's id and "ok" or its error's code, in the order acted on."""
    assert r.status_code == 200, r.text
    return [(x["id"], "ok" if x["ok"] else x["error"]["code"]) for x in r.json()["results"]]


def ticket(client: TestClient, ticket_id: int) -> dict[str, Any]:
    return dict(client.get(f"{API}/tickets/{ticket_id}", headers=ADMIN).json())


def flagged_night(container: Container, clock: FakeClock, n: int) -> list[int]:
    """`n` tickets of queue night, each flagged waiting_too_long (its only member is away)."""
    importing.import_batch(container.ctx, ADMIN_PRINCIPAL, [
        NewTicket(f"night {i}", queue="night", external_id=f"night-{i}") for i in range(n)])
    clock.advance(61)
    timers.tick(container.ctx)
    with container.ctx.uow(write=False) as uow:
        return sorted(t.id for t in uow.tickets.search(TicketFilter(
            queue="night", flagged=True, limit=10_000)))


def night_desk(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    make_queue(client, "night", max_wait_seconds=60)
    make_queue(client, "day")
    return (make_agent(client, "Sari", max_tickets=200, queues=["night"]),
            make_agent(client, "Budi", max_tickets=200, queues=["day", "night"]))


def test_each_action_by_ids_answers_per_ticket_and_is_audited_once(
    client: TestClient,
) -> None:
    sari, _ = night_desk(client)
    t1, t2, t3, t4 = (post_ticket(client, f"t{i}", queue="night")["id"] for i in range(4))

    r = bulk(client, ids=[t1, t2, 999_999], action="reassign", agent_id=sari["id"])
    assert outcome(r) == [(t1, "ok"), (t2, "ok"), (999_999, "not_found")]
    assert r.json()["results"][0]["number"] == ticket(client, t1)["number"]
    assert (r.json()["succeeded"], r.json()["failed"], r.json()["action"]) == (2, 1, "reassign")
    r = bulk(client, ids=[t1, t3], action="priority", priority="high")
    assert outcome(r) == [(t1, "ok"), (t3, "ok")]
    r = bulk(client, ids=[t1, t3], action="requeue")
    assert outcome(r) == [(t1, "ok"), (t3, "invalid_transition")]
    assert ticket(client, t1)["status"] == "queued"
    r = bulk(client, ids=[t3, t2], action="move", queue="day")
    assert outcome(r) == [(t3, "ok"), (t2, "ok")]
    moved = ticket(client, t3)
    assert (moved["queue"], moved["priority"], moved["status"]) == ("day", "high", "queued")
    assert ticket(client, t2)["queue"] == "day"  # held by Sari: transferred to day's queue
    assert outcome(bulk(client, ids=[t4], action="clear_flag")) == [(t4, "not_flagged")]
    assert outcome(bulk(client, ids=[t4, t1], action="cancel")) == [(t4, "ok"), (t1, "ok")]
    assert outcome(bulk(client, ids=[t4], action="cancel")) == [(t4, "invalid_transition")]

    history = client.get(f"{API}/tickets/{t3}/history", headers=ADMIN).json()
    assert [(h["event"], h["actor"]) for h in history][-1] == ("moved", "admin")
    audit = client.get(f"{API}/audit", params={"kind": "tickets"}, headers=ADMIN).json()
    assert audit["total"] == 7
    first = audit["items"][-1]
    assert (first["action"], first["actor"], first["after"]["arguments"]) == (
        "bulk reassign", "admin", {"agent_id": sari["id"], "force": False})
    assert (first["after"]["succeeded"], first["after"]["failed"]) == (
        [t1, t2], {"999999": "not_found"})


def test_a_filter_counts_first_then_acts_on_every_match(
    client: TestClient, container: Container, clock: FakeClock,
) -> None:
    sari, _ = night_desk(client)
    flagged = flagged_night(container, clock, 6)
    everything = {"queue": "night", "flagged": True}

    dry = bulk(client, filter=everything, action="reassign", agent_id=sari["id"], dry_run=True)
    assert dry.status_code == 200 and dry.json() == {"count": 6, "ids": flagged}
    assert all(ticket(client, i)["status"] == "queued" for i in flagged), "a dry run moved"
    r = bulk(client, filter={**everything, "q": "night 1"}, action="clear_flag")
    assert outcome(r) == [(flagged[1], "ok")]
    r = bulk(client, filter={**everything, "status": "queued"}, action="requeue")
    assert [code for _, code in outcome(r)] == ["ok"] * 5  # flag off, dispatched: nobody online
    assert bulk(client, filter=everything, action="cancel").json()["results"] == []

    r = bulk(client, filter={"queue": "night"}, action="priority", priority="urgent")
    assert outcome(r) == [(i, "ok") for i in flagged]
    r = bulk(client, filter={"q": "night 5"}, action="move", queue="day")
    assert outcome(r) == [(flagged[5], "ok")]
    assert (ticket(client, flagged[5])["queue"], ticket(client, flagged[5])["priority"]) == (
        "day", "urgent")
    r = bulk(client, filter={"queue": "night", "status": "queued"}, action="reassign",
             agent_id=sari["id"])
    assert outcome(r) == [(i, "ok") for i in flagged[:5]]
    assert {ticket(client, i)["assigned_agent_id"] for i in flagged[:5]} == {sari["id"]}
    floor = snapshot(container.ctx.uow)
    check_floor(floor)
    with container.ctx.uow(write=False) as uow:  # the kept depths follow a queued move
        assert uow.tickets.depths() == Counter(t.queue for t in floor.queued) == {"day": 1}


def test_bad_requests_are_422_with_stable_codes_and_agents_403(
    client: TestClient, container: Container, clock: FakeClock,
) -> None:
    sari, _ = night_desk(client)
    t = post_ticket(client, "t", queue="night")["id"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"action": "cancel"}, "ids_or_filter"),
        ({"ids": [t], "filter": {}, "action": "cancel"}, "ids_or_filter"),
        ({"ids": [t, t], "action": "cancel"}, "duplicate_ids"),
        ({"ids": [], "action": "cancel"}, "too_short"),
        ({"ids": [t], "action": "archive"}, "union_tag_invalid"),
        ({"ids": [t]}, "union_tag_not_found"),
        ({"ids": [t], "action": "reassign"}, "missing"),
        ({"ids": [t], "action": "move"}, "missing"),
        ({"ids": [t], "action": "cancel", "agent_id": sari["id"]}, "extra_forbidden"),
        ({"ids": [t], "action": "requeue", "force": True}, "extra_forbidden"),
        ({"filter": {"sort": "title"}, "action": "cancel"}, "extra_forbidden"),
        ({"filter": {"waiting_longer_than": -1}, "action": "cancel"}, "greater_than_equal"),
    ]
    for body, code in cases:
        r = client.post(f"{API}/tickets/bulk", json=body, headers=ADMIN)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
        assert code in [d["type"] for d in r.json()["error"]["details"]], (body, r.text)
        assert "archive" not in r.text, "the refusal said back what was sent"
    r = bulk(client, bearer(sari["token"]), ids=[t], action="cancel")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    for method in ("GET", "PATCH"):  # no ticket is called "bulk"
        r = client.request(method, f"{API}/tickets/bulk", headers=ADMIN, json={})
        assert (r.status_code, r.headers["allow"]) == (405, "POST"), r.text

    importing.import_batch(container.ctx, ADMIN_PRINCIPAL, [
        NewTicket(f"b {i}", queue="day", external_id=f"b-{i}") for i in range(1001)])
    r = bulk(client, filter={"queue": "day"}, action="cancel", dry_run=True)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "too_many_tickets")
    assert "1001" in r.json()["error"]["message"]
    assert ticket(client, t)["status"] == "queued"


def supervisor_of(client: TestClient, queues: list[str]) -> dict[str, str]:
    made = client.post(f"{API}/users", headers=ADMIN, json={
        "email": "lead@example.com", "name": "Lead", "role": "supervisor",
        "password": PASSWORD, "queues": queues})
    assert made.status_code == 201, made.text
    secret, csrf = sign_in(client, "lead@example.com")
    token = client.post(f"{API}/tokens", json={"name": "bulk", "role": "supervisor"},
                        headers={"Cookie": f"giliran_session={secret}", "X-CSRF-Token": csrf})
    return bearer(token.json()["token"])


def test_a_supervisor_of_some_queues_acts_only_on_theirs(client: TestClient) -> None:
    night_desk(client)
    lead = supervisor_of(client, ["day"])
    day = [post_ticket(client, f"d{i}", queue="day")["id"] for i in range(2)]
    night = post_ticket(client, "n", queue="night")["id"]

    dry = bulk(client, lead, filter={}, action="cancel", dry_run=True)
    assert dry.json() == {"count": 2, "ids": day}
    r = bulk(client, lead, filter={"queue": "night"}, action="cancel")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_queue")
    r = bulk(client, lead, ids=[night, day[0]], action="priority", priority="urgent")
    assert outcome(r) == [(night, "not_your_queue"), (day[0], "ok")]
    assert r.json()["results"][0]["number"] is None, "another queue's ticket was described"
    assert outcome(bulk(client, lead, filter={}, action="cancel")) == [(i, "ok") for i in day]
    assert ticket(client, night)["status"] == "queued"
    entry = client.get(f"{API}/audit", params={"kind": "tickets"}, headers=ADMIN).json()[
        "items"][0]
    assert (entry["by"]["name"], entry["after"]["by"]) == ("Lead", "filter")


class Meanwhile:
    """The unit-of-work port with another writer in it: before the bulk action's n-th
    transaction begins, `moves[n]` runs and commits (on the undisturbed port), as the engine or
    another supervisor would between the filter's read and that ticket's turn."""

    def __init__(self, inner: UnitOfWorkFactory, moves: dict[int, Callable[[], object]]):
        self.inner, self.moves, self.writes = inner, moves, 0

    def __call__(self, *, write: bool, defer_lock: bool = False) -> UnitOfWork:
        if write:
            self.writes += 1
            move = self.moves.pop(self.writes, None)
            if move is not None:
                move()
        return self.inner(write=write, defer_lock=defer_lock)


def test_tickets_that_change_during_a_filtered_action_are_left_as_they_are(
    client: TestClient, container: Container, clock: FakeClock,
) -> None:
    sari, budi = night_desk(client)
    flagged = flagged_night(container, clock, 6)
    ctx = container.ctx
    other = replace(ctx, uow=ctx.uow)  # the other writer's own way in, undisturbed
    lead = Principal(Role.OWNER, name="other supervisor")
    ctx.uow = Meanwhile(ctx.uow, {  # type: ignore[method-assign]
        2: lambda: manual.reassign(other, lead, flagged[1], budi["id"]),
        4: lambda: triage.clear_flag(other, lead, flagged[3]),
        6: lambda: manual.set_priority(other, lead, flagged[5], Priority.HIGH),
    })
    try:
        r = bulk(client, filter={"queue": "night", "flagged": True, "status": "queued"},
                 action="reassign", agent_id=sari["id"])
    finally:
        ctx.uow = other.uow  # type: ignore[method-assign]
    assert outcome(r) == [(flagged[0], "ok"), (flagged[1], "no_longer_matches"),
                          (flagged[2], "ok"), (flagged[3], "no_longer_matches"),
                          (flagged[4], "ok"), (flagged[5], "ok")]
    holders = {i: ticket(client, i)["assigned_agent_id"] for i in flagged}
    assert holders == {flagged[0]: sari["id"], flagged[1]: budi["id"], flagged[2]: sari["id"],
                       flagged[3]: None, flagged[4]: sari["id"], flagged[5]: sari["id"]}
    for i in flagged:  # nothing moved twice
        events = [h["event"] for h in client.get(f"{API}/tickets/{i}/history",
                                                 headers=ADMIN).json()]
        assert events.count("assigned") == (0 if i == flagged[3] else 1), (i, events)
    check_floor(snapshot(ctx.uow))
