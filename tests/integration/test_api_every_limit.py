"""Figures that count every limit and every waiting customer, and nothing left waiting that
nobody can take: through the HTTP API on SQLite and PostgreSQL with a fake clock."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.domain.model import PickupPolicy
from giliran.service.assignment import reach
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket

API = "/api/v1"


def workload(client: TestClient) -> dict[str, Any]:
    r = client.get(f"{API}/workload", headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def queue_row(client: TestClient, name: str) -> dict[str, Any]:
    return next(q for q in workload(client)["queues"] if q["name"] == name)


def test_a_lead_desk_whose_agents_all_hold_an_unanswered_lead_has_no_free_slot(
    client: TestClient,
) -> None:
    client.post(f"{API}/queues", json={"name": "sales", "preset": "lead_rotation"},
                headers=ADMIN)
    sellers = [make_agent(client, n, queues=["sales"], max_tickets=5) for n in ("Ani", "Budi")]
    for s in sellers:
        online(client, s)
    leads = [post_ticket(client, f"lead {i}", queue="sales") for i in range(3)]
    assert [t["status"] for t in leads] == ["assigned", "assigned", "queued"]
    sales = queue_row(client, "sales")
    assert sales["free_slots"] == 0, "every seller holds an unanswered lead: no room here"
    rows = {a["name"]: a for a in workload(client)["agents"]}
    assert all(rows[n]["full"] and rows[n]["room"] == 0 for n in ("Ani", "Budi"))
    assert rows["Ani"]["utilization"] == 1.0, "1 held of the 1 it could hold now"
    assert workload(client)["queue"]["free_slots"] == 0
    mine = client.get(f"{API}/agent/my-queue", headers=bearer(sellers[0]["token"])).json()
    assert (mine["count"], mine["max"]) == (1, 1)

    # Answering frees the slot (slot_freed_on accept): the waiting lead comes at once, and
    # the figures say so.
    first = next(t for t in leads if t["assigned_agent_id"] == sellers[0]["id"])
    client.post(f"{API}/tickets/{first['id']}/accept", headers=bearer(sellers[0]["token"]))
    assert client.get(f"{API}/tickets/{leads[2]['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == sellers[0]["id"]
    mine = client.get(f"{API}/agent/my-queue", headers=bearer(sellers[0]["token"])).json()
    assert (mine["count"], mine["max"]) == (2, 2), "the answered lead is still its own"
    assert workload(client)["agents"][0]["last_assigned_at"] is not None


def test_a_queue_with_tickets_waiting_and_none_answered_never_looks_healthy(
    client: TestClient, clock: FakeClock,
) -> None:
    """Nobody online (but the queue has a member, so the tickets are not unreachable): five
    arrive a minute apart and wait."""
    make_agent(client, "Sari")
    for i in range(5):
        post_ticket(client, f"waiting {i}")
        clock.advance(60)
    level = queue_row(client, "default")["service_level"]
    oldest = 5 * 60
    assert level["waiting"] == 5 and level["answered"] == 0
    assert level["wait_p90"] >= oldest, "the p90 wait is no shorter than the oldest's wait"
    assert level["share_within_target"] is None, "nobody answered and nobody is late yet"
    clock.advance(600)
    level = queue_row(client, "default")["service_level"]
    assert (level["late"], level["within_target"], level["share_within_target"]) == (5, 0, 0.0)
    assert level["wait_p90"] >= oldest + 600
    stats = client.get(f"{API}/stats", headers=ADMIN).json()["service_levels"]["default"]
    assert stats["share_within_target"] == 0.0 and stats["wait_p90"] >= oldest + 600, (
        "/stats says the same as the workload")


def test_tickets_nobody_can_take_are_flagged_and_released_when_a_way_in_opens(
    client: TestClient,
) -> None:
    client.post(f"{API}/queues", json={"name": "billing"}, headers=ADMIN)
    lost = post_ticket(client, "nobody serves billing", queue="billing")
    seen = client.get(f"{API}/tickets/{lost['id']}", headers=ADMIN).json()
    assert (seen["flag"], seen["flag_reason"]) == ("unreachable", "no_members")
    w = workload(client)
    assert w["queue"]["unreachable"] == 1 and queue_row(client, "billing")["unreachable"] == 1
    assert [(t["id"], t["flag_reason"]) for t in w["flagged"]] == [(lost["id"], "no_members")]
    assert client.get(f"{API}/stats", headers=ADMIN).json()["unreachable_tickets"] == 1
    listed = client.get(f"{API}/tickets", params={"flagged": "true"}, headers=ADMIN).json()
    assert [t["id"] for t in listed["items"]] == [lost["id"]]

    # A member who takes nothing automatically, with pick-up off: still no way in.
    client.patch(f"{API}/queues/billing", json={"pickup": "off"}, headers=ADMIN)
    dewi = make_agent(client, "Dewi", queues=["billing"], auto_assign=False)
    online(client, dewi)
    seen = client.get(f"{API}/tickets/{lost['id']}", headers=ADMIN).json()
    assert (seen["flag"], seen["flag_reason"]) == ("unreachable", "nobody_receives")

    # She opts in: released, and assigned to her in the same step.
    r = client.patch(f"{API}/agent/me", json={"auto_assign": True}, headers=bearer(dewi["token"]))
    assert r.status_code == 200, r.text
    seen = client.get(f"{API}/tickets/{lost['id']}", headers=ADMIN).json()
    assert (seen["flag"], seen["status"], seen["assigned_agent_id"]) == (
        None, "assigned", dewi["id"])
    history = client.get(f"{API}/tickets/{lost['id']}/history", headers=ADMIN).json()
    assert [(e["event"], e["reason"]) for e in history][-3:] == [
        ("flagged", "unreachable"), ("released", "reachable"), ("assigned", "auto")]
    assert workload(client)["queue"]["unreachable"] == 0


def test_the_end_of_a_migration_strands_no_ticket(client: TestClient) -> None:
    """At 50 % some tickets wait for a pick-up; pick-up off and 100 % hands them out at once,
    each with a history entry saying why."""
    client.patch(f"{API}/queues/default", json={"auto_assign_percent": 50}, headers=ADMIN)
    agent = make_agent(client, "Sari", max_tickets=50)
    online(client, agent)
    made = [post_ticket(client, f"t{i}", external_id=f"lead-{i}") for i in range(16)]
    left = [t for t in made if t["status"] == "queued"]
    assert left and all(not t["auto_dispatch"] for t in left), "the rollout left some"
    r = client.patch(f"{API}/queues/default", json={"pickup": "off", "auto_assign_percent": 100},
                     headers=ADMIN)
    assert r.status_code == 200, r.text
    for t in left:
        seen = client.get(f"{API}/tickets/{t['id']}", headers=ADMIN).json()
        assert (seen["status"], seen["assigned_agent_id"]) == ("assigned", agent["id"])
        history = client.get(f"{API}/tickets/{t['id']}/history", headers=ADMIN).json()
        assert ("released", "pickup_off") in [(e["event"], e["reason"]) for e in history]
    # New tickets there are never left for a pick-up that cannot happen.
    client.patch(f"{API}/queues/default", json={"auto_assign_percent": 0}, headers=ADMIN)
    assert post_ticket(client, "after", external_id="lead-x")["status"] == "assigned"


def test_the_scheduler_sweep_finds_what_an_earlier_version_stranded(
    client: TestClient, container: Container,
) -> None:
    """Pick-up switched off behind the rules' back (as an older version did, leaving tickets
    for a pick-up that could not happen): the periodic sweep makes them automatic."""
    client.patch(f"{API}/queues/default", json={"auto_assign_percent": 0}, headers=ADMIN)
    agent = make_agent(client, "Sari")
    online(client, agent)
    left = post_ticket(client, "left for a pick-up", external_id="old-1")
    assert left["status"] == "queued"
    with container.ctx.uow(write=True) as uow:
        queue = uow.queues.get("default")
        assert queue is not None
        queue.pickup = PickupPolicy.OFF
        uow.queues.save(queue)
        uow.commit()
    assert reach.needs_sweep(container.ctx)
    assert reach.sweep(container.ctx) == 1
    assert not reach.needs_sweep(container.ctx)
    assert client.get(f"{API}/tickets/{left['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == agent["id"]


def test_todays_figures_kept_as_work_happens_agree_with_the_replay(
    client: TestClient, clock: FakeClock,
) -> None:
    """Today's counts on the workload come from the day's figures, kept as work happens: they
    agree with /stats, which replays the history."""
    sari = make_agent(client, "Sari", max_tickets=1)
    online(client, sari)
    for i in range(3):
        t = post_ticket(client, f"t{i}")
        clock.advance(30)
        client.post(f"{API}/tickets/{t['id']}/accept", headers=bearer(sari["token"]))
        clock.advance(90)
        client.post(f"{API}/tickets/{t['id']}/complete", headers=bearer(sari["token"]))
    (row,) = workload(client)["agents"]
    assert (row["assigned_today"], row["completed_today"], row["missed_today"]) == (3, 3, 0)
    assert (row["first_response_median_today"], row["handle_time_median_today"]) == (30.0, 90.0)
    assert row["utilization_online_today"] == 1.0, "it held a ticket all the time online"
    stats = client.get(f"{API}/stats", headers=ADMIN).json()
    assert stats["agent_utilization"][str(sari["id"])] == 1.0
