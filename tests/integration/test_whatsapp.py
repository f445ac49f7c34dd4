"""The WhatsApp Cloud API webhook, on SQLite and PostgreSQL, with payloads shaped like Meta's
published examples, signed by the test with a known app secret."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from giliran.adapters.clock import FakeClock
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.entrypoints.api.app import create_app
from tests.integration.test_api_seed import ADMIN, make_agent, online
from tests.support.server import ADMIN_TOKEN

APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "verify-me-0123456789"
HOOK = "/api/v1/webhooks/whatsapp"
SALES_PHONE_ID = "106540352242922"


@pytest.fixture
def wa(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN,
                        scheduler=False, outbox=False,
                        whatsapp_app_secret=APP_SECRET, whatsapp_verify_token=VERIFY_TOKEN,
                        whatsapp_queues=f"{SALES_PHONE_ID}=sales")
    container = bootstrap(settings, clock=clock)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            assert client.post("/api/v1/queues", json={"name": "sales"},
                               headers=ADMIN).status_code == 201
            yield client
    finally:
        container.close()


def payload(*messages: dict[str, Any], phone_id: str = SALES_PHONE_ID,
            contacts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_id},
    }
    if messages:
        value["messages"] = list(messages)
        value["contacts"] = contacts or [{"profile": {"name": "Budi"}, "wa_id": "6281234567890"}]
    return {"object": "whatsapp_business_account", "entry": [
        {"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}


def text(message_id: str, body: str, sender: str = "6281234567890") -> dict[str, Any]:
    return {"from": sender, "id": message_id, "timestamp": "1763800000", "type": "text",
            "text": {"body": body}}


def post(client: TestClient, body: dict[str, Any] | bytes, *, sign: bool = True,
         secret: str = APP_SECRET) -> Any:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Content-Type": "application/json"}
    if sign:
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(
            secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(HOOK, content=raw, headers=headers)


def tickets(client: TestClient) -> list[dict[str, Any]]:
    return list(client.get("/api/v1/tickets", headers=ADMIN).json()["items"])


def test_meta_verifies_the_webhook_with_our_token(wa: TestClient) -> None:
    ok = wa.get(HOOK, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                              "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = wa.get(HOOK, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                               "hub.challenge": "x"})
    assert bad.status_code == 403 and VERIFY_TOKEN not in bad.text


def test_a_new_contact_opens_a_lead_and_later_messages_join_it(wa: TestClient) -> None:
    seller = make_agent(wa, "seller", queues=["sales"])
    online(wa, seller)
    r = post(wa, payload(text("wamid.A1", "Halo, mau tanya harga paket premium")))
    assert r.status_code == 200 and r.json()["opened"] == 1
    (lead,) = tickets(wa)
    assert (lead["queue"], lead["title"], lead["category"], lead["assigned_agent_id"]) == (
        "sales", "Halo, mau tanya harga paket premium", "whatsapp", seller["id"])
    r = post(wa, payload(text("wamid.A2", "Untuk 10 orang")))
    assert r.json()["added"] == 1 and len(tickets(wa)) == 1
    said = wa.get(f"/api/v1/tickets/{lead['id']}/messages", headers=ADMIN).json()
    assert [(m["sender"], m["body"]) for m in said] == [
        ("Budi", "Halo, mau tanya harga paket premium"), ("Budi", "Untuk 10 orang")]
    # Another contact, and a phone number id with no mapping (the default queue).
    other = payload(text("wamid.B1", "Hi", sender="6289999"), phone_id="999",
                    contacts=[{"profile": {"name": "Sari"}, "wa_id": "6289999"}])
    assert post(wa, other).json()["opened"] == 1
    assert {t["queue"] for t in tickets(wa)} == {"sales", "default"}


def test_a_redelivered_message_changes_nothing(wa: TestClient) -> None:
    body = payload(text("wamid.D1", "Halo"))
    assert post(wa, body).json()["opened"] == 1
    again = post(wa, body)
    assert again.status_code == 200 and again.json()["duplicate"] == 1
    assert len(tickets(wa)) == 1
    (lead,) = tickets(wa)
    assert len(wa.get(f"/api/v1/tickets/{lead['id']}/messages", headers=ADMIN).json()) == 1


def test_unsigned_or_tampered_deliveries_are_refused_and_store_nothing(wa: TestClient) -> None:
    body = orjson.dumps(payload(text("wamid.T1", "Halo")))
    unsigned = post(wa, body, sign=False)
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (401, "signature_missing")
    wrong_key = post(wa, body, secret="someone-elses-secret")
    assert wrong_key.status_code == 403
    signed = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    tampered = wa.post(HOOK, content=body.replace(b"Halo", b"Hack"),
                       headers={"X-Hub-Signature-256": signed})
    assert (tampered.status_code, tampered.json()["error"]["code"]) == (403, "bad_signature")
    assert tickets(wa) == []
    assert APP_SECRET not in unsigned.text + wrong_key.text + tampered.text


def test_status_callbacks_and_other_changes_are_accepted_and_ignored(wa: TestClient) -> None:
    statuses = payload()
    statuses["entry"][0]["changes"][0]["value"]["statuses"] = [{
        "id": "wamid.S1", "status": "delivered", "timestamp": "1763800001",
        "recipient_id": "6281234567890"}]
    assert post(wa, statuses).json() == {"received": 0, "opened": 0, "added": 0,
                                         "duplicate": 0}
    other_field = payload(text("wamid.X1", "x"))
    other_field["entry"][0]["changes"][0]["field"] = "account_update"
    assert post(wa, other_field).json()["received"] == 0
    image = payload({"from": "6281234567890", "id": "wamid.I1", "timestamp": "1763800002",
                     "type": "image", "image": {"caption": "bukti transfer", "id": "m1"}})
    assert post(wa, image).json()["opened"] == 1
    assert tickets(wa)[0]["title"] == "[image] bukti transfer"
    assert post(wa, b"not json").status_code == 422
    assert post(wa, {"object": "page", "entry": []}).status_code == 422


def test_without_an_app_secret_the_webhook_is_off(client: TestClient) -> None:
    r = client.post(HOOK, json=payload(text("wamid.N1", "hi")))
    assert (r.status_code, r.json()["error"]["code"]) == (503, "not_configured")
