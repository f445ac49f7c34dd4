"""What a desk reads and keeps, through the HTTP API on SQLite and PostgreSQL with a fake clock:
the audit log of changes, the rollout report, positions in a ticket's own queue, acceptance
deadlines on every ticket, utilization and fairness over time online, agents' own switches and
their notices' language, and the preset command."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.entrypoints.cli import app as cli
from tests.integration.test_api_lead_desk import LeadDesk
from tests.integration.test_api_seed import ADMIN, bearer
from tests.support.desks import AGENT_CHAT, Bot
from tests.support.server import ADMIN_TOKEN

API = "/api/v1"


@pytest.fixture
def desk(client: TestClient, container: Container, clock: FakeClock) -> LeadDesk:
    return LeadDesk(client, container, clock)


def audit(desk: LeadDesk, **params: Any) -> list[dict[str, Any]]:
    return list(desk.ok("GET", "/audit", params=params | {"limit": 1000})["items"])


def test_every_kind_of_change_is_audited_with_who_when_before_and_after(desk: LeadDesk) -> None:
    (a,) = desk.agents("A", online=False)
    subject = str(a["id"])
    for change in ({"rotation_order": 5}, {"max_tickets": 2}, {"queues": ["sales", "default"]},
                   {"auto_assign": False}, {"auto_assign_locked": True}, {"language": "id"},
                   {"name": "Ani"}):
        desk.ok("PATCH", f"/agents/{a['id']}", json=change)
    desk.ok("PATCH", "/agent/me", a["token"], json={"language": "en"})
    assert desk.call("DELETE", f"/agents/{a['id']}").status_code == 204
    desk.clock.advance(1)
    desk.ok("PATCH", "/queues/sales", json={"accept_timeout_seconds": 90, "pickup": "off"})
    desk.ok("PATCH", "/queues/sales", json={"preset": "lead_rotation"})
    b, c = desk.agents("BC")
    desk.ok("PATCH", "/queues/sales", json={"next_agent_id": c["id"]})
    desk.ok("PATCH", "/settings", json={"presence_grace_seconds": 120})

    changes = [(x["action"], x["actor"], x["before"], x["after"])
               for x in reversed(audit(desk, kind="agent", subject=subject))]
    assert changes[0][:3] == ("created", "admin", None)
    assert changes[0][3]["max_tickets"] == 5
    assert [c[2:] for c in changes[1:8]] == [
        ({"rotation_order": 10}, {"rotation_order": 5}),
        ({"max_tickets": 5}, {"max_tickets": 2}),
        ({"queues": ["sales"]}, {"queues": ["default", "sales"]}),
        ({"auto_assign": True}, {"auto_assign": False}),
        ({"auto_assign_locked": False}, {"auto_assign_locked": True}),
        ({"language": "en"}, {"language": "id"}),
        ({"name": "A"}, {"name": "Ani"}),
    ]
    assert changes[8] == ("changed", f"agent:{a['id']}", {"language": "id"}, {"language": "en"})
    assert changes[9] == ("deactivated", "admin", {"active": True}, {"active": False})
    queue = [(x["action"], x["before"], x["after"]) for x in audit(desk, kind="queue")]
    assert queue[0] == ("pointer", {"next_agent_id": b["id"]}, {"next_agent_id": c["id"]})
    assert queue[1][0] == "preset lead_rotation"
    assert queue[1][2] == {"strategy": "rotation", "max_per_agent": 1,
                           "slot_freed_on": "accept", "accept_timeout_seconds": 300,
                           "claim": "turn"}
    assert queue[2] == ("changed", {"accept_timeout_seconds": 0, "pickup": "on"},
                        {"accept_timeout_seconds": 90, "pickup": "off"})
    assert queue[-1][0] == "created"
    settings = audit(desk, kind="settings")
    assert [(x["subject"], x["before"], x["after"]) for x in settings] == [
        ("presence_grace_seconds", {"presence_grace_seconds": 0},
         {"presence_grace_seconds": 120}),
        ("presence_grace_seconds", {"presence_grace_seconds": 300},
         {"presence_grace_seconds": 0})]


def test_the_audit_is_filtered_paged_newest_first_and_exported(desk: LeadDesk) -> None:
    start = desk.clock.now()
    made = desk.agents("ABC", online=False)
    desk.clock.advance(60)
    for agent in made:
        desk.ok("PATCH", f"/agents/{agent['id']}", json={"max_tickets": 3})
    page = desk.ok("GET", "/audit", params={"kind": "agent", "limit": 2, "offset": 1})
    assert (page["total"], len(page["items"])) == (6, 2)
    ids = [x["id"] for x in desk.ok("GET", "/audit", params={"kind": "agent"})["items"]]
    assert ids == sorted(ids, reverse=True), "newest first"
    later = desk.ok("GET", "/audit", params={"kind": "agent",
                                            "from": (start + timedelta(seconds=30)).isoformat()})
    assert later["total"] == 3 and {x["action"] for x in later["items"]} == {"changed"}
    assert desk.ok("GET", "/audit", params={"actor": "system"})["total"] == 0
    bad = desk.call("GET", "/audit", params={"kind": "weather"})
    assert bad.status_code == 422
    r = desk.client.get(f"{API}/audit.csv", params={"kind": "agent"}, headers=ADMIN)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 6 and rows[0]["action"] == "changed"
    assert rows[0]["after"] == '{"max_tickets": 3}'
    assert rows[-1]["before"] == "" and rows[-1]["action"] == "created"


def test_the_audit_is_kept_when_events_are_pruned(desk: LeadDesk) -> None:
    desk.agents("A", online=False)
    with desk.container.ctx.uow(write=True) as uow:
        uow.events.prune(desk.clock.now() + timedelta(days=365))
        uow.commit()
    assert desk.ok("GET", "/audit")["total"] >= 2


def test_the_rollout_report_counts_each_way_and_how_manual_tickets_ended(
    desk: LeadDesk,
) -> None:
    desk.ok("PATCH", "/queues/sales", json={"auto_assign_percent": 50})
    (picker,) = desk.agents("P", auto_assign=False, max_tickets=50)
    made = [desk.ok("POST", "/tickets", json={"title": "t", "queue": "sales",
                                              "external_id": f"lead-{i}"}) for i in range(20)]
    manual = [t for t in made if not t["auto_dispatch"]]
    automatic = len(made) - len(manual)
    assert 3 <= len(manual) <= 17, "about half, by the hash of the external id"
    picked, cancelled = manual[0], manual[1]
    desk.ok("POST", f"/tickets/{picked['id']}/pickup", picker["token"])
    desk.ok("POST", f"/tickets/{cancelled['id']}/cancel")
    report = desk.ok("GET", "/queues/sales/rollout")
    assert report == {
        "queue": "sales", "from": report["from"], "to": report["to"],
        "auto_assign_percent": 50, "automatic": automatic, "manual": len(manual),
        "manual_picked_up": 1, "manual_waiting": len(manual) - 2, "manual_other": 1}
    desk.clock.advance(24 * 3600 + 1)
    assert desk.ok("GET", "/queues/sales/rollout")["manual"] == 0, "the last day only"
    assert desk.call("GET", "/queues/nowhere/rollout").status_code == 404


def test_a_queued_tickets_position_counts_only_its_own_queue(desk: LeadDesk) -> None:
    for n in range(3):
        desk.lead(f"backlog {n}", queue="default")
    desk.ok("POST", "/queues", json={"name": "new"})
    only = desk.lead("the only one", queue="new")
    assert only["queue_position"] == 1
    assert desk.ok("GET", f"/tickets/{only['id']}")["queue_position"] == 1
    second = desk.lead("second", queue="new")
    assert second["queue_position"] == 2
    urgent = desk.ok("POST", "/tickets", json={"title": "u", "queue": "default",
                                               "priority": "urgent"})
    assert urgent["queue_position"] == 1
    assert desk.ok("GET", f"/tickets/{second['id']}")["queue_position"] == 2


def test_every_ticket_response_says_when_its_acceptance_runs_out(desk: LeadDesk) -> None:
    desk.ok("PATCH", "/queues/sales", json={"accept_timeout_seconds": 300})
    a, b = desk.agents("AB", auto_assign=False)
    ticket = desk.lead()
    assert ticket["accept_deadline"] is None, "queued: no timer runs"
    deadline = "2026-01-05T10:05:00Z"
    assert desk.ok("POST", f"/tickets/{ticket['id']}/pickup", a["token"])[
        "accept_deadline"] == deadline
    assert desk.ok("GET", f"/tickets/{ticket['id']}")["accept_deadline"] == deadline
    listed = desk.ok("GET", "/tickets", params={"status": "assigned"})["items"]
    assert [t["accept_deadline"] for t in listed] == [deadline]
    desk.clock.advance(60)
    moved = desk.ok("POST", f"/tickets/{ticket['id']}/reassign", json={"agent_id": b["id"]})
    assert moved["accept_deadline"] == "2026-01-05T10:06:00Z", "from the new assignment"
    mine = desk.ok("GET", "/agent/my-queue", b["token"])["queue"]
    assert mine[0]["accept_deadline"] == "2026-01-05T10:06:00Z"
    accepted = desk.ok("POST", f"/tickets/{ticket['id']}/accept", b["token"])
    assert accepted["accept_deadline"] is None


def test_utilization_load_and_fairness_are_read_over_time_online(desk: LeadDesk) -> None:
    """A online the whole hour, holding a ticket half of it; B online half an hour, holding one
    all of it; C never online. The first hour of the period nobody is online."""
    start = desk.clock.now()
    a, b, c = desk.agents("ABC", online=False, max_tickets=2)
    desk.clock.advance(3600)
    desk.ok("POST", "/agent/go-online", a["token"])
    first = desk.lead("one")
    assert first["assigned_agent_id"] == a["id"]
    desk.clock.advance(1800)
    desk.ok("POST", f"/tickets/{first['id']}/accept", a["token"])
    desk.ok("POST", f"/tickets/{first['id']}/complete", a["token"])
    desk.ok("POST", "/agent/go-online", b["token"])
    desk.ok("PATCH", f"/agents/{a['id']}", json={"max_tickets": 0})
    second = desk.lead("two")
    desk.ok("PATCH", f"/agents/{a['id']}", json={"max_tickets": 2})
    assert second["assigned_agent_id"] == b["id"]
    desk.clock.advance(1800)
    stats = desk.ok("GET", "/stats", params={
        "from": start.isoformat(), "to": desk.clock.now().isoformat(), "queue": "sales"})
    ida, idb = str(a["id"]), str(b["id"])
    assert stats["agents"][ida] == {"online_seconds": 3600.0, "utilization": 0.5,
                                    "load": 0.25, "band": "below"}
    assert stats["agents"][idb] == {"online_seconds": 1800.0, "utilization": 1.0,
                                    "load": 0.5, "band": "above"}
    assert str(c["id"]) not in stats["agent_utilization"], "never online: no share due"
    assert stats["floor_utilization"] == pytest.approx((1800 + 1800) / 5400, abs=1e-4)
    fair = {f["agent_id"]: f for f in stats["fairness"]}
    # Two assignments, online 2:1: A's share is 4/3, B's 2/3.
    assert (fair[a["id"]]["expected"], fair[b["id"]]["expected"]) == (1.333, 0.667)
    assert (fair[a["id"]]["ratio"], fair[b["id"]]["ratio"]) == (0.75, 1.5)
    assert stats["gini"] == 0.0, "one each"
    assert stats["queues"]["sales"]["utilization"] == pytest.approx(0.6667, abs=1e-3)
    assert stats["utilization_band"] == {"low": 0.7, "high": 0.9}
    band = desk.ok("GET", "/workload")["utilization_band"]
    assert band == {"low": 0.7, "high": 0.9}


def test_agents_opt_in_and_out_themselves_unless_an_admin_locked_it(desk: LeadDesk) -> None:
    (a,) = desk.agents("A", auto_assign=False)
    waiting = desk.lead()
    assert waiting["status"] == "queued"
    me = desk.ok("PATCH", "/agent/me", a["token"], json={"auto_assign": True})
    assert me["auto_assign"] is True
    assert desk.holder(waiting) == a["id"], "opting in brings what waits at once"
    desk.ok("PATCH", f"/agents/{a['id']}", json={"auto_assign_locked": True})
    message = desk.refused("PATCH", "/agent/me", a["token"], "auto_assign_locked",
                           json={"auto_assign": False})
    assert "supervisor" in message
    assert desk.ok("PATCH", "/agent/me", a["token"], json={"language": "id"})["language"] == "id"
    assert desk.call("PATCH", "/agent/me", json={"language": "id"}).status_code == 403
    assert desk.call("PATCH", "/agent/me", a["token"],
                     json={"language": "fr"}).status_code == 422


def test_chat_notices_speak_the_agents_own_language(tg: Bot) -> None:
    agent = tg.client.post(f"{API}/agents", json={"name": "Sari"}, headers=ADMIN).json()
    tg.link(agent["id"], language_code="en")
    tg.client.post(f"{API}/agent/go-online", headers=bearer(agent["token"]))
    r = tg.client.patch(f"{API}/agent/me", json={"language": "id"},
                        headers=bearer(agent["token"]))
    assert r.status_code == 200
    ticket = tg.client.post(f"{API}/tickets", json={"title": "Tolong"}, headers=ADMIN).json()
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[-1].startswith("🎫 Tiket baru masuk ke antrean Anda!")
    assert ticket["number"] in tg.fake.sent_to(AGENT_CHAT)[-1]


def test_new_agents_take_the_deployments_default_language(
    database_url: str, clock: FakeClock
) -> None:
    from giliran.bootstrap import bootstrap
    from giliran.config import Settings
    from giliran.service.agents import agents
    from giliran.service.context import ADMIN as AS_ADMIN

    container = bootstrap(Settings(database_url=database_url, admin_token=ADMIN_TOKEN,
                                   default_language="id", scheduler=False, outbox=False),
                          clock=clock)
    try:
        made = agents.create_agent(container.ctx, AS_ADMIN, agents.NewAgent("Budi")).agent
        assert made.language.value == "id"
    finally:
        container.close()


def test_the_preset_command_sets_a_lead_desk_from_a_terminal(
    desk: LeadDesk, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GILIRAN_DATABASE_URL", database_url)
    monkeypatch.setenv("GILIRAN_ADMIN_TOKEN", ADMIN_TOKEN)
    result = CliRunner().invoke(cli, ["queue-preset", "sales", "lead_rotation"])
    assert result.exit_code == 0, result.output
    assert "strategy rotation" in result.output and "claim turn" in result.output
    queue = desk.ok("GET", "/queues/sales")
    assert (queue["strategy"], queue["max_per_agent"], queue["claim"]) == ("rotation", 1, "turn")
    assert audit(desk, subject="sales")[0]["action"] == "preset lead_rotation"
    unknown = CliRunner().invoke(cli, ["queue-preset", "sales", "call_centre"])
    assert unknown.exit_code == 2 and "lead_rotation or ticket_desk" in unknown.output
    missing = CliRunner().invoke(cli, ["queue-preset", "nowhere", "ticket_desk"])
    assert missing.exit_code == 1
