"""Agent names through the HTTP API on SQLite and PostgreSQL: a name another active agent has
is taken (a desk may have two Sari), with a warning the supervisor can act on."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.test_api_seed import ADMIN, make_agent

API = "/api/v1"


def codes(answer: dict[str, Any]) -> list[str]:
    return [w["code"] for w in answer["warnings"]]


def test_a_second_agent_of_the_same_name_is_created_with_a_warning(client: TestClient) -> None:
    sari = make_agent(client, "Sari Dewi")
    assert sari["warnings"] == [], "the first of a name: nothing to say"
    twin = make_agent(client, "  sari dewi ")
    assert (twin["name"], codes(twin)) == ("sari dewi", ["duplicate_name"])
    assert twin["warnings"][0]["message"] == (
        f"another active agent is already named 'sari dewi' (id {sari['id']})")
    third = make_agent(client, "SARI DEWI")
    assert third["warnings"][0]["message"].startswith("2 other active agents are already named")
    names = [a["name"] for a in client.get(f"{API}/agents", headers=ADMIN).json()]
    assert names.count("Sari Dewi") + names.count("sari dewi") + names.count("SARI DEWI") == 3


def test_renaming_to_a_name_another_active_agent_has_warns_and_renames(
    client: TestClient,
) -> None:
    budi, other = make_agent(client, "Budi"), make_agent(client, "Ani")
    r = client.patch(f"{API}/agents/{other['id']}", json={"name": "BUDI"}, headers=ADMIN)
    assert r.status_code == 200 and (r.json()["name"], codes(r.json())) == (
        "BUDI", ["duplicate_name"])
    r = client.patch(f"{API}/agents/{other['id']}", json={"max_tickets": 3}, headers=ADMIN)
    assert codes(r.json()) == [], "only a change of name is checked"
    r = client.patch(f"{API}/agents/{budi['id']}", json={"name": "Budi"}, headers=ADMIN)
    assert codes(r.json()) == ["duplicate_name"], "BUDI still has it"
    assert client.delete(f"{API}/agents/{other['id']}", headers=ADMIN).status_code == 204
    r = client.patch(f"{API}/agents/{budi['id']}", json={"name": "Budi"}, headers=ADMIN)
    assert codes(r.json()) == [], "a deactivated agent's name is free again"
    assert make_agent(client, "Ani")["warnings"] == []


def test_the_warning_is_part_of_the_documented_answer(client: TestClient) -> None:
    schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    for answer in ("AgentCreated", "AgentChanged"):
        assert schemas[answer]["properties"]["warnings"]["items"] == {
            "$ref": "#/components/schemas/WarningOut"}
    assert schemas["WarningCode"]["enum"] == ["duplicate_name"]
