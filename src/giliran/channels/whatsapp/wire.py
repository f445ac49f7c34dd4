"""Reading the WhatsApp Cloud API's webhook deliveries.

Wire format of a delivery: `entry[].changes[]` with `field: messages`; `value.metadata` names
the business number, `value.contacts[]` the customers' profile names, `value.messages[]` what
they sent (one object per kind), `value.statuses[]` Meta's reports on what giliran sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from giliran.domain.conversation import WHATSAPP, Kind, Receipt, State
from giliran.domain.model import DEFAULT_QUEUE
from giliran.service.conversations.channels import Incoming

_MEDIA = {"image": Kind.IMAGE, "video": Kind.VIDEO, "audio": Kind.AUDIO,
          "document": Kind.DOCUMENT, "sticker": Kind.STICKER}
_STATES = {"sent": State.SENT, "delivered": State.DELIVERED, "read": State.READ,
           "failed": State.FAILED}


@dataclass
class Batch:
    """What one webhook delivery holds for giliran."""

    messages: list[Incoming] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # why, for the log


def read_delivery(payload: Any, numbers: Mapping[str, str | None]) -> Batch:
    """`numbers`: giliran's business phone-number ids and their queues; when there are any,
    messages to other numbers (Meta's dashboard test sample) are ignored. ValueError for a
    body that is not a WhatsApp Business Account delivery."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise ValueError("not a WhatsApp Business Account payload")
    batch = Batch()
    for value in _values(payload):
        phone_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
        if numbers and phone_id not in numbers:
            batch.ignored.append(f"phone number id {phone_id!r} is not configured")
            continue
        queue = numbers.get(phone_id) or DEFAULT_QUEUE
        names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                 for c in value.get("contacts") or []}
        for m in value.get("messages") or []:
            batch.messages.append(_incoming(m, queue, phone_id, names))
        for s in value.get("statuses") or []:
            found = _receipt(s)
            if found is None:
                batch.ignored.append(f"status {s.get('status')!r} is not tracked")
            else:
                batch.receipts.append(found)
    return batch


def _values(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") == "messages" and isinstance(change.get("value"), dict):
                yield change["value"]


def _incoming(m: dict[str, Any], queue: str, phone_id: str,
              names: dict[str, str | None]) -> Incoming:
    sender = str(m["from"])
    kind, text, content = read_content(m)
    return Incoming(channel=WHATSAPP, queue=queue, contact=sender,
                    sender=names.get(sender) or sender, message_id=str(m["id"]), text=text,
                    at=_when(m.get("timestamp")), kind=kind, content=content,
                    via=phone_id or None)


def read_content(m: dict[str, Any]) -> tuple[Kind, str, dict[str, Any]]:
    """(kind, text or caption, what else it holds) of one message object."""
    kind = str(m.get("type", "text"))
    body = _dict(m.get(kind))
    found: tuple[Kind, str, dict[str, Any]]
    if kind == "text":
        found = Kind.TEXT, str(body.get("body", "")), {}
    elif kind in _MEDIA:
        voice = kind == "audio" and bool(body.get("voice"))
        found = (Kind.VOICE if voice else _MEDIA[kind], str(body.get("caption") or ""),
                 _pick(body, media_id="id", mime_type="mime_type", file_name="filename",
                       sha256="sha256", animated="animated"))
    elif kind == "location":
        found = Kind.LOCATION, "", _pick(body, latitude="latitude", longitude="longitude",
                                         name="name", address="address", url="url")
    elif kind == "contacts":
        found = Kind.CONTACTS, "", {"contacts": [_contact(c) for c in m.get("contacts") or []]}
    elif kind in ("interactive", "button"):
        found = _choice(kind, body)
    elif kind == "reaction":
        found = Kind.REACTION, str(body.get("emoji") or ""), _pick(
            body, emoji="emoji", message_id="message_id")
    elif kind == "system":
        found = Kind.SYSTEM, str(body.get("body", "")), {
            "type": body.get("type"), "new_address": body.get("new_wa_id") or body.get("wa_id"),
        }
    else:
        raw = {k: v for k, v in m.items() if k not in ("from", "id", "timestamp")}
        found = Kind.UNKNOWN, "", {"type": kind, "raw": raw}
    context = m.get("context") or {}
    if context.get("id"):
        found[2]["reply_to"] = context["id"]
    return found


def _choice(kind: str, body: dict[str, Any]) -> tuple[Kind, str, dict[str, Any]]:
    if kind == "button":  # a template's quick-reply button
        return Kind.CHOICE, "", {"source": "button", "id": body.get("payload"),
                                 "title": body.get("text")}
    source = str(body.get("type", ""))
    chosen = _dict(body.get(source))
    content = {"source": source, **_pick(chosen, id="id", title="title",
                                         description="description", name="name",
                                         response="response_json")}
    return Kind.CHOICE, str(chosen.get("body") or ""), content


def _contact(c: dict[str, Any]) -> dict[str, Any]:
    name = c.get("name") or {}
    return {"name": name.get("formatted_name") or name.get("first_name"),
            "phones": [p.get("phone") or p.get("wa_id") for p in c.get("phones") or []],
            "emails": [e.get("email") for e in c.get("emails") or []],
            "org": (c.get("org") or {}).get("company")}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pick(source: dict[str, Any], **names: str) -> dict[str, Any]:
    return {ours: source[theirs] for ours, theirs in names.items()
            if source.get(theirs) is not None}


def _receipt(s: dict[str, Any]) -> Receipt | None:
    state = _STATES.get(str(s.get("status")))
    if state is None or not s.get("id"):
        return None
    errors = s.get("errors") or []
    error = None
    if errors:
        first = errors[0]
        error = f"{first.get('code')} {first.get('title') or first.get('message') or ''}"
    return Receipt(WHATSAPP, str(s["id"]), state, _when(s.get("timestamp")),
                   error.strip() if error else None)


def _when(timestamp: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)
