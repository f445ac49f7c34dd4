"""How the API refuses, on SQLite and PostgreSQL alike: text the databases cannot store is 422
wherever it is sent (body, query, path, channel webhooks); 401 comes before 403, which comes
before anything about the input; validation messages never repeat what was sent; rules the
floor's state breaks are 409 with their code."""

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
from tests.integration.test_api_contract import ADMIN_ONLY, error_code
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online, post_ticket
from tests.support.server import ADMIN_TOKEN

API = "/api/v1"
JSON = {**ADMIN, "Content-Type": "application/json"}


def count_tickets(client: TestClient) -> int:
    return int(client.get(f"{API}/tickets", headers=ADMIN).json()["total"])


@pytest.mark.parametrize(("method", "path", "raw"), [
    ("post", "/tickets", b'{"title": "a\\u0000b"}'),
    ("post", "/tickets", b'{"title": "ok", "external_id": "x\\u0000"}'),
    ("post", "/tickets", b'{"title": "\\ud800 alone"}'),  # an unpaired surrogate
    ("post", "/tickets", b'{"title": "ok", "description": "\\udfff"}'),
    ("post", "/agents", b'{"name": "Sa\\u0000ri"}'),
    ("post", "/agents", b'{"name": "Sari", "queues": ["default", "sa\\u0000les"]}'),
    ("post", "/queues", b'{"name": "sales\\u0000"}'),
    ("post", "/webhooks", b'{"url": "https://example.com/h", "secret": "0123456789abcdef\\u0000"}'),
    ("post", "/webhooks", b'{"url": "https://example.com/h\\u0000", "secret": "0123456789abcdef"}'),
    ("patch", "/settings", b'{"presence_grace_seconds": 5, "\\u0000": 1}'),
])
def test_unstorable_text_in_a_body_is_422(client: TestClient, method: str, path: str,
                                          raw: bytes) -> None:
    r = client.request(method.upper(), API + path, content=raw, headers=JSON)
    assert r.status_code == 422, r.text
    assert error_code(r) == "invalid_request"
    assert "NUL" in r.json()["error"]["details"][0]["msg"]
    assert count_tickets(client) == 0
    assert client.get(f"{API}/agents", headers=ADMIN).json() == []


@pytest.mark.parametrize("target", [
    "/tickets?queue=a%00b", "/history?queue=%00", "/stats?queue=x%00", "/queues/sa%00les",
    "/stats/series?queue=%00", "/agents?anything=%00",
])
def test_nul_in_a_path_or_query_is_422(client: TestClient, target: str) -> None:
    r = client.get(API + target, headers=ADMIN)
    assert (r.status_code, error_code(r)) == (422, "invalid_request"), r.text
    r = client.patch(f"{API}/queues/de%00fault", json={"strategy": "random"}, headers=ADMIN)
    assert r.status_code == 422


def test_unstorable_text_from_whatsapp_is_422_and_stores_nothing(
    database_url: str, clock: FakeClock
) -> None:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False, whatsapp_app_secret="app-secret-0123456789")
    container = bootstrap(settings, clock=clock)
    raw = orjson.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "1"}, "messages": [
            {"from": "62811", "id": "wamid.1", "type": "text",
             "text": {"body": "halo\x00"}}]}}]}]})
    signature = "sha256=" + hmac.new(b"app-secret-0123456789", raw, hashlib.sha256).hexdigest()
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            r = client.post(f"{API}/webhooks/whatsapp", content=raw,
                            headers={"X-Hub-Signature-256": signature})
            assert (r.status_code, error_code(r)) == (422, "invalid_request")
            assert count_tickets(client) == 0
    finally:
        container.close()


# --- 401, then 403, then 422 -------------------------------------------------------------

WITH_BODY_OR_ID = [(m, p, b) for m, p, b in ADMIN_ONLY if b is not None or "/1" in p]


@pytest.mark.parametrize(("method", "path", "body"), WITH_BODY_OR_ID)
def test_an_agent_gets_403_before_anything_about_its_input(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    agent = make_agent(client, "a")
    bad_path = path.replace("/1", "/0").replace("/default", "/NOT A QUEUE!")
    r = client.request(method.upper(), bad_path, content=b"{not json",
                       headers={**bearer(agent["token"]), "Content-Type": "application/json"})
    assert (r.status_code, error_code(r)) == (403, "forbidden"), r.text
    assert "details" not in r.json()["error"], "it told a stranger what was wrong"


@pytest.mark.parametrize(("method", "path", "body"), [
    *WITH_BODY_OR_ID, ("post", "/api/v1/tickets", {"title": "x"}),
    ("post", "/api/v1/tickets/1/accept", None)])
def test_no_token_and_malformed_json_is_401(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    r = client.request(method.upper(), path.replace("/1", "/0"), content=b"{not json",
                       headers={"Content-Type": "application/json"})
    assert (r.status_code, error_code(r)) == (401, "unauthorized"), r.text


def test_an_intake_token_may_only_create_tickets(database_url: str, clock: FakeClock) -> None:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, scheduler=False,
                        outbox=False, intake_tokens="intake-token-0123456789")
    container = bootstrap(settings, clock=clock)
    intake = bearer("intake-token-0123456789")
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            bad = client.post(f"{API}/tickets", content=b"{", headers={
                **intake, "Content-Type": "application/json"})
            assert bad.status_code == 422
            assert client.post(f"{API}/tickets", json={"title": "t"},
                               headers=intake).status_code == 201
            r = client.post(f"{API}/agent/go-online", headers=intake)
            assert (r.status_code, error_code(r)) == (403, "forbidden")
            r = client.patch(f"{API}/agents/x", content=b"{", headers=intake)
            assert r.status_code == 403
    finally:
        container.close()


# --- validation messages never repeat input ----------------------------------------------

MARK = "leaked-marker@example.com"


def test_validation_messages_never_repeat_what_was_sent(client: TestClient) -> None:
    """Every operation with a body gets every field set to a value that is wrong for most
    (plus an unknown field); no 422 may say the value back."""
    schema = client.get(f"{API}/openapi.json").json()
    agent = bearer(make_agent(client, "validated")["token"])  # for the agent's own endpoints
    seen = 0
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            # An optional body (POST /tickets/{id}/hold) is anyOf its model and null; one
            # told apart by a field (POST /tickets/bulk's action) is oneOf its models.
            ref = next((s["$ref"] for s in [content["schema"], *content["schema"].get(
                "anyOf", []), *content["schema"].get("oneOf", [])] if "$ref" in s), "")
            model = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            body = {name: MARK for name in model.get("properties", {})}
            body[MARK] = [MARK]
            target = path.replace("{name}", "default")
            for param in ("{agent_id}", "{ticket_id}", "{webhook_id}", "{policy_id}"):
                target = target.replace(param, "1")
            caller = agent if path.startswith(f"{API}/agent/") else ADMIN
            r = client.request(method.upper(), target, json=body, headers=caller)
            assert r.status_code == 422, (method, path, r.text)
            assert MARK not in r.text, (method, path, r.text)
            seen += 1
    assert seen >= 9
    r = client.post(f"{API}/webhooks", json={"url": "https://example.com/h",
                                             "secret": "0123456789abcdef", "events": [MARK]},
                    headers=ADMIN)
    assert r.status_code == 422 and MARK not in r.text
    r = client.post(f"{API}/tickets", json={"title": "t", "queue": MARK}, headers=ADMIN)
    assert r.status_code == 422 and MARK not in r.text
    r = client.get(f"{API}/tickets", params={"status": MARK, "limit": MARK}, headers=ADMIN)
    assert r.status_code == 422 and MARK not in r.text


# --- business rules are 409 --------------------------------------------------------------

def test_refusals_by_the_floors_state_are_409_with_their_code(client: TestClient) -> None:
    assert client.post(f"{API}/queues", json={"name": "old"}, headers=ADMIN).status_code == 201
    client.patch(f"{API}/queues/old", json={"active": False}, headers=ADMIN)
    r = client.post(f"{API}/tickets", json={"title": "t", "queue": "old"}, headers=ADMIN)
    assert (r.status_code, error_code(r)) == (409, "queue_inactive")

    a, gone = make_agent(client, "a"), make_agent(client, "gone")
    online(client, a)
    ticket = post_ticket(client, "t")
    client.delete(f"{API}/agents/{gone['id']}", headers=ADMIN)
    r = client.post(f"{API}/tickets/{ticket['id']}/reassign", json={"agent_id": gone["id"]},
                    headers=ADMIN)
    assert (r.status_code, error_code(r)) == (409, "agent_inactive")
    r = client.patch(f"{API}/queues/default", json={"next_agent_id": gone["id"]}, headers=ADMIN)
    assert (r.status_code, error_code(r)) == (409, "agent_inactive")
    assert client.get(f"{API}/tickets/{ticket['id']}", headers=ADMIN).json()[
        "assigned_agent_id"] == a["id"]


@pytest.fixture
def many_routes(client: TestClient) -> Iterator[dict[str, Any]]:
    yield client.get(f"{API}/openapi.json").json()["paths"]


def test_405_names_every_method_the_path_serves(client: TestClient) -> None:
    r = client.delete(f"{API}/tickets", headers=ADMIN)
    assert (r.status_code, error_code(r)) == (405, "method_not_allowed")
    assert set(r.headers["allow"].split(", ")) >= {"GET", "POST"}
    r = client.put(f"{API}/queues/default", headers=ADMIN)
    assert set(r.headers["allow"].split(", ")) >= {"GET", "PATCH"}
