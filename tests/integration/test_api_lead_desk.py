"""A WhatsApp lead-rotation desk through the HTTP API, on SQLite and PostgreSQL, on a fake clock:
the strict rotation and its pointer, reorders, one lead per agent until they respond, claims in
turn, pick-up switched off, pauses in one queue, presets, and the reasons the history gives."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container, bootstrap
from giliran.config import Settings
from giliran.domain.errors import GiliranError
from giliran.entrypoints.api.app import create_app
from giliran.service.assignment.timers import TickReport, tick
from giliran.service.context import Principal, Role
from giliran.service.tickets import manual
from tests.integration.test_api_seed import ADMIN, bearer
from tests.integration.test_whatsapp import tickets
from tests.support.desks import Desk as WhatsAppDesk
from tests.support.postgres import Cluster
from tests.support.server import ADMIN_TOKEN

API = "/api/v1"


class LeadDesk:
    """The API as a supervisor, the agents and the leads coming in use it, with a fake clock."""

    def __init__(self, client: TestClient, container: Container, clock: FakeClock) -> None:
        self.client, self.container, self.clock = client, container, clock
        assert self.ok("PATCH", "/settings", json={"presence_grace_seconds": 0})
        self.ok("POST", "/queues", json={"name": "sales"})

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = bearer(token) if token else ADMIN
        return self.client.request(method, API + path, headers=headers, **kw)

    def ok(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        r = self.call(method, path, token, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json()

    def refused(self, method: str, path: str, token: str | None, code: str, **kw: Any) -> str:
        r = self.call(method, path, token, **kw)
        assert (r.status_code, r.json()["error"]["code"]) == (409, code), r.text
        return str(r.json()["error"]["message"])

    def agents(self, names: str, *, queues: tuple[str, ...] = ("sales",), online: bool = True,
               **fields: Any) -> list[dict[str, Any]]:
        made = [self.ok("POST", "/agents", json={"name": n, "rotation_order": 10 * i,
                                                 "queues": list(queues)} | fields)
                for i, n in enumerate(names, start=1)]
        if online:
            for agent in made:
                self.ok("POST", "/agent/go-online", agent["token"])
        return made

    def lead(self, title: str = "lead", queue: str = "sales") -> dict[str, Any]:
        return dict(self.ok("POST", "/tickets", json={"title": title, "queue": queue}))

    def holder(self, ticket: dict[str, Any]) -> int | None:
        return self.ok("GET", f"/tickets/{ticket['id']}")["assigned_agent_id"]  # type: ignore[no-any-return]

    def next_in_turn(self, queue: str = "sales") -> int | None:
        found = [q for q in self.ok("GET", "/workload")["queues"] if q["name"] == queue]
        return found[0]["next_agent_id"]  # type: ignore[no-any-return]

    def history(self, ticket: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.ok("GET", f"/tickets/{ticket['id']}/history"))

    def later(self, seconds: float) -> TickReport:
        self.clock.advance(seconds)
        return tick(self.container.ctx)


@pytest.fixture
def desk(client: TestClient, container: Container, clock: FakeClock) -> LeadDesk:
    return LeadDesk(client, container, clock)


def test_the_seed_story_leads_go_a_b_c_and_an_unanswered_one_moves_to_d(desk: LeadDesk) -> None:
    a, b, c, d, e = desk.agents("ABCDE")
    policy = desk.ok("PATCH", "/queues/sales", json={"preset": "lead_rotation"})
    assert (policy["strategy"], policy["max_per_agent"], policy["slot_freed_on"],
            policy["accept_timeout_seconds"], policy["claim"]) == (
        "rotation", 1, "accept", 300, "turn")
    leads = []
    for n in (1, 2, 3):  # 10:00, 10:01, 10:02
        leads.append(desk.lead(f"lead {n}"))
        desk.clock.advance(60)
    assert [t["assigned_agent_id"] for t in leads] == [a["id"], b["id"], c["id"]]
    assert desk.next_in_turn() == d["id"]
    for agent, ticket in ((b, leads[1]), (c, leads[2])):
        desk.ok("POST", f"/tickets/{ticket['id']}/accept", agent["token"])
    assert desk.later(119).escalated == 0  # 10:04:59: lead 1 has had 5 minutes less 1 second
    assert desk.later(1).escalated == 1
    assert desk.holder(leads[0]) == d["id"], "not back to A, but to the next in turn"
    assert desk.next_in_turn() == e["id"]
    notes = [h["note"] for h in desk.history(leads[0]) if h["event"] == "assigned"]
    assert notes == ["rotation: next in turn, first in order",
                     "rotation: next in turn after C"]
    assert desk.lead("lead 4")["assigned_agent_id"] == e["id"]
    assert desk.lead("lead 5")["assigned_agent_id"] == a["id"], "A missed lead 1, not lead 5"


def test_a_reorder_changes_who_follows_from_the_next_lead_on_never_who_is_next(
    desk: LeadDesk,
) -> None:
    desk.ok("PATCH", "/queues/sales", json={"strategy": "rotation"})
    a, b, c, d, e = desk.agents("ABCDE")
    for agent, order in zip((a, b, c, d, e), (50, 40, 30, 20, 10), strict=True):
        desk.ok("PATCH", f"/agents/{agent['id']}", json={"rotation_order": order})
    got = [desk.lead()["assigned_agent_id"] for _ in range(2)]
    assert got == [e["id"], d["id"]], "the order as it stood: E, D, C, B, A"
    assert desk.next_in_turn() == c["id"]
    # The supervisor puts them in order A..E: C stays next, and D, E, A, B follow it.
    for agent, order in zip((a, b, c, d, e), (10, 20, 30, 40, 50), strict=True):
        desk.ok("PATCH", f"/agents/{agent['id']}", json={"rotation_order": order})
    assert desk.next_in_turn() == c["id"]
    got = [desk.lead()["assigned_agent_id"] for _ in range(5)]
    assert got == [c["id"], d["id"], e["id"], a["id"], b["id"]]


def test_a_fresh_rotation_follows_the_new_order_from_the_first_lead(desk: LeadDesk) -> None:
    desk.ok("PATCH", "/queues/sales", json={"strategy": "rotation"})
    a, b, c = desk.agents("ABC")
    desk.ok("PATCH", f"/agents/{c['id']}", json={"rotation_order": 1})  # C, A, B
    got = [desk.lead()["assigned_agent_id"] for _ in range(4)]
    assert got == [c["id"], a["id"], b["id"], c["id"]]


def test_a_supervisor_sets_who_is_next_and_the_turn_goes_on_from_there(desk: LeadDesk) -> None:
    desk.ok("PATCH", "/queues/sales", json={"strategy": "rotation"})
    a, b, c, d = desk.agents("ABCD")
    outsider = desk.agents("X", queues=("default",))[0]
    assert desk.next_in_turn() == a["id"], "no pointer yet: the first member"
    desk.ok("PATCH", "/queues/sales", json={"next_agent_id": c["id"]})
    assert desk.next_in_turn() == c["id"]
    assert [desk.lead()["assigned_agent_id"] for _ in range(3)] == [c["id"], d["id"], a["id"]]
    r = desk.call("PATCH", "/queues/sales", json={"next_agent_id": outsider["id"]})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_a_member")
    assert "not an active member" in r.json()["error"]["message"]
    assert desk.next_in_turn() == b["id"], "a refused pointer changes nothing"
    # An offline member keeps its place in the turn: passed over, with the reason said.
    desk.ok("POST", "/agent/go-offline", b["token"])
    skipped = desk.lead()
    assert skipped["assigned_agent_id"] == c["id"]
    assert desk.history(skipped)[-1]["note"] == (
        "rotation: next in turn after A; B skipped: not online")
    entries = desk.ok("GET", "/audit", params={"kind": "queue", "subject": "sales"})["items"]
    pointer = [x for x in entries if x["action"] == "pointer"]
    assert [(x["before"], x["after"]) for x in pointer] == [
        ({"next_agent_id": a["id"]}, {"next_agent_id": c["id"]})]


def test_with_slots_freed_on_accept_lead_two_comes_right_after_responding_to_lead_one(
    desk: LeadDesk,
) -> None:
    (a,) = desk.agents("A", max_tickets=5)
    desk.ok("PATCH", "/queues/sales", json={"preset": "lead_rotation"})
    one, two = desk.lead("lead 1"), desk.lead("lead 2")
    assert (one["assigned_agent_id"], two["status"]) == (a["id"], "queued"), (
        "one lead per agent until they respond")
    assert desk.later(60).moves == 0 and desk.holder(two) is None, "not before responding"
    r = desk.call("POST", f"/tickets/{two['id']}/pickup", a["token"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "capacity_exceeded"
    assert "whose limit is 1 per agent" in r.json()["error"]["message"]
    desk.ok("POST", f"/tickets/{one['id']}/accept", a["token"])
    assert desk.holder(two) == a["id"], "responding freed the slot: lead 2 came at once"
    assert desk.ok("GET", f"/tickets/{one['id']}")["assigned_agent_id"] == a["id"], (
        "lead 1 still belongs to A")
    assert desk.history(two)[-1]["reason"] == "refill"


def test_with_slots_freed_on_complete_only_a_completion_brings_the_next(desk: LeadDesk) -> None:
    (a,) = desk.agents("A", max_tickets=5)
    desk.ok("PATCH", "/queues/sales", json={"preset": "lead_rotation", "slot_freed_on": "complete"})
    one, two = desk.lead("lead 1"), desk.lead("lead 2")
    desk.ok("POST", f"/tickets/{one['id']}/accept", a["token"])
    assert desk.holder(two) is None, "an accepted lead still counts until completed"
    desk.ok("POST", f"/tickets/{one['id']}/complete", a["token"])
    assert desk.holder(two) == a["id"]
    # The limit is per queue, on top of max_tickets: default tickets keep coming.
    desk.ok("PATCH", f"/agents/{a['id']}", json={"queues": ["sales", "default"]})
    assert desk.lead("support", queue="default")["assigned_agent_id"] == a["id"]


def test_replying_to_a_whatsapp_lead_accepts_it_and_brings_the_next_one(wa: WhatsAppDesk) -> None:
    wa.client.patch(f"{API}/queues/sales", json={"preset": "lead_rotation"}, headers=ADMIN)
    seller = wa.client.post(f"{API}/agents", json={"name": "Sari", "queues": ["sales"]},
                            headers=ADMIN).json()
    wa.client.post(f"{API}/agent/go-online", headers=bearer(seller["token"]))
    wa.says("Halo, mau tanya harga", "wamid.L1")
    wa.says("Permisi, ada promo?", "wamid.L2", sender="6281200000002")
    first, second = sorted(tickets(wa.client), key=lambda t: t["id"])
    assert (first["assigned_agent_id"], second["status"]) == (seller["id"], "queued")
    r = wa.reply(first["id"], seller["token"], text="Halo, harganya 1 juta")
    assert r.status_code == 201, r.text
    now = wa.client.get(f"{API}/tickets/{second['id']}", headers=ADMIN).json()
    assert now["assigned_agent_id"] == seller["id"], "the reply was the response"
    # The Floor says when the seller last answered anyone (a supervisor's reply does not count).
    floor = wa.client.get(f"{API}/workload", headers=ADMIN).json()
    sari = next(a for a in floor["agents"] if a["id"] == seller["id"])
    assert sari["last_reply_at"] == r.json()["at"]


def test_claims_go_by_turn_and_a_claim_in_turn_moves_the_turn_on(desk: LeadDesk) -> None:
    desk.ok("PATCH", "/queues/sales", json={"preset": "lead_rotation"})
    # A desk still picking up by hand: nobody takes leads automatically.
    a, b, c = desk.agents("ABC", auto_assign=False)
    waiting = desk.lead()
    assert waiting["status"] == "queued"
    message = desk.refused("POST", f"/tickets/{waiting['id']}/pickup", b["token"],
                           "not_your_turn")
    assert message.startswith("it is A's turn")
    assert desk.ok("GET", "/agent/available", b["token"])["total"] == 0
    assert desk.ok("GET", "/agent/available", a["token"])["total"] == 1
    taken = desk.ok("POST", f"/tickets/{waiting['id']}/pickup", a["token"])
    assert taken["assigned_agent_id"] == a["id"]
    assert taken["accept_deadline"] == "2026-01-05T10:05:00Z", "300 s to respond"
    assert desk.next_in_turn() == b["id"], "a claim in turn moves the turn like an assignment"
    assert desk.history(taken)[-1]["note"] == "rotation: picked up in turn, first in order"
    second = desk.lead()
    desk.refused("POST", f"/tickets/{second['id']}/pickup", c["token"], "not_your_turn")
    desk.ok("POST", f"/tickets/{second['id']}/pickup", b["token"])
    # With claims open to anyone, whoever has room takes it.
    desk.ok("PATCH", "/queues/sales", json={"claim": "anyone"})
    third = desk.lead()
    taken = desk.ok("POST", f"/tickets/{third['id']}/pickup", c["token"])
    assert taken["assigned_agent_id"] == c["id"]


@pytest.mark.postgres
def test_of_concurrent_claims_in_turn_exactly_one_wins_on_postgresql(pg_cluster: Cluster) -> None:
    """Each claim in its own thread, with its own connection, racing for the floor lock (the
    race is PostgreSQL's: on SQLite one process's writers queue on a lock before the database)."""
    container = bootstrap(Settings(database_url=pg_cluster.fresh_database(),
                                   admin_token=ADMIN_TOKEN, scheduler=False, outbox=False),
                          clock=FakeClock())
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            desk = LeadDesk(client, container, FakeClock())
            desk.ok("PATCH", "/queues/sales", json={"preset": "lead_rotation",
                                                    "max_per_agent": 3})
            agents = desk.agents("ABCD", auto_assign=False, max_tickets=5)
            lead = desk.lead()
            claimants = [a["id"] for a in agents for _ in range(3)]  # A, whose turn it is, too
            start = threading.Barrier(len(claimants))
            outcomes: list[str] = []

            def claim(agent_id: int) -> None:
                start.wait()
                try:
                    manual.pickup(container.ctx, Principal(Role.AGENT, agent_id), lead["id"])
                    outcomes.append("won")
                except GiliranError as exc:
                    outcomes.append(exc.code)

            threads = [threading.Thread(target=claim, args=(i,)) for i in claimants]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert outcomes.count("won") == 1, outcomes
            assert set(outcomes) <= {"won", "not_your_turn", "invalid_transition"}
            assert desk.holder(lead) == agents[0]["id"]
            assert desk.ok("GET", f"/agents/{agents[0]['id']}")["active_tickets"] == 1
            assert desk.next_in_turn() == agents[1]["id"], "the turn moved on once"
    finally:
        container.close()


def test_a_pause_in_sales_leaves_the_agent_receiving_default_tickets(desk: LeadDesk) -> None:
    desk.ok("PATCH", "/queues/sales", json={"accept_timeout_seconds": 60,
                                            "away_after_misses": 2})
    a, b = desk.agents("AB", queues=("sales", "default"))
    missed = [desk.lead(f"lead {n}") for n in range(4)]  # A, B, A, B
    assert desk.later(61).paused == 2
    assert desk.later(61).paused == 0, "paused once"
    me = desk.ok("GET", "/agent/me", a["token"])
    assert (me["presence"], [p["queue"] for p in me["paused"]]) == ("online", ["sales"])
    assert me["paused"][0]["reason"] == "missed 2 tickets in a row"
    assert desk.lead("a new lead")["status"] == "queued", "nobody receives sales now"
    assert desk.lead("a support ticket", queue="default")["assigned_agent_id"] == a["id"]
    assert desk.lead("another", queue="default")["assigned_agent_id"] == b["id"]
    workload = {w["id"]: w for w in desk.ok("GET", "/workload")["agents"]}
    assert [p["queue"] for p in workload[b["id"]]["paused"]] == ["sales"]
    # The supervisor lifts B's pause; the agent lifts its own.
    after = desk.ok("POST", f"/agents/{b['id']}/queues/sales/resume")
    assert after["paused"] == []
    assert any(desk.holder(t) == b["id"] for t in missed), "B's leads wait for it again"
    desk.ok("POST", "/agent/queues/sales/resume", a["token"])
    assert desk.ok("GET", "/agent/me", a["token"])["paused"] == []
    kinds = [(x["action"], x["actor"]) for x in desk.ok(
        "GET", "/audit", params={"kind": "agent", "subject": str(b["id"])})["items"]]
    assert kinds[:2] == [("resumed", "admin"), ("paused", "system")]


def test_with_pick_up_off_nobody_picks_up_and_the_list_leaves_the_queue_out(
    desk: LeadDesk,
) -> None:
    (a,) = desk.agents("A", auto_assign=False, queues=("sales", "default"))
    lead, ticket = desk.lead(), desk.lead("support", queue="default")
    desk.ok("PATCH", "/queues/sales", json={"pickup": "off"})
    message = desk.refused("POST", f"/tickets/{lead['id']}/pickup", a["token"],
                           "pickup_disabled")
    assert "pick-up is off" in message
    listed = desk.ok("GET", "/agent/available", a["token"])
    assert [t["id"] for t in listed["items"]] == [ticket["id"]] and listed["total"] == 1
    desk.ok("PATCH", "/queues/sales", json={"pickup": "on"})
    assert desk.ok("POST", f"/tickets/{lead['id']}/pickup", a["token"])["status"] == "assigned"


def test_the_pick_up_list_shows_only_what_the_agent_may_take_now(desk: LeadDesk) -> None:
    desk.ok("PATCH", "/queues/sales", json={"max_per_agent": 1})
    (a,) = desk.agents("A", auto_assign=False, max_tickets=2, queues=("sales", "default"))
    leads = [desk.lead(f"lead {n}") for n in range(2)]
    support = desk.lead("support", queue="default")

    def listed() -> list[int]:
        return [t["id"] for t in desk.ok("GET", "/agent/available", a["token"])["items"]]

    assert listed() == [leads[0]["id"], leads[1]["id"], support["id"]]
    desk.ok("POST", f"/tickets/{leads[0]['id']}/pickup", a["token"])
    assert listed() == [support["id"]], "at the queue's limit: no more leads listed"
    desk.ok("POST", f"/tickets/{support['id']}/pickup", a["token"])
    assert listed() == [], "full: nothing listed"
    r = desk.call("POST", f"/tickets/{leads[1]['id']}/reassign",
                  json={"agent_id": a["id"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "capacity_exceeded"
    forced = desk.ok("POST", f"/tickets/{leads[1]['id']}/reassign",
                     json={"agent_id": a["id"], "force": True})
    assert forced["assigned_agent_id"] == a["id"]


def test_presets_on_creation_and_back_to_a_ticket_desk(desk: LeadDesk) -> None:
    made = desk.ok("POST", "/queues", json={"name": "leads", "preset": "lead_rotation",
                                           "accept_timeout_seconds": 120})
    assert (made["strategy"], made["accept_timeout_seconds"], made["claim"]) == (
        "rotation", 120, "turn"), "fields given apply after the preset"
    back = desk.ok("PATCH", "/queues/leads", json={"preset": "ticket_desk"})
    assert (back["strategy"], back["max_per_agent"], back["slot_freed_on"],
            back["accept_timeout_seconds"], back["claim"]) == (
        "round_robin", 0, "complete", 0, "anyone")
    r = desk.call("PATCH", "/queues/leads", json={"preset": "call_centre"})
    assert r.status_code == 422
    actions = [x["action"] for x in desk.ok("GET", "/audit", params={"subject": "leads"})["items"]]
    assert actions == ["preset ticket_desk", "created"]


def test_the_history_says_why_each_automatic_assignment_went_where_it_did(
    desk: LeadDesk,
) -> None:
    desk.ok("PATCH", "/queues/sales", json={"strategy": "least_loaded",
                                            "accept_timeout_seconds": 60})
    a, b, c, d = desk.agents("ABCD", max_tickets=5)
    for agent, held in ((b, 3), (c, 4), (a, 1)):
        desk.ok("PATCH", f"/agents/{agent['id']}", json={"max_tickets": 0})
        for _ in range(held):  # busy with accepted work
            busy = desk.lead("busy")["id"]
            desk.ok("POST", f"/tickets/{busy}/reassign", json={"agent_id": agent["id"],
                                                               "force": True})
            desk.ok("POST", f"/tickets/{busy}/accept", agent["token"])
        desk.ok("PATCH", f"/agents/{agent['id']}", json={"max_tickets": 5})
    desk.ok("PATCH", f"/agents/{d['id']}", json={"max_tickets": 0})
    ticket = desk.lead("who gets this?")
    assert ticket["assigned_agent_id"] == a["id"]
    assert desk.history(ticket)[-1]["note"] == "least loaded: 1/5 against 3/5 and 4/5"
    assert desk.history(ticket)[-1]["detail"]["load"] == [1, 5]
    # A misses it: it goes to B, and the history says A was passed over for that.
    desk.later(61)
    moved = desk.history(ticket)[-1]
    assert (moved["to_agent_id"], moved["note"]) == (
        b["id"], "least loaded: 3/5 against 4/5; A skipped: missed this ticket")
    csv = desk.client.get(f"{API}/history.csv", params={"ticket_id": ticket["id"]},
                          headers=ADMIN).text
    assert "least loaded: 1/5 against 3/5 and 4/5" in csv
