"""Schedules through the API on SQLite and PostgreSQL: opening hours with split shifts,
exceptions and a country's holidays; open now and until when by the server's clock; a queue
keeping one; refusals that change nothing; every change in the audit log with who made it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from tests.integration.test_api_canned import supervisor
from tests.integration.test_api_seed import ADMIN
from tests.support.desks import API

SCHEDULES = f"{API}/schedules"
OFFICE = {
    "name": "jakarta", "timezone": "Asia/Jakarta",
    "hours": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]],
              "tue": [["08:00", "12:00"], ["13:00", "17:00"]]},
    "exceptions": [{"date": "2026-01-06", "hours": [["10:00", "12:00"]], "note": "training"},
                   {"date": "2026-01-13", "hours": []}],
    "holidays": "ID",
}


def code(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def listed(client: TestClient) -> list[dict[str, Any]]:
    r = client.get(SCHEDULES, headers=ADMIN)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_a_schedule_is_open_by_its_hours_in_its_timezone(client: TestClient,
                                                         clock: FakeClock) -> None:
    clock.set(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))  # Monday 10:00 in Jakarta (UTC+7)
    r = client.post(SCHEDULES, json=OFFICE, headers=ADMIN)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["hours"] == OFFICE["hours"]
    assert made["exceptions"] == [
        {"date": "2026-01-06", "hours": [["10:00", "12:00"]], "note": "training"},
        {"date": "2026-01-13", "hours": [], "note": ""}]
    # Indonesia's holidays of this year and next, imported from the library.
    days = {h["date"]: h["name"] for h in made["holidays"]}
    assert "2026-08-17" in days and "2027-08-17" in days and "2027-01-01" in days
    assert made["holiday_country"] == "ID"
    assert (made["open_now"], made["until"]) == (True, "2026-01-05T05:00:00Z")  # 12:00 WIB
    clock.set(datetime(2026, 1, 5, 5, 30, tzinfo=UTC))  # the lunch break
    now = client.get(f"{SCHEDULES}/jakarta", headers=ADMIN).json()
    assert (now["open_now"], now["until"]) == (False, "2026-01-05T06:00:00Z")
    clock.set(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))  # after closing: the exception's 10:00
    now = client.get(f"{SCHEDULES}/jakarta", headers=ADMIN).json()
    assert (now["open_now"], now["until"]) == (False, "2026-01-06T03:00:00Z")
    # A week later: Tuesday 13 is closed, so Monday 12's close leads to Monday 19's opening.
    clock.set(datetime(2026, 1, 12, 10, 0, tzinfo=UTC))
    now = client.get(f"{SCHEDULES}/jakarta", headers=ADMIN).json()
    assert (now["open_now"], now["until"]) == (False, "2026-01-19T01:00:00Z")


def test_bad_schedules_are_refused_and_change_nothing(client: TestClient) -> None:
    assert client.post(SCHEDULES, json=OFFICE, headers=ADMIN).status_code == 201
    before = listed(client)
    week = {"mon": [["08:00", "17:00"]]}
    for body, expected in (
        ({"timezone": "America"}, "invalid_input"),  # a directory of zones, not a zone
        ({"timezone": "Mars/Olympus_Mons"}, "invalid_input"),
        ({"hours": {"mon": [["17:00", "08:00"]]}}, "invalid_input"),
        ({"hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}}, "invalid_input"),
        ({"hours": {"mon": [["08:00", "25:00"]]}}, "invalid_request"),
        ({"hours": {"mun": [["08:00", "17:00"]]}}, "invalid_request"),
        ({"hours": {"mon": [["08:00"]]}}, "invalid_request"),
        ({"exceptions": [{"date": "2026-02-02"}, {"date": "2026-02-02"}]}, "invalid_input"),
        ({"exceptions": [{"date": "9999-12-31"}]}, "invalid_request"),
        ({"holidays": "XX"}, "invalid_input"),
        ({"name": "Big Office"}, "invalid_request"),
        ({"name": "jakarta"}, "conflict"),
    ):
        sent = {"name": "other", "timezone": "Asia/Jakarta", "hours": week, **body}
        status = 409 if expected == "conflict" else 422
        assert code(client.post(SCHEDULES, json=sent, headers=ADMIN)) == (status, expected), body
    for body in ({"timezone": "Nowhere/Else"}, {"hours": {"tue": [["09:00", "09:00"]]}},
                 {"holidays": [{"date": "2026-03-01", "name": "a"},
                               {"date": "2026-03-01", "name": "b"}]},
                 {"holidays": [{"date": "2026-03-01", "name": ""}]}, {"name": "renamed"}):
        r = client.patch(f"{SCHEDULES}/jakarta", json=body, headers=ADMIN)
        assert r.status_code == 422, (body, r.text)
    assert code(client.post(f"{SCHEDULES}/jakarta/holidays", json={"country": "XX",
                                                                   "year": 2027},
                            headers=ADMIN)) == (422, "invalid_input")
    assert code(client.patch(f"{SCHEDULES}/nowhere", json={}, headers=ADMIN)) == (
        404, "not_found")
    assert listed(client) == before


def test_a_queue_keeps_a_schedule_that_exists_and_it_cannot_go_while_kept(
    client: TestClient,
) -> None:
    assert client.post(SCHEDULES, json=OFFICE, headers=ADMIN).status_code == 201
    queue = f"{API}/queues/default"
    assert code(client.patch(queue, json={"schedule": "nowhere"}, headers=ADMIN)) == (
        422, "unknown_schedule")
    assert code(client.post(f"{API}/queues", json={"name": "sales", "schedule": "nowhere"},
                            headers=ADMIN)) == (422, "unknown_schedule")
    assert client.get(queue, headers=ADMIN).json()["schedule"] is None
    r = client.patch(queue, json={"schedule": "jakarta"}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["schedule"] == "jakarta"
    # Another change to the queue leaves its schedule as it is.
    assert client.patch(queue, json={"max_wait_seconds": 60},
                        headers=ADMIN).json()["schedule"] == "jakarta"
    assert listed(client)[0]["queues"] == ["default"]
    assert code(client.delete(f"{SCHEDULES}/jakarta", headers=ADMIN)) == (409,
                                                                           "schedule_in_use")
    assert client.get(f"{SCHEDULES}/jakarta", headers=ADMIN).status_code == 200
    assert client.patch(queue, json={"schedule": None}, headers=ADMIN).json()["schedule"] is None
    assert client.delete(f"{SCHEDULES}/jakarta", headers=ADMIN).status_code == 204
    assert code(client.get(f"{SCHEDULES}/jakarta", headers=ADMIN)) == (404, "not_found")
    assert listed(client) == []


def test_holidays_imported_by_year_then_edited(client: TestClient) -> None:
    body = {k: v for k, v in OFFICE.items() if k != "holidays"}
    assert client.post(SCHEDULES, json=body, headers=ADMIN).json()["holidays"] == []
    r = client.post(f"{SCHEDULES}/jakarta/holidays", json={"country": "id", "year": 2027},
                    headers=ADMIN)
    assert r.status_code == 200, r.text
    days = {h["date"]: h["name"] for h in r.json()["holidays"]}
    # Named in the country's own language (the library's default for Indonesia).
    assert "Kemerdekaan" in days["2027-08-17"] and all(d.startswith("2027") for d in days)
    assert r.json()["holiday_country"] == "ID"
    # Edited: one renamed, one dropped, one of the office's own added.
    edited = [{"date": d, "name": "Hari Merdeka" if d == "2027-08-17" else n}
              for d, n in days.items() if d != "2027-01-01"] + [
        {"date": "2027-03-03", "name": "Office outing"}]
    r = client.patch(f"{SCHEDULES}/jakarta", json={"holidays": edited}, headers=ADMIN)
    assert r.status_code == 200, r.text
    after = {h["date"]: h["name"] for h in r.json()["holidays"]}
    assert after["2027-08-17"] == "Hari Merdeka" and "2027-01-01" not in after
    assert after["2027-03-03"] == "Office outing"
    # Importing again brings back what the library has, and keeps the office's own names.
    again = client.post(f"{SCHEDULES}/jakarta/holidays", json={"country": "ID", "year": 2027},
                        headers=ADMIN).json()
    names = {h["date"]: h["name"] for h in again["holidays"]}
    assert names["2027-08-17"] == "Hari Merdeka" and "2027-01-01" in names
    assert names["2027-03-03"] == "Office outing"
    # Named in the language asked for (the console sends its own) where the calendar has it.
    english = client.post(SCHEDULES, headers=ADMIN, json={
        "name": "english", "timezone": "Asia/Jakarta", "holidays": "ID",
        "holiday_language": "en"}).json()
    assert "Independence Day" in {h["name"] for h in english["holidays"]}
    r = client.post(f"{SCHEDULES}/english/holidays", headers=ADMIN,
                    json={"country": "ID", "year": 2030, "language": "id"})
    assert r.status_code == 200, r.text
    assert "Hari Kemerdekaan Republik Indonesia" in {
        h["name"] for h in r.json()["holidays"] if h["date"] == "2030-08-17"}
    assert client.post(f"{SCHEDULES}/english/holidays", headers=ADMIN, json={
        "country": "ID", "year": 2030, "language": "english"}).status_code == 422


def test_changes_are_audited_with_the_persons_name_and_supervisors_only_read(
    client: TestClient,
) -> None:
    lead = supervisor(client, "lead@example.com", [])
    assert client.post(SCHEDULES, json=OFFICE, headers=lead).status_code == 403
    assert client.post(SCHEDULES, json=OFFICE, headers=ADMIN).status_code == 201
    assert [s["name"] for s in client.get(SCHEDULES, headers=lead).json()["items"]] == [
        "jakarta"]
    assert client.patch(f"{SCHEDULES}/jakarta", json={"hours": {"sat": [["09:00", "12:00"]]}},
                        headers=ADMIN).status_code == 200
    assert client.patch(f"{SCHEDULES}/jakarta", json={"hours": {"sat": [["09:00", "12:00"]]}},
                        headers=ADMIN).status_code == 200  # the same again: no line
    assert client.delete(f"{SCHEDULES}/jakarta", headers=ADMIN).status_code == 204
    entries = client.get(f"{API}/audit", params={"kind": "schedule"},
                         headers=ADMIN).json()["items"]
    assert [(e["subject"], e["action"]) for e in entries] == [
        ("jakarta", "deleted"), ("jakarta", "changed"), ("jakarta", "created")]
    changed = entries[1]
    assert changed["before"]["hours"] == OFFICE["hours"]
    assert changed["after"]["hours"] == {"sat": [["09:00", "12:00"]]}
    assert {e["actor"] for e in entries} == {"admin"}
