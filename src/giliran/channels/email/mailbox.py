"""A mailbox: an address of the desk whose mail becomes tickets in one queue, with where its
mail is read (IMAP) and sent (SMTP). Pure: the rules a mailbox keeps, and what of it may be
shown (never a password, nor the credentials in an SMTP URL)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from giliran.domain.errors import Conflict, InvalidInput


class Security(StrEnum):
    TLS = "tls"  # implicit TLS (port 993)
    STARTTLS = "starttls"
    NONE = "none"  # a server on the same host only


class MailboxTaken(Conflict):
    """Another mailbox (active or not) has the address: mail to it would have two queues."""

    code = "mailbox_taken"


class InvalidMailbox(InvalidInput):
    code = "invalid_mailbox"


# What the API and the console may set; `thread_key` is made once and never shown.
SETTABLE = ("address", "queue", "name", "imap_host", "imap_port", "imap_security",
            "imap_user", "imap_password", "imap_folder", "imap_move_to", "imap_idle",
            "poll_seconds", "smtp_url", "block_list")
SECRETS = frozenset({"imap_password", "smtp_url"})
ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
                     r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
BLOCKED = re.compile(r"^(?:[^@\s]+@|@)[a-z0-9.-]+$")
SMTP_SCHEMES = ("smtp", "smtps")
SHOWN_OPTIONS = frozenset({"starttls"})  # of an SMTP URL's query; any other may be a secret
POLL_SECONDS = (5, 86_400)


@dataclass(frozen=True)
class Mailbox:
    id: int
    address: str
    queue: str
    name: str
    active: bool
    imap_host: str | None
    imap_port: int | None
    imap_security: Security
    imap_user: str | None
    imap_password: str | None = field(repr=False)  # never in a log line either
    imap_folder: str
    imap_move_to: str | None
    imap_idle: bool
    poll_seconds: int
    smtp_url: str | None = field(repr=False)
    block_list: tuple[str, ...]
    thread_key: str = field(repr=False)
    created_at: datetime
    updated_at: datetime

    def with_id(self, mailbox_id: int) -> Mailbox:
        return replace(self, id=mailbox_id)

    @property
    def reads_imap(self) -> bool:
        return self.active and self.imap_host is not None

    def shown(self) -> dict[str, Any]:
        """What may be shown and audited: the secrets only as whether they are set."""
        return {"address": self.address, "queue": self.queue, "name": self.name,
                "active": self.active, "imap_host": self.imap_host, "imap_port": self.imap_port,
                "imap_security": self.imap_security.value, "imap_user": self.imap_user,
                "imap_password_set": self.imap_password is not None,
                "imap_folder": self.imap_folder, "imap_move_to": self.imap_move_to,
                "imap_idle": self.imap_idle, "poll_seconds": self.poll_seconds,
                "smtp_server": smtp_server(self.smtp_url),
                "smtp_url_set": self.smtp_url is not None, "block_list": list(self.block_list)}


def new(fields: dict[str, Any], thread_key: str, now: datetime) -> Mailbox:
    """A mailbox from what was sent; `normalised` then `check` it before keeping it."""
    address = str(fields["address"]).strip().lower()
    return normalised(Mailbox(
        id=0, address=address, queue=str(fields["queue"]),
        name=fields.get("name") or address.split("@")[0], active=True,
        imap_host=fields.get("imap_host"), imap_port=fields.get("imap_port"),
        imap_security=Security(fields.get("imap_security") or Security.TLS),
        imap_user=fields.get("imap_user"), imap_password=fields.get("imap_password"),
        imap_folder=fields.get("imap_folder") or "INBOX",
        imap_move_to=fields.get("imap_move_to"),
        imap_idle=bool(fields.get("imap_idle", True)),
        poll_seconds=int(fields.get("poll_seconds") or 60), smtp_url=fields.get("smtp_url"),
        block_list=tuple(fields.get("block_list") or ()), thread_key=thread_key,
        created_at=now, updated_at=now))


def changed(mailbox: Mailbox, fields: dict[str, Any], now: datetime) -> Mailbox:
    given = {k: v for k, v in fields.items() if k in SETTABLE}
    if given.get("imap_security") is not None:
        given["imap_security"] = Security(given["imap_security"])
    if "block_list" in given:
        given["block_list"] = tuple(given["block_list"] or ())
    for required in ("address", "queue", "name", "imap_folder", "imap_security",
                     "imap_idle", "poll_seconds"):
        if required in given and given[required] is None:
            raise InvalidMailbox(f"a mailbox's {required} cannot be empty")
    return normalised(replace(mailbox, **given, updated_at=now))


def normalised(m: Mailbox) -> Mailbox:
    return replace(m, address=m.address.strip().lower(), name=m.name.strip(),
                   block_list=tuple(sorted({b.strip().lower() for b in m.block_list})))


def check(m: Mailbox) -> None:
    """InvalidMailbox, saying what is wrong (never with a secret's value)."""
    if not ADDRESS.match(m.address) or len(m.address) > 254:
        raise InvalidMailbox(f"{m.address[:80]!r} is not an email address")
    if not m.name:
        raise InvalidMailbox("a mailbox needs a name")
    if m.imap_port is not None and not 1 <= m.imap_port <= 65535:
        raise InvalidMailbox("imap_port must be between 1 and 65535")
    if (m.imap_host is None) != (m.imap_user is None):
        raise InvalidMailbox("reading over IMAP needs both imap_host and imap_user")
    if not POLL_SECONDS[0] <= m.poll_seconds <= POLL_SECONDS[1]:
        raise InvalidMailbox(f"poll_seconds must be between {POLL_SECONDS[0]} and "
                             f"{POLL_SECONDS[1]}")
    for blocked in m.block_list:
        if not BLOCKED.match(blocked):
            raise InvalidMailbox(f"{blocked[:80]!r} is neither an address nor an @domain")
    if m.smtp_url is not None:
        _check_smtp(m.smtp_url)


def _check_smtp(url: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port, parts = -1, None
    if parts is None or parts.scheme not in SMTP_SCHEMES or not parts.hostname or port == -1:
        # The URL may hold a password: the message never repeats it.
        raise InvalidMailbox("smtp_url must look like smtp://host:port or "
                             "smtps://user:password@host:465")


def smtp_server(url: str | None) -> str | None:
    """The SMTP URL without its credentials (scheme, host, port, query)."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:  # refused by `check`; nothing of it is shown
        return None
    netloc = f"{host}:{port}" if port else host
    shown = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k in SHOWN_OPTIONS])
    return urlunsplit((parts.scheme, netloc, "", shown, ""))
