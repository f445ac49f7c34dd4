"""A queue outside its opening hours, through the HTTP API on SQLite and PostgreSQL, on a fake
clock: its tickets wait (a pick-up by hand stays allowed), its business-time timers stand
still, the timer pass assigns what waited at the opening, sets members offline at closing when
the queue says so, and /workload shows each queue open or closed and until when.

Sales keeps Jakarta office hours (UTC+7, no DST): weekdays 08:00-17:00. 2026-01-05 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import Container
from giliran.domain.hours import Schedule, parse_weekly
from giliran.service.assignment.timers import TickReport, tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_whatsapp import tickets
from tests.support.desks import Desk

API = "/api/v1"
OFFICE = {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
MONDAY_18 = datetime(2026, 1, 5, 11, 0, tzinfo=UTC)  # 18:00 WIB: closed
TUESDAY_08 = datetime(2026, 1, 6, 1, 0, tzinfo=UTC)  # 08:00 WIB: opens
TUESDAY_17 = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)  # 17:00 WIB: closes


class Office:
    def __init__(self, client: TestClient, container: Container, clock: FakeClock) -> None:
        self.client, self.container, self.clock = client, container, clock
        with container.ctx.uow(write=True) as uow:
            uow.schedules.add(Schedule("office", "Asia/Jakarta", parse_weekly(OFFICE)))
            uow.commit()
        self.ok("PATCH", "/settings", json={"presence_grace_seconds": 0})
        self.ok("POST", "/queues", json={"name": "sales"})

    def ok(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = bearer(token) if token else ADMIN
        r = self.client.request(method, API + path, headers=headers, **kw)
        assert r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json()

    def policy(self, **fields: Any) -> None:
        self.ok("PATCH", "/queues/sales", json={"schedule": "office"} | fields)

    def agent(self, name: str, queues: tuple[str, ...] = ("sales",)) -> dict[str, Any]:
        made = make_agent(self.client, name, queues=list(queues))
        online(self.client, made)
        return made

    def at(self, when: datetime) -> TickReport:
        self.clock.set(when)
        return tick(self.container.ctx)

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        return dict(self.ok("GET", f"/tickets/{ticket_id}"))

    def sales(self) -> dict[str, Any]:
        found = [q for q in self.ok("GET", "/workload")["queues"] if q["name"] == "sales"]
        return dict(found[0])

    def presence(self, agent: dict[str, Any]) -> str:
        return str(self.ok("GET", f"/agents/{agent['id']}")["presence"])


@pytest.fixture
def office(client: TestClient, container: Container, clock: FakeClock) -> Office:
    clock.set(MONDAY_18)
    return Office(client, container, clock)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_a_ticket_after_closing_waits_without_aging_and_is_assigned_at_opening(
    office: Office,
) -> None:
    office.policy(priority_aging_seconds=600, max_wait_seconds=900)
    sari = office.agent("Sari")
    lead = office.ok("POST", "/tickets", json={"title": "after hours", "queue": "sales"})
    assert (lead["status"], lead["assigned_agent_id"]) == ("queued", None)
    sales = office.sales()
    assert (sales["open"], sales["open_until"]) == (False, None)
    assert sales["closed_until"] in (iso(TUESDAY_08), TUESDAY_08.isoformat())
    # All night: no aging, no waiting-too-long flag, nobody assigned.
    report = office.at(datetime(2026, 1, 6, 0, 59, tzinfo=UTC))
    assert (report.aged, report.waiting_too_long) == (0, 0)
    waiting = office.ticket(lead["id"])
    assert (waiting["status"], waiting["priority"], waiting["flag"]) == ("queued", "normal", None)
    opened = office.at(TUESDAY_08)
    assert opened.opened == 1
    assert office.ticket(lead["id"])["assigned_agent_id"] == sari["id"], "assigned at opening"
    assert office.sales()["open"] is True
    assert office.at(TUESDAY_08).opened == 0, "an opening is acted on once"


def test_while_closed_a_ticket_can_still_be_picked_up_by_hand(office: Office) -> None:
    office.policy()
    sari = office.agent("Sari")
    lead = office.ok("POST", "/tickets", json={"title": "urgent", "queue": "sales"})
    office.ok("POST", f"/tickets/{lead['id']}/pickup", sari["token"])
    assert office.ticket(lead["id"])["assigned_agent_id"] == sari["id"]


def test_business_time_timers_stand_still_overnight_and_calendar_ones_run(
    office: Office,
) -> None:
    office.policy(accept_timeout_seconds=600)
    office.at(datetime(2026, 1, 6, 9, 55, tzinfo=UTC))  # Tuesday 16:55 WIB: open
    sari, tono = office.agent("Sari"), office.agent("Tono")
    lead = office.ok("POST", "/tickets", json={"title": "late", "queue": "sales"})
    assert lead["assigned_agent_id"] == sari["id"]
    # 5 minutes used before closing; 5 left from Wednesday 08:00 WIB: the deadline the desk
    # is shown is the one the timer keeps, wherever a ticket is shown.
    due = datetime(2026, 1, 7, 1, 5, tzinfo=UTC)
    assert _deadlines(office, lead["id"], sari) == [iso(due)] * 4
    assert office.at(datetime(2026, 1, 7, 1, 4, 59, tzinfo=UTC)).escalated == 0
    assert office.at(datetime(2026, 1, 7, 1, 5, tzinfo=UTC)).escalated == 1
    assert office.ticket(lead["id"])["assigned_agent_id"] == tono["id"]
    # The same, with the accept timer running around the clock: due overnight.
    office.policy(calendar_clocks=["accept"])
    office.at(datetime(2026, 1, 7, 9, 55, tzinfo=UTC))
    second = office.ok("POST", "/tickets", json={"title": "late too", "queue": "sales"})
    assert second["assigned_agent_id"] is not None
    assert second["accept_deadline"] == iso(datetime(2026, 1, 7, 10, 5, tzinfo=UTC))
    assert office.at(datetime(2026, 1, 7, 10, 5, tzinfo=UTC)).escalated == 1


def _deadlines(office: Office, ticket_id: int, holder: dict[str, Any]) -> list[str]:
    """The accept deadline as the ticket, the supervisor's list, the agent's queue and the
    agent's inbox show it."""
    listed = office.ok("GET", "/tickets", params={"queue": "sales"})["items"]
    mine = office.ok("GET", "/agent/my-queue", holder["token"])["queue"]
    inbox = office.ok("GET", "/agent/inbox", holder["token"])["items"]
    return [office.ticket(ticket_id)["accept_deadline"],
            next(t for t in listed if t["id"] == ticket_id)["accept_deadline"],
            next(t for t in mine if t["id"] == ticket_id)["accept_deadline"],
            next(i["ticket"] for i in inbox if i["ticket"]["id"] == ticket_id)[
                "accept_deadline"]]


def test_members_go_offline_at_closing_unless_another_queue_is_open(office: Office) -> None:
    office.policy(offline_at_closing=True)
    office.at(datetime(2026, 1, 6, 9, 0, tzinfo=UTC))  # Tuesday 16:00 WIB: open, seen open
    sari = office.agent("Sari")
    both = office.agent("Budi", queues=("sales", "default"))
    closed = office.at(TUESDAY_17)
    assert (closed.closed, closed.went_offline) == (1, 1)
    assert office.presence(sari) == "offline"
    assert office.presence(both) == "online", "default is always open"
    assert office.at(TUESDAY_17).closed == 0, "a closing is acted on once"
    assert office.sales()["open"] is False


def test_a_whatsapp_customer_writing_after_closing_is_told_once_when_it_opens(
    wa: Desk, clock: FakeClock
) -> None:
    clock.set(MONDAY_18)
    with wa.container.ctx.uow(write=True) as uow:
        uow.schedules.add(Schedule("office", "Asia/Jakarta", parse_weekly(OFFICE)))
        uow.commit()
    r = wa.client.patch(f"{API}/queues/sales", json={"schedule": "office"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    wa.client.patch(f"{API}/settings", json={"presence_grace_seconds": 0}, headers=ADMIN)
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, seller)
    wa.says("Halo, masih buka?", "wamid.N1")
    wa.says("Halo?", "wamid.N2")
    (lead,) = tickets(wa.client)
    assert (lead["status"], lead["assigned_agent_id"]) == ("queued", None)
    sent = [m for m in wa.conversation(lead["id"]) if m["direction"] == "out"]
    assert [m["body"] for m in sent] == [
        "🌙 We are closed right now. We open again on Tuesday 6 January 08:00 (Asia/Jakarta); "
        "your message is waiting and an agent will answer you then."]
    assert wa.deliver() == 1
    (call,) = wa.graph.sent()
    assert call.body["text"]["body"].startswith("🌙 We are closed")
    clock.set(TUESDAY_08)
    tick(wa.container.ctx)
    assert tickets(wa.client)[0]["assigned_agent_id"] == seller["id"]
    wa.says("Sudah buka?", "wamid.N3")
    assert len([m for m in wa.conversation(lead["id"]) if m["direction"] == "out"]) == 1


def test_a_night_arrival_with_nobody_online_is_not_unreachable(office: Office) -> None:
    """At night nobody is online, and a closed queue assigns nothing anyway: what a supervisor
    needs to see in the morning is a ticket waiting for the opening, not one flagged as if
    nobody could ever take it. A queue that has nobody at all is unreachable, night or day."""
    office.policy()
    make_agent(office.client, "Sari", queues=["sales"])  # a member, offline for the night
    lead = office.ok("POST", "/tickets", json={"title": "after hours", "queue": "sales"})
    assert (lead["status"], lead["flag"]) == ("queued", None)
    assert office.sales()["unreachable"] == 0
    office.ok("POST", "/queues", json={"name": "billing", "schedule": "office"})
    stray = office.ok("POST", "/tickets", json={"title": "nobody", "queue": "billing"})
    assert (stray["flag"], stray["flag_reason"]) == ("unreachable", "no_members")
    office.at(TUESDAY_08)
    assert office.ticket(lead["id"])["flag"] is None, "it waits for Sari to come online"
