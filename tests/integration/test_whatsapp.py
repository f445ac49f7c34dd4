"""WhatsApp both ways, on SQLite and PostgreSQL: the Cloud API webhook with payloads shaped like
Meta's (signed with a known app secret), and replies through giliran's real client to a fake
Graph API server on loopback that speaks Meta's protocol."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from giliran.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_ID,
    delivery,
    signed,
    status,
)
from giliran.domain.events import EVENT_TYPES
from giliran.service.assignment.timers import tick
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_event_stream import connect, next_of
from tests.support.desks import API, VERIFY_TOKEN, WHATSAPP_HOOK, Desk
from tests.support.whatsapp_samples import BUDI, META_TEST_SAMPLE, text

HOOK = WHATSAPP_HOOK


def tickets(client: TestClient) -> list[dict[str, Any]]:
    return list(client.get(f"{API}/tickets", headers=ADMIN).json()["items"])


def lead_for(wa: Desk, seller: dict[str, Any] | None = None) -> dict[str, Any]:
    wa.says("Halo, mau tanya harga paket premium", "wamid.A1")
    (lead,) = tickets(wa.client)
    if seller is not None:
        assert lead["assigned_agent_id"] == seller["id"]
    return lead


def test_meta_verifies_the_webhook_with_our_token(wa: Desk) -> None:
    ok = wa.client.get(HOOK, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                     "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = wa.client.get(HOOK, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                      "hub.challenge": "x"})
    assert bad.status_code == 403 and VERIFY_TOKEN not in bad.text


def test_a_new_contact_opens_a_lead_and_later_messages_join_it(wa: Desk) -> None:
    seller = make_agent(wa.client, "seller", queues=["sales"])
    online(wa.client, seller)
    assert wa.says("Halo, mau tanya harga paket premium", "wamid.A1")["opened"] == 1
    (lead,) = tickets(wa.client)
    assert (lead["queue"], lead["title"], lead["category"], lead["assigned_agent_id"]) == (
        "sales", "Halo, mau tanya harga paket premium", "whatsapp", seller["id"])
    assert wa.says("Untuk 10 orang", "wamid.A2")["added"] == 1 and len(tickets(wa.client)) == 1
    assert [(m["sender"], m["body"], m["direction"]) for m in wa.conversation(lead["id"])] == [
        ("Budi", "Halo, mau tanya harga paket premium", "in"), ("Budi", "Untuk 10 orang", "in")]


def test_a_redelivered_message_changes_nothing(wa: Desk) -> None:
    body = delivery(messages=[text("wamid.D1", "Halo", wa.now)])
    assert wa.post(body).json()["opened"] == 1
    again = wa.post(body)
    assert again.status_code == 200 and again.json()["duplicate"] == 1
    (lead,) = tickets(wa.client)
    assert len(wa.conversation(lead["id"])) == 1


def test_unsigned_or_tampered_deliveries_are_refused_and_store_nothing(
    wa: Desk, caplog: pytest.LogCaptureFixture,
) -> None:
    raw = orjson.dumps(delivery(messages=[text("wamid.T1", "Halo", wa.now)]))
    unsigned = wa.client.post(HOOK, content=raw, headers={"Content-Type": "application/json"})
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (401, "signature_missing")
    assert wa.post(raw, secret="someone-elses-secret").status_code == 403
    _, headers = signed(raw)
    tampered = wa.client.post(HOOK, content=raw.replace(b"Halo", b"Hack"), headers=headers)
    assert (tampered.status_code, tampered.json()["error"]["code"]) == (403, "bad_signature")
    assert tickets(wa.client) == []
    assert APP_SECRET not in unsigned.text + tampered.text + caplog.text
    assert "signature does not match" in caplog.text  # the refusal says why in the log


def test_the_sample_from_metas_test_button_is_logged_and_ignored(
    wa: Desk, caplog: pytest.LogCaptureFixture,
) -> None:
    sample = {"object": "whatsapp_business_account",
              "entry": [{"id": "0", "changes": [META_TEST_SAMPLE]}]}
    caplog.set_level("INFO", logger="giliran.whatsapp")
    r = wa.post(sample)
    assert r.status_code == 200 and (r.json()["received"], r.json()["ignored"]) == (0, 1)
    assert tickets(wa.client) == []
    assert "'123456123' is not configured" in caplog.text


def test_other_fields_and_bad_bodies(wa: Desk) -> None:
    other_field = delivery(messages=[text("wamid.X1", "x", wa.now)])
    other_field["entry"][0]["changes"][0]["field"] = "account_update"
    assert wa.post(other_field).json()["received"] == 0
    assert wa.post(b"not json").status_code == 422
    assert wa.post({"object": "page", "entry": []}).status_code == 422


def test_without_an_app_secret_the_webhook_is_off(client: TestClient) -> None:
    r = client.post(HOOK, json=delivery(messages=[text("wamid.N1", "hi", 1)]))
    assert (r.status_code, r.json()["error"]["code"]) == (503, "not_configured")


def test_the_holder_replies_and_the_ticks_follow_metas_statuses(wa: Desk) -> None:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, seller)
    lead = lead_for(wa, seller)
    r = wa.reply(lead["id"], seller["token"], text="Halo Budi, paket premium Rp 150.000")
    assert r.status_code == 201, r.text
    queued = r.json()
    assert (queued["direction"], queued["state"], queued["sender"], queued["author"]) == (
        "out", "queued", "Sari", f"agent:{seller['id']}")
    assert wa.deliver() == 1
    (call,) = wa.graph.sent()
    assert call.phone_id == PHONE_ID
    assert call.body == {"messaging_product": "whatsapp", "recipient_type": "individual",
                         "to": BUDI, "type": "text",
                         "text": {"preview_url": False,
                                  "body": "Halo Budi, paket premium Rp 150.000"}}
    assert wa.conversation(lead["id"])[-1]["state"] == "sent"
    # Meta reports out of order: read overtakes delivered, which then changes nothing.
    assert wa.statuses(status(call.wamid, "read", wa.now + 9))["status_changes"] == 1
    assert wa.statuses(status(call.wamid, "delivered", wa.now + 5))["status_changes"] == 0
    assert wa.statuses(status(call.wamid, "read", wa.now + 9))["status_changes"] == 0
    assert wa.conversation(lead["id"])[-1]["state"] == "read"


def test_a_status_that_comes_before_the_send_is_recorded_still_counts(wa: Desk) -> None:
    lead = lead_for(wa)
    assert wa.reply(lead["id"], text="Halo").status_code == 201
    # Meta's webhook may beat giliran's own record of the send: the fake hands out
    # predictable ids, so the report can be made for the id it will give.
    upcoming = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEj000001"
    assert wa.statuses(status(upcoming, "delivered", wa.now + 1))["status_changes"] == 0
    wa.deliver()
    assert wa.graph.sent()[0].wamid == upcoming
    assert wa.conversation(lead["id"])[-1]["state"] == "delivered"


def test_a_failed_status_says_metas_code_and_reason(wa: Desk) -> None:
    lead = lead_for(wa)
    wa.reply(lead["id"], text="Halo")
    wa.deliver()
    wamid = wa.graph.sent()[0].wamid
    assert wamid is not None
    wa.statuses(status(wamid, "failed", wa.now + 2, errors=[{
        "code": 131026, "title": "Message undeliverable",
        "message": "Message undeliverable", "error_data": {"details": "Receiver is incapable"}}]))
    last = wa.conversation(lead["id"])[-1]
    assert (last["state"], last["error"]) == ("failed", "131026 Message undeliverable")


def test_outside_the_24_hour_window_free_text_is_refused_and_a_template_goes(
    wa: Desk,
) -> None:
    lead = lead_for(wa)
    wa.clock.advance(24 * 3600 + 1)
    r = wa.reply(lead["id"], text="Masih tertarik?")
    assert r.status_code == 409 and r.json()["error"]["code"] == "outside_customer_window"
    assert "24 hours" in r.json()["error"]["message"]
    assert wa.deliver() == 0 and wa.graph.calls == []
    assert [m["direction"] for m in wa.conversation(lead["id"])] == ["in"]
    customer = wa.client.get(f"{API}/tickets/{lead['id']}/customer", headers=ADMIN).json()
    assert customer["window_open"] is False
    follow_up = wa.reply(lead["id"], template=True)
    assert follow_up.status_code == 201 and follow_up.json()["kind"] == "template"
    wa.deliver()
    assert wa.graph.sent()[0].body["template"] == {"name": "follow_up",
                                                   "language": {"code": "id"}}
    # The customer writes again: free text is allowed again.
    wa.says("Ya, masih", "wamid.A9")
    assert wa.reply(lead["id"], text="Siap!").status_code == 201


def test_metas_refusal_of_a_reply_fails_it_at_once_with_the_reason(wa: Desk) -> None:
    lead = lead_for(wa)
    wa.graph.refuse[BUDI] = (400, 131047, "(#131047) Re-engagement message")
    wa.reply(lead["id"], text="Halo")
    wa.deliver()
    last = wa.conversation(lead["id"])[-1]
    assert (last["state"], last["error"]) == ("failed", "131047 (#131047) Re-engagement message")
    dead = wa.client.get(f"{API}/notices?status=dead", headers=ADMIN).json()
    assert dead["total"] == 1 and dead["items"][0]["channel"] == "whatsapp"
    assert ACCESS_TOKEN not in str(dead)


def test_replies_survive_an_outage_and_each_is_sent_once(wa: Desk) -> None:
    lead = lead_for(wa)
    wa.graph.failing = True
    ids = [wa.reply(lead["id"], text=f"reply {i}").json()["id"] for i in range(3)]
    assert wa.deliver() == 3 and wa.graph.sent() == []
    assert wa.graph.failed_attempts() == 3
    wa.clock.advance(3)  # past the first backoff (2 s)
    assert wa.deliver() == 3 and wa.graph.failed_attempts() == 6
    wa.graph.failing = False
    wa.clock.advance(5)
    assert wa.deliver() == 3
    wa.clock.advance(600)
    assert wa.deliver() == 0
    assert wa.graph.texts_to(BUDI) == ["reply 0", "reply 1", "reply 2"]
    states = {m["id"]: m["state"] for m in wa.conversation(lead["id"])}
    assert [states[i] for i in ids] == ["sent", "sent", "sent"]


def test_the_same_idempotency_key_sends_once(wa: Desk) -> None:
    lead = lead_for(wa)
    headers = {**ADMIN, "Idempotency-Key": "reply-7f3a"}
    first = wa.client.post(f"{API}/tickets/{lead['id']}/messages", json={"text": "Halo"},
                           headers=headers)
    again = wa.client.post(f"{API}/tickets/{lead['id']}/messages", json={"text": "Halo"},
                           headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    wa.deliver()
    assert wa.graph.texts_to(BUDI) == ["Halo"]


def test_only_the_holder_or_an_admin_may_answer_and_read(wa: Desk) -> None:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    other = make_agent(wa.client, "Joko", queues=["sales"])
    online(wa.client, seller)
    lead = lead_for(wa, seller)
    for path in ("messages", "customer"):
        r = wa.client.get(f"{API}/tickets/{lead['id']}/{path}", headers=bearer(other["token"]))
        assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    r = wa.reply(lead["id"], other["token"], text="I'll take it")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_ticket")
    assert [m["direction"] for m in wa.conversation(lead["id"])] == ["in"]
    assert wa.reply(lead["id"], text="Supervisor here").status_code == 201
    ticket = wa.client.get(f"{API}/tickets/{lead['id']}", headers=ADMIN).json()
    assert ticket["status"] == "assigned"  # an admin's reply does not accept for the agent


def test_bad_replies_are_refused_clearly_and_change_nothing(wa: Desk) -> None:
    lead = lead_for(wa)
    for body in ({}, {"text": ""}, {"text": "x" * 4097}, {"text": "x", "template": True},
                 {"text": "x", "extra": 1}):
        r = wa.reply(lead["id"], **body)
        assert r.status_code == 422, (body, r.text)
    assert wa.reply(999_999, text="x").status_code == 404
    api_ticket = wa.client.post(f"{API}/tickets", json={"title": "from a form"},
                                headers=ADMIN).json()
    r = wa.reply(api_ticket["id"], text="x")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "no_channel")
    wa.client.post(f"{API}/tickets/{lead['id']}/cancel", headers=ADMIN)
    r = wa.reply(lead["id"], text="x")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "invalid_transition")
    assert len(wa.conversation(lead["id"])) == 1 and wa.deliver() == 0


def test_the_first_reply_accepts_the_lead_and_no_escalation_follows(wa: Desk) -> None:
    wa.client.patch(f"{API}/queues/sales", json={"accept_timeout_seconds": 300},
                    headers=ADMIN)
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    backup = make_agent(wa.client, "Joko", queues=["sales"])
    online(wa.client, seller)
    lead = lead_for(wa, seller)
    online(wa.client, backup)
    wa.clock.advance(60)
    wa.reply(lead["id"], seller["token"], text="Halo Budi")
    wa.clock.advance(250)  # 310 s after the assignment: past the 300 s accept timeout
    assert tick(wa.container.ctx).escalated == 0
    now = wa.client.get(f"{API}/tickets/{lead['id']}", headers=ADMIN).json()
    assert (now["status"], now["assigned_agent_id"]) == ("in_progress", seller["id"])
    history = wa.client.get(f"{API}/tickets/{lead['id']}/history", headers=ADMIN).json()
    assert [(h["event"], h["reason"]) for h in history][-1] == ("accepted", "replied")
    # A second reply changes nothing more in the lifecycle.
    wa.reply(lead["id"], seller["token"], text="Ada yang bisa dibantu?")
    again = wa.client.get(f"{API}/tickets/{lead['id']}/history", headers=ADMIN).json()
    assert len(again) == len(history)


def test_with_reply_accepts_off_the_lead_still_escalates(wa: Desk) -> None:
    wa.client.patch(f"{API}/queues/sales", json={"accept_timeout_seconds": 300,
                                                 "reply_accepts": False}, headers=ADMIN)
    wa.client.patch(f"{API}/settings", json={"presence_grace_seconds": 0}, headers=ADMIN)
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    backup = make_agent(wa.client, "Joko", queues=["sales"])
    online(wa.client, seller)
    lead = lead_for(wa, seller)
    online(wa.client, backup)
    wa.reply(lead["id"], seller["token"], text="Halo Budi")
    wa.clock.advance(301)
    tick(wa.container.ctx)
    now = wa.client.get(f"{API}/tickets/{lead['id']}", headers=ADMIN).json()
    assert (now["status"], now["assigned_agent_id"]) == ("assigned", backup["id"])


def test_who_the_customer_is_with_their_earlier_tickets(wa: Desk) -> None:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, seller)
    first = lead_for(wa, seller)
    wa.client.post(f"{API}/tickets/{first['id']}/accept", headers=bearer(seller["token"]))
    wa.client.post(f"{API}/tickets/{first['id']}/complete", headers=ADMIN)
    wa.clock.advance(3600)
    wa.says("Mau order lagi", "wamid.B1")
    second = next(t for t in tickets(wa.client) if t["id"] != first["id"])
    r = wa.client.get(f"{API}/tickets/{second['id']}/customer", headers=bearer(seller["token"]))
    assert r.status_code == 200, r.text
    who = r.json()
    assert (who["channel"], who["address"], who["name"], who["window_open"]) == (
        "whatsapp", f"+{BUDI}", "Budi", True)
    assert [t["number"] for t in who["earlier_tickets"]] == [first["number"]]
    assert who["window_closes_at"].startswith(
        (wa.clock.now() + timedelta(hours=24)).date().isoformat())


def test_the_holder_hears_of_its_customers_messages_and_no_other_agent_does(wa: Desk) -> None:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    other = make_agent(wa.client, "Joko", queues=["sales"], max_tickets=0)
    online(wa.client, seller)
    online(wa.client, other)
    lead = lead_for(wa, seller)
    with connect(wa.client, seller["token"]) as (mine, _), \
            connect(wa.client, other["token"]) as (theirs, _):
        wa.says("Jadi berapa?", "wamid.W2")
        got = next_of(mine, "message.received")
        while got["message"]["body"] != "Jadi berapa?":  # the lead's first, if not seen yet
            got = next_of(mine, "message.received")
        assert got["ticket_id"] == lead["id"]
        wa.reply(lead["id"], seller["token"], text="Rp 150.000")
        assert next_of(mine, "message.sent")["message"]["state"] == "queued"
        wa.deliver()
        assert next_of(mine, "message.status")["message"]["state"] == "sent"
        # The other agent's socket saw none of it, up to an event of its own.
        wa.client.post(f"{API}/agent/go-offline", headers=bearer(other["token"]))
        seen = [next_of(theirs, *EVENT_TYPES)]
        while seen[-1]["type"] != "agent.presence":
            seen.append(next_of(theirs, *EVENT_TYPES))
        assert not [e for e in seen if e["type"].startswith("message.")], seen
