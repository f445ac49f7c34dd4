"""One received mail, whichever way it came (IMAP, the SMTP listener, a provider's post): read
once by the normaliser, kept as it arrived, and then, by what it is:

- a customer's mail joins the ticket threading finds for it, or opens one (`threads.decide`);
  its attachments and inline images follow as messages of their own, each fetched from the
  kept original when an agent opens it;
- an auto-reply or a list's mail never opens a ticket: it joins the ticket it answers, if any;
- a bounce (a delivery status notification) marks the reply it names as failed;
- mail giliran sent itself (a loop), or from a blocked sender, is only kept.

Every step is idempotent (the original by its key, the messages by theirs), so a mail read
twice (a fetch cut short by a restart) changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from giliran.channels.email.bounces import receipt_of_bounce
from giliran.channels.email.mail import Mail, MailKind
from giliran.channels.email.mailbox import Mailbox
from giliran.channels.email.threads import Candidate, Decision, decide
from giliran.domain.conversation import Kind
from giliran.service.context import Context
from giliran.service.conversations.channels import Incoming, Outcome, receive, report

log = logging.getLogger("giliran.email")
EMAIL = "email"
# Who an unreadable mail is from when its From could not be read: the ticket still opens (an
# agent reads the original), and a reply to it fails visibly instead of going anywhere.
UNKNOWN_SENDER = "unknown-sender@invalid"


class Taken(StrEnum):
    OPENED = "opened"
    ADDED = "added"
    DUPLICATE = "duplicate"
    BOUNCE = "bounce"  # a failed reply marked
    IGNORED = "ignored"  # kept only: a loop, a blocked sender, an auto-reply to nothing


@dataclass(frozen=True)
class Original:
    key: str  # "email:<message-id>"
    mailbox_id: int
    raw: bytes
    received_at: datetime
    kind: str
    ticket_id: int | None = None
    broken: str | None = None


class Originals(Protocol):
    def keep(self, original: Original) -> None:
        """Stored once per key; later calls only fill in a ticket it lacked."""
        ...


def key_of(mail: Mail) -> str:
    return f"{EMAIL}:{mail.message_id}"


def take_in(ctx: Context, box: Mailbox, raw: bytes, mail: Mail,
            originals: Originals) -> Taken:
    """Runs on the writer path (each use case is its own transaction); `mail` is `raw` as the
    normaliser read it, before: parsing a large mail must not hold the floor's writers."""
    sender = mail.from_address or UNKNOWN_SENDER
    key = key_of(mail)
    now = ctx.clock.now()

    def keep(kind: str, ticket_id: int | None = None) -> None:
        originals.keep(Original(key, box.id, raw, now, kind, ticket_id, mail.broken))

    if mail.kind is MailKind.LOOP or _blocked(sender, box.block_list):
        keep("loop" if mail.kind is MailKind.LOOP else "blocked")
        log.info("mail %s kept, not taken in (%s)", key[:120], mail.kind.value)
        return Taken.IGNORED
    if mail.kind is MailKind.BOUNCE:
        keep("bounce")
        receipt = receipt_of_bounce(mail.bounce, now) if mail.bounce is not None else None
        if receipt is not None:
            report(ctx, receipt)
        return Taken.BOUNCE
    decision = _decide(ctx, box, mail, sender)
    automatic = mail.kind in (MailKind.AUTO_REPLY, MailKind.LIST)
    if automatic and decision.ticket_id is None:
        keep(mail.kind.value)
        return Taken.IGNORED
    outcome, ticket = receive(ctx, Incoming(
        channel=EMAIL, queue=box.queue, contact=sender,
        sender=mail.from_name or sender, message_id=mail.message_id,
        text=mail.reply_text or mail.text, at=min(mail.date or now, now),
        kind=Kind.SYSTEM if automatic else Kind.TEXT,
        content=_content(mail, key, box, decision), acknowledge=not automatic, via=box.address,
        thread=decision.ticket_id, new_thread=decision.ticket_id is None,
        title=mail.subject or None))
    ticket_id = ticket.id if ticket is not None else None
    if ticket_id is not None:
        for part in mail.attachments:
            kind = Kind.IMAGE if part.mime_type.startswith("image/") else Kind.DOCUMENT
            receive(ctx, Incoming(
                channel=EMAIL, queue=box.queue, contact=sender,
                sender=mail.from_name or sender,
                message_id=f"{mail.message_id}#{part.index}", text="",
                at=min(mail.date or now, now), kind=kind, thread=ticket_id, via=box.address,
                content={"media_id": f"{mail.message_id}#{part.index}",
                         "mime_type": part.mime_type, "file_name": part.file_name,
                         "size": part.size, "inline": part.inline}))
    keep(mail.kind.value, ticket_id)
    if outcome is Outcome.DUPLICATE:
        return Taken.DUPLICATE
    return Taken.OPENED if outcome is Outcome.OPENED else Taken.ADDED


def _decide(ctx: Context, box: Mailbox, mail: Mail, sender: str) -> Decision:
    with ctx.uow(write=False) as uow:
        def stored(message_id: str) -> int | None:
            found = uow.messages.by_external_id(f"{EMAIL}:{message_id}") \
                or uow.messages.by_channel_id(EMAIL, message_id)
            return found.ticket_id if found is not None else None

        def ticket(ticket_id: int) -> Candidate | None:
            found = uow.tickets.get(ticket_id)
            if found is None:
                return None
            return Candidate(found.id, found.contact or "", not found.status.is_final,
                             found.title)

        return decide(mail, box.address, box.thread_key.encode(), stored, ticket,
                      f"{EMAIL}:{sender}")


def _content(mail: Mail, key: str, box: Mailbox, decision: Decision) -> dict[str, object]:
    """What the message keeps beside its text: where it came, and how threading placed it
    (the rule that matched, and the marks it tried and refused: the "why" trail)."""
    content: dict[str, object] = {"subject": mail.subject, "mailbox": box.address,
                                  "original": key, "threaded_by": decision.rule.value}
    if decision.why:
        content["thread_refused"] = list(decision.why)[:10]
    if mail.html:
        content["html"] = mail.html
    if mail.reply_text and mail.reply_text != mail.text:
        content["quoted"] = True  # the full text is in the original
    if mail.broken:
        content["broken"] = mail.broken
    return content


def _blocked(address: str, blocked: tuple[str, ...]) -> bool:
    address = address.lower()
    domain = "@" + address.rpartition("@")[2]
    return any(entry.lower() in (address, domain) for entry in blocked)
