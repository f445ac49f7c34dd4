"""Nothing a WhatsApp customer sends is lost, on SQLite and PostgreSQL: every kind of message
keeps its content, a changed number stays the same customer, and media are fetched through
giliran with the access token, never handed to the browser."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from giliran.adapters.metrics import UNKNOWN_MESSAGES
from giliran.channels.whatsapp.fake import ACCESS_TOKEN, delivery
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.integration.test_whatsapp import tickets
from tests.support.desks import API, Desk
from tests.support.whatsapp_samples import BUDI, every_kind, number_changed, text

JPEG = b"\xff\xd8\xff\xe0" + b"giliran-test-photo" * 50 + b"\xff\xd9"


def _one_ticket(client: TestClient) -> dict[str, Any]:
    (ticket,) = tickets(client)
    return ticket


def test_every_kind_of_message_is_kept_with_its_content(wa: Desk) -> None:
    samples = every_kind(wa.now)
    before = UNKNOWN_MESSAGES.labels("whatsapp", "order")._value.get()
    r = wa.post(delivery(messages=list(samples.values())))
    assert r.status_code == 200 and r.json()["received"] == len(samples)
    ticket = _one_ticket(wa.client)
    assert ticket["title"] == "Photo: bukti transfer"
    ms = wa.conversation(ticket["id"])
    assert [(m["kind"], m["body"]) for m in ms] == [
        ("image", "bukti transfer"), ("video", ""), ("voice", ""), ("document", "invoice"),
        ("sticker", ""), ("location", ""), ("contacts", ""), ("choice", ""), ("choice", ""),
        ("choice", ""), ("reaction", "👍"), ("unknown", ""), ("unknown", "")]
    assert ms[0]["content"] == {"media_id": "1479537139650973", "mime_type": "image/jpeg",
                                "sha256": "Uq4SDg5jBhpTJrH4Kl3bZq0mZ4Yc9p0XhTtM8Ql6xvE="}
    assert ms[0]["has_media"] and ms[2]["content"]["mime_type"] == "audio/ogg; codecs=opus"
    assert ms[3]["content"]["file_name"] == "INV-2026-001.pdf"
    assert ms[5]["content"] == {"latitude": -6.1753924, "longitude": 106.8271528,
                                "name": "Monas", "address": "Gambir, Central Jakarta",
                                "url": "https://maps.example/monas"}
    assert ms[6]["content"]["contacts"] == [{"name": "Sari Dewi",
                                             "phones": ["+62 812 9999 0000"],
                                             "emails": ["sari@example.com"], "org": "PT Contoh"}]
    assert (ms[7]["content"]["id"], ms[7]["content"]["title"]) == ("plan-premium", "Premium")
    assert ms[8]["content"] == {"source": "list_reply", "id": "city-bdg", "title": "Bandung",
                                "description": "West Java"}
    assert ms[9]["content"] == {"source": "button", "id": "CALL_ME_BACK",
                                "title": "Call me back", "reply_to": "wamid.TEMPLATE1"}
    assert ms[10]["content"] == {"emoji": "👍", "message_id": "wamid.OUT1"}
    assert ms[11]["content"]["type"] == "order"
    assert ms[11]["content"]["raw"]["order"]["product_items"][0]["product_retailer_id"] == "sku-9"
    assert ms[12]["content"]["raw"]["errors"][0]["code"] == 131051
    after = UNKNOWN_MESSAGES.labels("whatsapp", "order")._value.get()
    assert after == before + 1
    # Redelivered: stored once, counted once.
    wa.post(delivery(messages=[samples["order"]]))
    assert UNKNOWN_MESSAGES.labels("whatsapp", "order")._value.get() == after


def test_a_reaction_alone_joins_the_latest_ticket_instead_of_opening_one(wa: Desk) -> None:
    wa.says("Halo", "wamid.R0")
    ticket = _one_ticket(wa.client)
    wa.client.post(f"{API}/tickets/{ticket['id']}/cancel", headers=ADMIN)
    assert wa.post(delivery(messages=[every_kind(wa.now)["reaction"]])).json()["added"] == 1
    assert len(tickets(wa.client)) == 1
    assert [m["kind"] for m in wa.conversation(ticket["id"])] == ["text", "reaction"]


def test_a_changed_number_is_the_same_customer_and_joins_the_open_lead(wa: Desk) -> None:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    online(wa.client, seller)
    wa.says("Halo", "wamid.N0")
    lead = _one_ticket(wa.client)
    new = "6289876543210"
    wa.post(delivery(messages=[number_changed("wamid.N1", wa.now, BUDI, new)]))
    r = wa.post(delivery(messages=[text("wamid.N2", "Ini nomor baru saya", wa.now, new)],
                         contacts=[{"profile": {"name": "Budi"}, "wa_id": new}]))
    assert r.json()["added"] == 1 and len(tickets(wa.client)) == 1
    said = wa.conversation(lead["id"])
    assert [m["kind"] for m in said] == ["text", "system", "text"]
    assert said[1]["content"] == {"type": "user_changed_number", "new_address": new}
    who = wa.client.get(f"{API}/tickets/{lead['id']}/customer", headers=ADMIN).json()
    assert who["address"] == f"+{new}"
    wa.reply(lead["id"], seller["token"], text="Baik, dicatat")
    wa.deliver()
    assert wa.graph.texts_to(new) == ["Baik, dicatat"] and wa.graph.texts_to(BUDI) == []


def test_media_come_through_giliran_for_the_holder_and_admins_only(wa: Desk) -> None:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    other = make_agent(wa.client, "Joko", queues=["sales"])
    online(wa.client, seller)
    image = every_kind(wa.now)["image"]
    wa.graph.add_media(image["image"]["id"], JPEG, "image/jpeg")
    wa.post(delivery(messages=[image, text("wamid.M2", "and this", wa.now)]))
    lead = _one_ticket(wa.client)
    photo, words = wa.conversation(lead["id"])
    url = f"{API}/tickets/{lead['id']}/messages/{photo['id']}/media"
    r = wa.client.get(url, headers=bearer(seller["token"]))
    assert r.status_code == 200 and r.content == JPEG
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"].startswith("inline")
    assert ACCESS_TOKEN not in str(r.headers)
    assert wa.client.get(url, headers=ADMIN).content == JPEG
    assert wa.client.get(url, headers=bearer(other["token"])).status_code == 403
    text_only = f"{API}/tickets/{lead['id']}/messages/{words['id']}/media"
    assert wa.client.get(text_only, headers=ADMIN).status_code == 404


def test_media_over_the_cap_and_a_channel_outage_are_clear_errors(wa: Desk) -> None:
    image = every_kind(wa.now)["image"]
    wa.graph.add_media(image["image"]["id"], b"x" * (wa.container.settings.media_max_bytes + 1),
                       "image/jpeg")
    wa.post(delivery(messages=[image]))
    lead = _one_ticket(wa.client)
    (photo,) = wa.conversation(lead["id"])
    url = f"{API}/tickets/{lead['id']}/messages/{photo['id']}/media"
    r = wa.client.get(url, headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (413, "media_too_large")
    wa.graph.failing = True
    r = wa.client.get(url, headers=ADMIN)
    assert (r.status_code, r.json()["error"]["code"]) == (502, "channel_unavailable")
    assert ACCESS_TOKEN not in r.text
