"""Which mail must not open a ticket, and why: giliran's own mail coming back (a loop), bounces
(RFC 3464 delivery status notifications, and the older plain ones from a MAILER-DAEMON),
auto-replies (RFC 3834 and the headers vacation responders use instead) and list traffic.

The order matters: a loop is refused before anything else looks at it (two desks answering
each other's auto-replies would otherwise never stop), and a bounce is recognised before the
auto-reply headers, since many servers also mark their DSNs `Auto-Submitted`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from email.message import EmailMessage, Message
from enum import StrEnum

from giliran.channels.email.headers import Fields, message_id_key


class MailKind(StrEnum):
    NORMAL = "normal"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    LIST = "list"
    LOOP = "loop"


@dataclass(frozen=True)
class Bounce:
    """What a delivery status notification says about one recipient of a mail we sent."""

    original_message_id: str | None
    recipient: str | None
    action: str | None  # failed, delayed, delivered, relayed, expanded (RFC 3464 2.3.3)
    status: str | None  # e.g. 5.1.1
    diagnostic: str | None  # the remote server's words


@dataclass(frozen=True)
class Kind:
    kind: MailKind
    why: str  # for the trail: the header or rule that decided


NORMAL = Kind(MailKind.NORMAL, "")
_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(r"undeliver|delivery (status notification|failure|has failed)|"
                             r"returned mail|failure notice|mail delivery failed", re.I)
# X-Autoreply, X-Autorespond: set by vacation programs that predate RFC 3834 (and by some still).
_AUTO_FLAGS = ("x-autoreply", "x-autorespond", "x-autoresponse")


def classify(msg: Message, field: Fields, sender: str | None, own: Collection[str],
             ours: Callable[[str], bool]) -> Kind:
    """`field`: the message's header values; `own`: the desk's mailbox addresses (lower-case);
    `ours(message_id)`: whether a Message-ID is one this desk made."""
    for test in (_loop, _bounce, _auto_reply, _list):
        found = test(msg, field, sender, own, ours)
        if found is not None:
            return found
    return NORMAL


def _loop(msg: Message, field: Fields, sender: str | None, own: Collection[str],
          ours: Callable[[str], bool]) -> Kind | None:
    # X-Giliran-Ticket alone proves nothing: another desk that runs giliran sends it too.
    if field.has("X-Giliran-Loop"):
        return Kind(MailKind.LOOP, "X-Giliran-Loop")
    if sender and _base(sender) in {_base(a) for a in own}:
        return Kind(MailKind.LOOP, f"From is the desk's own address {sender}")
    mid = _bare(field("Message-ID"))
    if mid and ours(mid):
        return Kind(MailKind.LOOP, "Message-ID is giliran's own")
    return None


def _bounce(msg: Message, field: Fields, sender: str | None, own: Collection[str],
            ours: Callable[[str], bool]) -> Kind | None:
    if msg.get_content_type() == "multipart/report" and \
            str(msg.get_param("report-type") or "").lower() == "delivery-status":
        return Kind(MailKind.BOUNCE, "multipart/report; report-type=delivery-status")
    null_path = field("Return-Path").strip() == "<>"
    daemon = bool(sender and _DAEMONS.match(sender))
    if (null_path or daemon) and _BOUNCE_SUBJECT.search(field("Subject")):
        return Kind(MailKind.BOUNCE, "a mailer daemon's non-delivery notice")
    return None


def _auto_reply(msg: Message, field: Fields, sender: str | None, own: Collection[str],
                ours: Callable[[str], bool]) -> Kind | None:
    if msg.get_content_type() == "multipart/report" and \
            str(msg.get_param("report-type") or "").lower() == "disposition-notification":
        return Kind(MailKind.AUTO_REPLY, "a read receipt (RFC 8098)")  # often unmarked
    submitted = field("Auto-Submitted").strip().lower()
    if submitted and not submitted.startswith("no"):
        return Kind(MailKind.AUTO_REPLY, f"Auto-Submitted: {submitted}")
    for name in _AUTO_FLAGS:
        if field.has(name):
            return Kind(MailKind.AUTO_REPLY, name.title())
    precedence = field("Precedence").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        return Kind(MailKind.AUTO_REPLY, f"Precedence: {precedence}")
    return None


def _list(msg: Message, field: Fields, sender: str | None, own: Collection[str],
          ours: Callable[[str], bool]) -> Kind | None:
    # A desk address that is itself a group (Google Groups, a Microsoft 365 group) marks every
    # customer's mail it passes on as list mail; that is the desk's own list, not a newsletter.
    if field("Precedence").strip().lower() != "list":
        return None
    names = (field("List-Id") + " " + field("List-Post")).lower()
    for address in own:
        if address in names or address.replace("@", ".") in names:
            return None
    return Kind(MailKind.LIST, "Precedence: list")


def read_bounce(msg: EmailMessage) -> Bounce | None:
    """The first recipient's report of a DSN, and the Message-ID of the mail that bounced
    (from the returned message or its headers; RFC 3462 allows either)."""
    if msg.get_content_type() != "multipart/report":
        return None
    fields: dict[str, str] = {}
    original: str | None = None
    for part in msg.iter_parts():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status"):
            fields = _recipient_fields(part)
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/global",
                      "message/global-headers"):
            original = _original_id(part) or original
    return Bounce(
        original_message_id=original,
        recipient=_typed(fields.get("final-recipient") or fields.get("original-recipient")),
        action=(fields.get("action") or "").lower() or None,
        status=fields.get("status"),
        diagnostic=_typed(fields.get("diagnostic-code")),
    )


_QUOTED_ID = re.compile(r"^Message-ID:\s*<([^<>\s]+)>", re.I | re.M)
_FAILED_RECIPIENT = re.compile(r"^\s*<([^<>\s@]+@[^<>\s]+)>:?\s*\n\s*(.+)$", re.M)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def read_plain_bounce(text: str) -> Bounce | None:
    """A bounce without an RFC 3464 report (qmail's "failure notice" and its kin): the failed
    address with the server's words under it, and the returned copy's Message-ID."""
    original = _QUOTED_ID.search(text)
    failed = _FAILED_RECIPIENT.search(text)
    if original is None and failed is None:
        return None
    words = failed.group(2).strip() if failed else None
    status = _STATUS.search(words or "")
    return Bounce(original_message_id=_bare(original.group(1)) if original else None,
                  recipient=failed.group(1).lower() if failed else None, action="failed",
                  status=status.group(1) if status else None, diagnostic=words)


def _recipient_fields(part: Message) -> dict[str, str]:
    """message/delivery-status: one block of per-message fields, then one per recipient. The
    library parses the blocks as header-only messages, or leaves text when it could not."""
    payload = part.get_payload()
    blocks: list[Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, Message)]
    for block in blocks[1:] or blocks:
        fields = {k.lower(): " ".join(str(v).split()) for k, v in block.items()}
        if "final-recipient" in fields or "action" in fields:
            return fields
    return {}


def _original_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        found = payload[0].get("Message-ID")
    else:
        text = part.get_payload(decode=True)
        raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(payload)
        match = re.search(r"^Message-ID:\s*(\S+)", raw, re.I | re.M)
        found = match.group(1) if match else None
    return _bare(str(found)) if found else None


def _typed(value: str | None) -> str | None:
    """`rfc822; dewi@example.com` -> `dewi@example.com`; `smtp; 550 …` -> `550 …`."""
    if not value:
        return None
    return value.split(";", 1)[-1].strip() or None


def _bare(mid: str) -> str:
    return message_id_key(mid) or ""


def _base(address: str) -> str:
    """support+abc@desk.example -> support@desk.example: our reply addresses are ours too."""
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
