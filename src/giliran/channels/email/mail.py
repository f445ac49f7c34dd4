"""One normaliser for every way mail comes in (IMAP, the SMTP listener, a provider's HTTP post):
raw RFC 5322 bytes to a `Mail` the service can thread and store.

`normalise` never raises. Real mail is often slightly wrong (a boundary that never closes,
a charset Python does not know, a header that will not parse); what can be read is read, and
what is seriously wrong is said in `broken`, so the message is kept and flagged, not dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import errors, policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime

from giliran.channels.email import body, headers
from giliran.channels.email.addresses import ticket_of_message_id
from giliran.channels.email.kinds import (
    Bounce,
    MailKind,
    classify,
    read_bounce,
    read_plain_bounce,
)
from giliran.channels.email.parsing import digest, parse

__all__ = ["Bounce", "Mail", "MailKind", "Part", "normalise", "part_bytes"]

_SERIOUS = {errors.StartBoundaryNotFoundDefect: "multipart boundary not found",
            errors.CloseBoundaryNotFoundDefect: "multipart never closed (truncated?)",
            errors.NoBoundaryInMultipartDefect: "multipart without a boundary",
            errors.MultipartInvariantViolationDefect: "multipart structure broken",
            errors.MissingHeaderBodySeparatorDefect: "header lines run into the body"}


@dataclass(frozen=True)
class Part:
    """An attachment or inline image; `index` is its position in `msg.walk()` (part_bytes)."""

    index: int
    file_name: str | None
    mime_type: str
    size: int
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class Mail:
    message_id: str  # without <>; "digest-…" when the message has none
    from_address: str | None
    from_name: str | None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()  # Delivered-To, X-Original-To: where the server put it
    subject: str = ""
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""
    reply_text: str = ""
    html: str | None = None
    attachments: tuple[Part, ...] = ()
    kind: MailKind = MailKind.NORMAL
    kind_why: str = ""
    bounce: Bounce | None = None
    broken: str | None = None
    headers_of_note: tuple[tuple[str, str], ...] = field(default=())

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.delivered_to


_NOTED = ("Auto-Submitted", "Precedence", "X-Autoreply", "List-Id", "X-Giliran-Ticket",
          "X-Mailer", "User-Agent")


def normalise(raw: bytes, own_addresses: Collection[str] = (),
              ours: Callable[[str], bool] | None = None) -> Mail:
    """`own_addresses`: the desk's mailbox addresses (mail from them is a loop); `ours`: whether
    a Message-ID is one this desk made (by default: giliran's pattern, at one of the domains of
    `own_addresses`, since another desk running giliran makes the same pattern)."""
    own = {a.lower() for a in own_addresses}
    domains = {a.rpartition("@")[2] for a in own}
    is_ours = ours or (lambda mid: ticket_of_message_id(mid) is not None
                       and (not domains or mid.rpartition("@")[2].lower() in domains))
    try:
        msg, shortened = parse(raw)
        mail = _read(msg, raw, own, is_ours)
        if shortened:
            why = "; ".join(x for x in (mail.broken, "a structure header too long") if x)
            mail = replace(mail, broken=why)
        return mail
    except Exception as exc:  # the contract: kept and flagged, never lost
        return Mail(message_id=digest(raw), from_address=None, from_name=None,
                    broken=f"unreadable: {type(exc).__name__}: {exc}"[:300])


def _read(msg: EmailMessage, raw: bytes, own: set[str], ours: Callable[[str], bool]) -> Mail:
    field = headers.Fields(msg)
    senders = headers.addresses([field("From")])
    from_name, from_address = senders[0] if senders else ("", None)
    kind = classify(msg, field, from_address, own, ours)
    text, html, used = _bodies(msg)

    def addrs(*names: str) -> tuple[str, ...]:
        found = headers.addresses([v for n in names for v in field.every(n)])
        return tuple(dict.fromkeys(a for _, a in found))

    mail = Mail(
        message_id=headers.message_id_key(field("Message-ID")) or digest(raw),
        from_address=from_address, from_name=from_name or None,
        to=addrs("To"), cc=addrs("Cc"), reply_to=addrs("Reply-To"),
        delivered_to=addrs("Delivered-To", "X-Original-To"),
        subject=" ".join(field("Subject").split()),
        date=_date(field("Date")),
        in_reply_to=headers.message_ids(field("In-Reply-To")),
        references=headers.message_ids(field("References")),
        text=text, reply_text=body.fold_quotes(text, forward=_forward(field("Subject"), text)),
        html=body.sanitise(html) if html else None,
        attachments=_attachments(msg, used),
        kind=kind.kind, kind_why=kind.why,
        headers_of_note=tuple((n, field(n)) for n in _NOTED if field.has(n)),
    )
    if mail.kind is MailKind.BOUNCE:
        mail = replace(mail, bounce=read_bounce(msg) or read_plain_bounce(text))
    return replace(mail, broken=_broken(msg, mail))


def _date(value: str) -> datetime | None:
    """Aware always: "-0000" (RFC 5322: zone unknown) gives a naive time, read as UTC."""
    try:
        when = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _bodies(msg: EmailMessage) -> tuple[str, str | None, set[int]]:
    """(text, raw html, ids of the parts used as the body). The text is the plain part, or the
    HTML's words when a client sent HTML only."""
    plain = _body_part(msg, "plain")
    rich = _body_part(msg, "html")
    html = body.decode_text(rich) if rich is not None else None
    used = [p for p in (plain, rich) if p is not None]
    if plain is not None:
        more = _more_text(msg, plain)
        used += more
        text = "\n\n".join(body.decode_text(p).strip() for p in [plain, *more])
    elif html is not None:
        text = body.html_to_text(html)
    else:
        text = _unsplit(msg)
    text = text.replace("\r\n", "\n").strip()
    return text, html, {id(p) for p in used}


def _more_text(msg: EmailMessage, first: EmailMessage) -> list[EmailMessage]:
    """Apple Mail and iOS put a photo between two text parts of a multipart/mixed: the words
    after the photo are the same message's, not an attachment."""
    if msg.get_content_type() != "multipart/mixed" or first not in list(msg.iter_parts()):
        return []
    return [p for p in msg.iter_parts()  # type: ignore[misc]
            if p is not first and p.get_content_type() == "text/plain"
            and p.get_content_disposition() != "attachment" and not p.get_filename()]


def _unsplit(msg: Message) -> str:
    """A multipart whose boundary never appears is one undivided body: show it as text."""
    payload = msg.get_payload()
    if msg.is_multipart() or not isinstance(payload, str):
        return ""
    if msg.get_content_maintype() not in ("multipart", "text"):
        return ""
    return body.decode_bytes(payload.encode("utf-8", "surrogateescape"),
                             msg.get_content_charset())


_FORWARD = re.compile(r"^\s*(fwd?|fw|tr|wg|i)\s*:", re.I)


def _forward(subject: str, text: str) -> bool:
    """A forwarded mail's quoted part is the request itself, so it is not folded away."""
    return bool(_FORWARD.match(subject)) or \
        "Forwarded message" in text or "Begin forwarded message" in text


def _body_part(msg: EmailMessage, subtype: str) -> EmailMessage | None:
    try:
        found = msg.get_body(preferencelist=(subtype,))
    except Exception:
        return None
    if found is None or found.get_content_type() != f"text/{subtype}":
        return None
    return found  # type: ignore[return-value]


def _attachments(msg: EmailMessage, used: set[int]) -> tuple[Part, ...]:
    found: list[Part] = []
    for index, part in _leaves(msg):
        if id(part) in used or part.get_content_type() in _NOT_SENT:
            continue
        cid = headers.message_id_key(str(part.get("Content-ID", ""))) if \
            part.get("Content-ID") else None
        disposition = part.get_content_disposition()
        found.append(Part(index=index, file_name=_file_name(part),
                          mime_type=part.get_content_type(), size=len(_bytes_of(part)),
                          content_id=cid, inline=bool(cid) and disposition != "attachment"))
    return tuple(found)


# Parts that are no file the sender attached: a DSN's or read receipt's machine report and
# the signature of S/MIME or PGP/MIME signed mail.
_NOT_SENT = {"message/delivery-status", "message/global-delivery-status",
             "message/disposition-notification",
             "application/pkcs7-signature", "application/x-pkcs7-signature",
             "application/pgp-signature"}


def _leaves(msg: Message) -> list[tuple[int, Message]]:
    """(index in msg.walk(), part) for every part that is not a container; a message/* part
    (a forwarded mail, a bounce's returned one) is one leaf, its insides are not ours to list."""
    inside: set[int] = set()
    leaves: list[tuple[int, Message]] = []
    for index, part in enumerate(msg.walk()):
        if id(part) in inside:
            continue
        if part.get_content_maintype() == "message":
            inside.update(id(p) for p in part.walk() if p is not part)
            leaves.append((index, part))
        elif part.get_content_maintype() != "multipart":
            leaves.append((index, part))
    return leaves


def _file_name(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return " ".join(str(name).split()) or None if name else None


def _bytes_of(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return inner[0].as_bytes(policy=policy.default.clone(linesep="\r\n"))
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    return str(part.get_payload()).encode("utf-8", "replace")


def part_bytes(raw: bytes, index: int) -> tuple[bytes, str, str | None]:
    """One attachment of a stored original, by the index `Mail.attachments` gave it.
    KeyError when that index names no attachment."""
    msg, _ = parse(raw)
    for at, part in _leaves(msg):
        if at == index:
            return _bytes_of(part), part.get_content_type(), _file_name(part)
    raise KeyError(index)


def _broken(msg: Message, mail: Mail) -> str | None:
    why: list[str] = []
    for part in msg.walk():
        for defect in part.defects:
            for kind, words in _SERIOUS.items():
                if isinstance(defect, kind) and words not in why:
                    why.append(words)
    if mail.from_address is None:
        why.append("no sender address")
    return "; ".join(why) or None
