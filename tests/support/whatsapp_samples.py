"""Message objects as the WhatsApp Cloud API webhook delivers them (shapes from Meta's
"Webhooks: messages" reference), one per kind."""

from __future__ import annotations

from typing import Any

BUDI = "6281234567890"


def base(kind: str, message_id: str, at: int, sender: str = BUDI, **extra: Any) -> dict[str, Any]:
    return {"from": sender, "id": message_id, "timestamp": str(at), "type": kind, **extra}


def text(message_id: str, body: str, at: int, sender: str = BUDI) -> dict[str, Any]:
    return base("text", message_id, at, sender, text={"body": body})


def every_kind(at: int) -> dict[str, dict[str, Any]]:
    """One message of each kind Meta delivers, by a name the tests use."""
    return {
        "image": base("image", "wamid.IMG", at, image={
            "caption": "bukti transfer", "mime_type": "image/jpeg",
            "sha256": "Uq4SDg5jBhpTJrH4Kl3bZq0mZ4Yc9p0XhTtM8Ql6xvE=", "id": "1479537139650973"}),
        "video": base("video", "wamid.VID", at, video={
            "mime_type": "video/mp4", "sha256": "abc", "id": "2479537139650973"}),
        "voice": base("audio", "wamid.VOI", at, audio={
            "mime_type": "audio/ogg; codecs=opus", "sha256": "def", "id": "3479537139650973",
            "voice": True}),
        "document": base("document", "wamid.DOC", at, document={
            "caption": "invoice", "filename": "INV-2026-001.pdf", "mime_type": "application/pdf",
            "sha256": "ghi", "id": "4479537139650973"}),
        "sticker": base("sticker", "wamid.STK", at, sticker={
            "mime_type": "image/webp", "sha256": "jkl", "id": "5479537139650973",
            "animated": False}),
        "location": base("location", "wamid.LOC", at, location={
            "latitude": -6.1753924, "longitude": 106.8271528, "name": "Monas",
            "address": "Gambir, Central Jakarta", "url": "https://maps.example/monas"}),
        "contacts": base("contacts", "wamid.CON", at, contacts=[{
            "name": {"formatted_name": "Sari Dewi", "first_name": "Sari", "last_name": "Dewi"},
            "phones": [{"phone": "+62 812 9999 0000", "wa_id": "6281299990000",
                        "type": "MOBILE"}],
            "emails": [{"email": "sari@example.com", "type": "WORK"}],
            "org": {"company": "PT Contoh"}}]),
        "button_reply": base("interactive", "wamid.BTN", at, interactive={
            "type": "button_reply", "button_reply": {"id": "plan-premium", "title": "Premium"}}),
        "list_reply": base("interactive", "wamid.LST", at, interactive={
            "type": "list_reply", "list_reply": {"id": "city-bdg", "title": "Bandung",
                                                 "description": "West Java"}}),
        "quick_reply": base("button", "wamid.QRB", at, button={
            "payload": "CALL_ME_BACK", "text": "Call me back"},
            context={"from": "15550001111", "id": "wamid.TEMPLATE1"}),
        "reaction": base("reaction", "wamid.RCT", at, reaction={
            "message_id": "wamid.OUT1", "emoji": "👍"}),
        "order": base("order", "wamid.ORD", at, order={
            "catalog_id": "cat-1", "product_items": [
                {"product_retailer_id": "sku-9", "quantity": "2", "item_price": "150000",
                 "currency": "IDR"}]}),
        "unsupported": base("unsupported", "wamid.UNS", at, errors=[{
            "code": 131051, "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."}}]),
    }


def number_changed(message_id: str, at: int, old: str, new: str) -> dict[str, Any]:
    return base("system", message_id, at, old, system={
        "body": f"Budi changed their phone number to a new number {new}",
        "new_wa_id": new, "type": "user_changed_number"})


# What the "Test" button in Meta's dashboard sends for the messages field.
META_TEST_SAMPLE = {
    "field": "messages",
    "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "16505551111", "phone_number_id": "123456123"},
        "contacts": [{"profile": {"name": "test user name"}, "wa_id": "16315551181"}],
        "messages": [{"from": "16315551181", "id": "ABGGFlA5Fpa", "timestamp": "1504902988",
                      "type": "text", "text": {"body": "this is a text message"}}],
    },
}
