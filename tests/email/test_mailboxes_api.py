"""/api/v1/mailboxes on SQLite and PostgreSQL: admins add, read, change and deactivate the
desk's mailboxes; passwords and the SMTP URL's credentials never come back (not in answers,
the audit log or errors); bad input is a 4xx with a stable code; every change is audited with
who made it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_auth_matrix import PASSWORD, bearer, sign_in

API = "/api/v1"
MAILBOXES = f"{API}/mailboxes"
ADMIN = {"Authorization": "Bearer " + __import__("tests.support.server",
                                                  fromlist=["ADMIN_TOKEN"]).ADMIN_TOKEN}
PASSWORD_SENT = "imap-Secret-4417"
SMTP_SENT = "smtps://desk:smtp-Secret-9921@mail.desk.example:465"
SUPPORT = {"address": "Support@Desk.Example", "queue": "default", "name": "Support",
           "imap_host": "imap.desk.example", "imap_port": 993, "imap_user": "support",
           "imap_password": PASSWORD_SENT, "smtp_url": SMTP_SENT,
           "block_list": ["noreply@shop.example", "@spam.example"]}


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def code(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def test_a_mailbox_is_added_read_changed_and_deactivated_its_secrets_never_shown(
        api: TestClient) -> None:
    r = api.post(MAILBOXES, json=SUPPORT, headers=ADMIN)
    assert r.status_code == 201, r.text
    made = r.json()
    assert {k: made[k] for k in ("address", "queue", "name", "active", "imap_password_set",
                                 "smtp_url_set", "smtp_server", "imap_folder", "imap_idle",
                                 "poll_seconds", "block_list")} == {
        "address": "support@desk.example", "queue": "default", "name": "Support",
        "active": True, "imap_password_set": True, "smtp_url_set": True,
        "smtp_server": "smtps://mail.desk.example:465", "imap_folder": "INBOX",
        "imap_idle": True, "poll_seconds": 60,
        "block_list": ["@spam.example", "noreply@shop.example"]}
    path = f"{MAILBOXES}/{made['id']}"
    assert api.get(path, headers=ADMIN).json() == made
    assert [m["address"] for m in api.get(MAILBOXES, headers=ADMIN).json()["items"]] == [
        "support@desk.example"]

    r = api.patch(path, json={"imap_password": "another-Secret-1", "smtp_url": None,
                              "poll_seconds": 30}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert (r.json()["imap_password_set"], r.json()["smtp_url_set"],
            r.json()["smtp_server"], r.json()["poll_seconds"]) == (True, False, None, 30)
    r = api.delete(path, headers=ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    assert api.get(path, headers=ADMIN).json()["active"] is False  # kept, with its history

    audit = api.get(f"{API}/audit", params={"kind": "channel"}, headers=ADMIN).json()
    lines = [(e["subject"], e["action"], e["by"]["name"]) for e in reversed(audit["items"])]
    assert lines == [(f"mailbox:{made['id']}", action, "admin token")
                     for action in ("created", "changed", "deactivated")]
    changed = audit["items"][1]
    assert changed["after"]["imap_password_replaced"] is True
    assert changed["after"]["smtp_url_set"] is False
    everything = str([made, r.json(), audit, api.get(MAILBOXES, headers=ADMIN).json()])
    for secret in (PASSWORD_SENT, "another-Secret-1", "smtp-Secret-9921"):
        assert secret not in everything


BAD = [
    ({**SUPPORT, "address": "not an address"}, 422, "invalid_mailbox"),
    ({**SUPPORT, "queue": "nowhere"}, 422, "invalid_mailbox"),
    ({**SUPPORT, "imap_port": 70000}, 422, "invalid_request"),
    ({**SUPPORT, "smtp_url": "http://smtp-Secret-9921@x"}, 422, "invalid_mailbox"),
    ({**SUPPORT, "block_list": ["not blocked"]}, 422, "invalid_mailbox"),
    ({**SUPPORT, "imap_user": None}, 422, "invalid_mailbox"),
    ({**SUPPORT, "thread_key": "mine"}, 422, "invalid_request"),
    ({**SUPPORT, "imap_password": "Secret" * 200}, 422, "invalid_request"),
    ({**SUPPORT, "smtp_url": 7}, 422, "invalid_request"),
]


def test_bad_input_is_refused_with_a_stable_code_and_no_secret(api: TestClient) -> None:
    for body, status, error in BAD:
        r = api.post(MAILBOXES, json=body, headers=ADMIN)
        assert code(r) == (status, error), body
        assert "Secret" not in r.text
    assert api.get(MAILBOXES, headers=ADMIN).json()["items"] == []


def test_an_address_belongs_to_one_mailbox_and_unknown_ids_are_404(api: TestClient) -> None:
    first = api.post(MAILBOXES, json=SUPPORT, headers=ADMIN).json()
    assert code(api.post(MAILBOXES, json={"address": "SUPPORT@desk.example",
                                          "queue": "default"}, headers=ADMIN)) == (
        409, "mailbox_taken")
    other = api.post(MAILBOXES, json={"address": "sales@desk.example", "queue": "default"},
                     headers=ADMIN)
    assert other.status_code == 201 and other.json()["imap_password_set"] is False
    assert code(api.patch(f"{MAILBOXES}/{other.json()['id']}",
                          json={"address": first["address"]}, headers=ADMIN)) == (
        409, "mailbox_taken")
    assert code(api.patch(f"{MAILBOXES}/{other.json()['id']}", json={"queue": None},
                          headers=ADMIN)) == (422, "invalid_mailbox")
    assert code(api.get(f"{MAILBOXES}/999", headers=ADMIN)) == (404, "not_found")
    assert code(api.delete(f"{MAILBOXES}/999", headers=ADMIN)) == (404, "not_found")


def test_only_those_who_configure_the_desk_see_or_change_mailboxes(api: TestClient) -> None:
    callers = {}
    for role in ("supervisor", "agent", "admin"):
        made = api.post(f"{API}/users", headers=ADMIN, json={
            "email": f"{role}@example.com", "name": role.title(), "role": role,
            "password": PASSWORD})
        assert made.status_code == 201, made.text
        secret, csrf = sign_in(api, f"{role}@example.com")
        session = {"Cookie": f"giliran_session={secret}", "X-CSRF-Token": csrf}
        token = api.post(f"{API}/tokens", headers=session, json={"name": "t", "role": role})
        callers[role] = bearer(token.json()["token"])
    assert code(api.get(MAILBOXES)) == (401, "unauthorized")
    for refused in ("supervisor", "agent"):
        assert code(api.get(MAILBOXES, headers=callers[refused])) == (403, "forbidden")
        assert code(api.post(MAILBOXES, json=[1], headers=callers[refused])) == (
            403, "forbidden")
    r = api.post(MAILBOXES, json=SUPPORT, headers=callers["admin"])
    assert r.status_code == 201, r.text
    audit = api.get(f"{API}/audit", params={"kind": "channel"}, headers=ADMIN).json()
    assert audit["items"][0]["by"]["name"] == "Admin"
