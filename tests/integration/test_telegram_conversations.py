"""Telegram both ways, on SQLite and PostgreSQL, against the fake Bot API server: agents answer
customers from the API or from their own chat, every kind of message keeps its content, edits
are kept, and updates shaped like the samples on Telegram's own pages are accepted."""

from __future__ import annotations

from typing import Any

import pytest

from giliran.channels.telegram.fake import TOKEN
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_telegram import tickets
from tests.support.desks import AGENT_CHAT, API, CUSTOMER, SECRET, Bot
from tests.support.desks import TELEGRAM_HOOK as HOOK

OGG = b"OggS" + b"\x00voice" * 40


def conversation(tg: Bot, ticket_id: int) -> list[dict[str, Any]]:
    r = tg.client.get(f"{API}/tickets/{ticket_id}/messages", headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def linked_agent(tg: Bot) -> dict[str, Any]:
    agent = make_agent(tg.client, "Sari")
    tg.link(agent["id"])
    online(tg.client, agent)
    tg.deliver()
    return agent


def test_the_holder_answers_a_telegram_customer_from_the_api(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    online(tg.client, agent)
    tg.say(CUSTOMER, "My order #88 never arrived")
    (ticket,) = tickets(tg.client)
    r = tg.client.post(f"{API}/tickets/{ticket['id']}/messages",
                       json={"text": "Sorry! It ships today."}, headers=bearer(agent["token"]))
    assert r.status_code == 201, r.text
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER)[-1] == "Sorry! It ships today."
    said = conversation(tg, ticket["id"])
    assert [(m["direction"], m["author"], m["state"]) for m in said] == [
        ("in", None, None), ("out", "system", "sent"), ("out", f"agent:{agent['id']}", "sent")]
    now = tg.client.get(f"{API}/tickets/{ticket['id']}", headers=ADMIN).json()
    assert now["status"] == "in_progress"  # the first reply accepted it


def test_an_agent_answers_from_its_own_chat(tg: Bot) -> None:
    agent = linked_agent(tg)
    tg.say(CUSTOMER, "Halo, pesanan saya belum sampai", language_code="id")
    tg.deliver()
    (ticket,) = tickets(tg.client)
    # The ticket's moves are told in the order they happen, then the message that opened it.
    notice, wrote = tg.fake.sent_to(AGENT_CHAT)[-2:]
    assert ticket["number"] in notice and "Reply to this message" in notice
    assert wrote == f"💬 {ticket['number']} · Budi:\nHalo, pesanan saya belum sampai"
    tg.say(AGENT_CHAT, "Baik, kami cek dulu", reply_to=tg.fake.last_message_id(AGENT_CHAT))
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER)[-1] == "Baik, kami cek dulu"
    assert tg.fake.sent_to(AGENT_CHAT)[-1] == f"✉️ Sent to the customer of {ticket['number']}."
    # The customer's next message reaches the agent's chat, and a reply to it goes back.
    tg.say(CUSTOMER, "Nomor resi?")
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[-1] == f"💬 {ticket['number']} · Budi:\nNomor resi?"
    tg.say(AGENT_CHAT, "JNE 1234", reply_to=tg.fake.last_message_id(AGENT_CHAT))
    # Or by number.
    tg.say(AGENT_CHAT, f"/reply {ticket['number']} Sampai besok")
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER)[-2:] == ["JNE 1234", "Sampai besok"]
    authors = [m["author"] for m in conversation(tg, ticket["id"]) if m["direction"] == "out"]
    assert authors == ["system", *[f"agent:{agent['id']}"] * 3]


def test_a_relay_telegram_delivers_twice_is_sent_once_and_strangers_get_nothing(
    tg: Bot,
) -> None:
    linked_agent(tg)
    tg.say(CUSTOMER, "Hello")
    tg.deliver()
    (ticket,) = tickets(tg.client)
    update = tg.fake.message(AGENT_CHAT, "On it", reply_to=tg.fake.last_message_id(AGENT_CHAT))
    assert tg.update(update).status_code == 200
    assert tg.update(update).status_code == 200
    tg.deliver()
    assert tg.fake.sent_to(CUSTOMER).count("On it") == 1
    tg.say(AGENT_CHAT, "/reply INC20260105999999 Hi")
    tg.say(AGENT_CHAT, "Hi", reply_to=1)  # a message that was no notice
    tg.deliver()
    assert tg.fake.sent_to(AGENT_CHAT)[-2:] == [
        "That ticket is not in your queue, so nothing was sent."] * 2
    assert len(conversation(tg, ticket["id"])) == 3


def test_every_kind_of_telegram_message_keeps_its_content(tg: Bot) -> None:
    photo = [{"file_id": "AgAD-small", "file_unique_id": "s", "file_size": 900,
              "width": 90, "height": 90},
             {"file_id": "AgAD-large", "file_unique_id": "l", "file_size": 64_000,
              "width": 1280, "height": 960}]
    sent = [
        {"photo": photo, "caption": "struk pembayaran"},
        {"photo": photo},
        {"document": {"file_id": "BQAD-doc", "file_unique_id": "d", "file_name": "faktur.pdf",
                      "mime_type": "application/pdf", "file_size": 12345}},
        {"voice": {"file_id": "AwAD-voice", "file_unique_id": "v", "duration": 4,
                   "mime_type": "audio/ogg", "file_size": len(OGG)}},
        {"location": {"latitude": -6.9147, "longitude": 107.6098}},
        {"venue": {"location": {"latitude": -6.9175, "longitude": 107.6191},
                   "title": "Gedung Sate", "address": "Jl. Diponegoro 22, Bandung"},
         "location": {"latitude": -6.9175, "longitude": 107.6191}},
        {"contact": {"phone_number": "+6281299990000", "first_name": "Sari",
                     "last_name": "Dewi", "user_id": 42}},
        {"sticker": {"file_id": "CAAD-st", "file_unique_id": "st", "width": 512, "height": 512,
                     "is_animated": False, "is_video": False, "type": "regular",
                     "emoji": "😂"}},
        {"poll": {"id": "5", "question": "Kapan?", "options": [], "total_voter_count": 0,
                  "is_closed": False, "is_anonymous": True, "type": "regular",
                  "allows_multiple_answers": False}},
    ]
    for fields in sent:
        assert tg.update(tg.fake.content(CUSTOMER, fields)).json()["handled"] is True
    (ticket,) = tickets(tg.client)
    assert ticket["title"] == "Photo: struk pembayaran"
    got = [m for m in conversation(tg, ticket["id"]) if m["direction"] == "in"]
    assert [(m["kind"], m["body"]) for m in got] == [
        ("image", "struk pembayaran"), ("image", ""), ("document", ""), ("voice", ""),
        ("location", ""), ("location", ""), ("contacts", ""), ("sticker", ""), ("unknown", "")]
    assert got[0]["content"]["media_id"] == "AgAD-large" and got[0]["has_media"]
    assert got[2]["content"]["file_name"] == "faktur.pdf"
    assert got[3]["content"]["duration"] == 4
    assert got[4]["content"] == {"latitude": -6.9147, "longitude": 107.6098}
    assert got[5]["content"]["name"] == "Gedung Sate"
    assert got[6]["content"]["contacts"][0]["phones"] == ["+6281299990000"]
    assert got[7]["content"]["emoji"] == "😂"
    assert got[8]["content"]["type"] == "poll"
    assert got[8]["content"]["raw"]["poll"]["question"] == "Kapan?"


def test_the_samples_on_telegrams_webhook_page_are_accepted(tg: Bot) -> None:
    """From core.telegram.org/bots/webhooks: no `is_bot`, no `chat.type`."""
    sample = {"update_id": 10000, "message": {
        "date": 1441645532,
        "chat": {"last_name": "Test Lastname", "id": 1111111, "first_name": "Test",
                 "username": "Test"},
        "message_id": 1365,
        "from": {"last_name": "Test Lastname", "id": 1111111, "first_name": "Test",
                 "username": "Test"},
        "text": "Hello from the sample"}}
    assert tg.update(sample).json() == {"handled": True}
    edited = {"update_id": 10001, "edited_message": {
        "date": 1441645532, "edit_date": 1441646600, "message_id": 1365,
        "chat": {"last_name": "Test Lastname", "id": 1111111, "first_name": "Test",
                 "username": "Test"},
        "from": {"last_name": "Test Lastname", "id": 1111111, "first_name": "Test",
                 "username": "Test"},
        "text": "Edited text"}}
    assert tg.update(edited).json() == {"handled": True}
    (ticket,) = tickets(tg.client)
    (message,) = [m for m in conversation(tg, ticket["id"]) if m["direction"] == "in"]
    assert (message["body"], message["sender"]) == ("Edited text", "Test Test Lastname")
    assert message["edited_at"] is not None
    assert message["content"]["edits"][0]["body"] == "Hello from the sample"
    who = tg.client.get(f"{API}/tickets/{ticket['id']}/customer", headers=ADMIN).json()
    assert (who["address"], who["username"]) == ("@Test", "Test")


def test_a_refused_update_is_logged_with_the_reason(
    tg: Bot, caplog: pytest.LogCaptureFixture,
) -> None:
    for body in ({"message": {"text": "no update id"}},
                 {"update_id": 7, "message": {"message_id": 1, "text": "no chat"}}):
        r = tg.client.post(HOOK, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    assert "telegram update refused: not a Telegram update" in caplog.text
    assert SECRET not in caplog.text and TOKEN not in caplog.text
    assert tickets(tg.client) == []


def test_telegram_media_come_through_giliran(tg: Bot) -> None:
    agent = make_agent(tg.client, "Sari")
    online(tg.client, agent)
    tg.fake.files["AwAD-voice"] = (OGG, "voice/file_7.oga")
    tg.update(tg.fake.content(CUSTOMER, {"voice": {"file_id": "AwAD-voice",
                                                   "file_unique_id": "v", "duration": 2}}))
    (ticket,) = tickets(tg.client)
    (voice,) = [m for m in conversation(tg, ticket["id"]) if m["direction"] == "in"]
    r = tg.client.get(f"{API}/tickets/{ticket['id']}/messages/{voice['id']}/media",
                      headers=bearer(agent["token"]))
    assert r.status_code == 200 and r.content == OGG
    assert r.headers["content-type"] == "audio/ogg"
    assert TOKEN not in str(r.headers)
