"""An agent's reply as a mail the customer's client threads with what they wrote.

Pure: everything the mail says is given (the integrator's channel reads the ticket, the
mailbox and the stored Message-IDs), so the same reply composes to the same headers (only
MIME boundaries are random), and a retry by the courier sends the same Message-ID (a
receiving server or client may then drop the second copy, and a bounce still names the one
reply).

Threading is carried four ways, because clients drop or rewrite some of them (the issue's
Chatwoot cases): `In-Reply-To`/`References` for clients that thread by headers, the token in
`Reply-To` for the customer's answer whatever their client does to the headers, our own
`Message-ID` pattern for an answer that keeps only `In-Reply-To`, and the ticket number in
the subject for a customer who starts a fresh mail and pastes it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from giliran.channels.email.addresses import (
    our_message_id,
    reply_address,
    subject_for,
    token_for,
)

# giliran's own mail says so (part A's loop protection reads these): the ticket it belongs
# to, and the mailbox that sent it, so a message that comes straight back (a forward loop,
# a customer's mailbox that redirects to ours) opens nothing.
TICKET_HEADER = "X-Giliran-Ticket"
LOOP_HEADER = "X-Giliran-Loop"
# A long thread's References grow with every message; keep the first (the thread's root,
# which clients use to find the thread) and the newest, as RFC 5322 3.6.4 allows and
# Thunderbird does, so the header stays a few lines long.
MOST_REFERENCES = 20
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class OutgoingFile:
    """A file the reply carries, already read from the outgoing file store."""

    file_name: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """What an agent's reply by mail is made of.

    `seq` makes the reply's Message-ID unique (the conversation message's id and a random
    part, `addresses.our_message_id`); it must be the same at every attempt, or a retried
    reply is a second mail and a bounce names neither. `key` is the mailbox's thread key,
    which signs the Reply-To token.
    `in_reply_to` is the customer's last Message-ID, `references` the thread's stored ones,
    oldest first (both without angle brackets, as they are stored)."""

    mailbox: str
    mailbox_name: str | None
    agent_name: str | None
    customer: str
    customer_name: str | None
    ticket_id: int
    ticket_number: str
    subject: str
    text: str
    seq: str
    key: bytes
    at: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    html: str | None = None  # a sanitised HTML body; None: made from the text
    files: tuple[OutgoingFile, ...] = field(default=())


def message_id_of(reply: Reply) -> str:
    """The reply's Message-ID without angle brackets: what the courier records as the
    channel's id, and what a bounce names."""
    domain = reply.mailbox.rpartition("@")[2].lower()
    return _bare(our_message_id(reply.ticket_id, reply.seq, domain))


def reply_message(reply: Reply) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = _mailbox(_sender_name(reply), reply.mailbox)
    msg["To"] = _mailbox(reply.customer_name, reply.customer)
    token = token_for(reply.ticket_id, reply.key)
    msg["Reply-To"] = _mailbox(reply.mailbox_name, reply_address(reply.mailbox, token))
    msg["Subject"] = _one_line(subject_for(reply.ticket_number, _one_line(reply.subject)))
    msg["Date"] = format_datetime(reply.at)
    msg["Message-ID"] = f"<{message_id_of(reply)}>"
    if reply.in_reply_to:
        msg["In-Reply-To"] = _bracketed(reply.in_reply_to)
    references = _capped(_thread(reply.references, reply.in_reply_to))
    if references:
        msg["References"] = " ".join(_bracketed(mid) for mid in references)
    msg[TICKET_HEADER] = str(reply.ticket_id)
    msg[LOOP_HEADER] = reply.mailbox
    msg.set_content(reply.text)
    msg.add_alternative(reply.html or html_of(reply.text), subtype="html")
    for file in reply.files:
        maintype, subtype = _file_type(file.mime_type)
        msg.add_attachment(file.data, maintype=maintype, subtype=subtype,
                           filename=_one_line(file.file_name) or "file")
    return msg


def _file_type(mime_type: str) -> tuple[str, str]:
    """A file's type as a leaf part: a `multipart/*` or `message/*` label on bytes would
    make a client read the file as the mail's own structure, so it goes as a plain file."""
    maintype, _, subtype = mime_type.split(";", 1)[0].strip().lower().partition("/")
    if not maintype or not subtype or maintype in ("multipart", "message"):
        return "application", "octet-stream"
    return maintype, subtype


def html_of(text: str) -> str:
    """The HTML part of a reply typed as plain text: paragraphs and line breaks kept, every
    character escaped (an agent's `<b>` is text, not markup)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs)
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}\n' \
           "</body></html>\n"


def _sender_name(reply: Reply) -> str:
    """`Dewi via Support`: the customer sees who answered, and that it is the desk's
    mailbox (their reply goes to the desk, not to Dewi)."""
    if reply.agent_name and reply.mailbox_name:
        return f"{reply.agent_name} via {reply.mailbox_name}"
    return reply.agent_name or reply.mailbox_name or ""


def _mailbox(name: str | None, address: str) -> Address:
    """An address with its display name. Built from its parts: `addr_spec=` refuses a local
    part in UTF-8 (RFC 6531, `bùdi@contoh.example`), which the sender passes on to a server
    that offers SMTPUTF8 and fails plainly at one that does not."""
    local, _, domain = _one_line(address).rpartition("@")
    return Address(_one_line(name or ""), username=local, domain=domain)


def _thread(references: Sequence[str], in_reply_to: str | None) -> list[str]:
    """The thread's Message-IDs, oldest first, each once, ending with the one answered."""
    last = _bare(in_reply_to) if in_reply_to else ""
    mids: list[str] = []
    for mid in references:
        bare = _bare(mid)
        if bare and bare != last and bare not in mids:
            mids.append(bare)
    return [*mids, last] if last else mids


def _capped(mids: list[str]) -> list[str]:
    if len(mids) <= MOST_REFERENCES:
        return mids
    return [mids[0], *mids[-(MOST_REFERENCES - 1):]]


def _bare(mid: str) -> str:
    return mid.strip().strip("<>").strip()


def _bracketed(mid: str) -> str:
    return f"<{_bare(mid)}>"


def _one_line(value: str) -> str:
    """Names and subjects come from people (a customer's subject, an agent's name): a line
    break in one would end the header and start another (header injection), so whitespace
    of any kind becomes one space."""
    return _SPACE.sub(" ", value).strip()
