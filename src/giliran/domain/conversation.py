"""Conversations: what a customer and the desk say to each other on a channel.

Every message a channel delivers is kept with its content, never reduced to a placeholder: a
location keeps its coordinates, a document its file name, a button reply the choice, a
reaction its emoji; a kind giliran does not know is kept raw with its type. What the desk
sends is a message too (direction `out`), written with the notice that carries it, so the
conversation reads the same from either side and shows how far each reply got (sent,
delivered, read, or failed with the channel's reason). An internal note (direction `note`)
is a message of the thread that no notice carries: nothing ever sends it, and it counts
neither as the customer's word nor as an answer.

WhatsApp lets a business send free text only within 24 hours of the customer's last message
(the customer-service window); outside it only an approved template may be sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

WHATSAPP = "whatsapp"
TELEGRAM = "telegram"
CUSTOMER_WINDOW = timedelta(hours=24)
LONGEST_TEXT = 4096  # Telegram's limit for one message; WhatsApp allows more
SYSTEM_AUTHOR = "system"


class Direction(StrEnum):
    IN = "in"  # from the customer
    OUT = "out"  # to the customer
    NOTE = "note"  # between colleagues: in the thread, never sent to anyone


class Kind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    VOICE = "voice"
    DOCUMENT = "document"
    STICKER = "sticker"
    ANIMATION = "animation"
    LOCATION = "location"
    CONTACTS = "contacts"
    CHOICE = "choice"  # a button or list reply: the option the customer chose
    REACTION = "reaction"
    SYSTEM = "system"  # the channel speaking (e.g. the customer changed number)
    TEMPLATE = "template"  # an approved WhatsApp template, sent by the desk
    UNKNOWN = "unknown"  # kept raw, with the channel's own type

    @property
    def has_media(self) -> bool:
        return self in MEDIA_KINDS

    @classmethod
    def of(cls, value: object) -> Kind:
        """The kind named `value`; UNKNOWN for a name this version does not know."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN


MEDIA_KINDS = frozenset({Kind.IMAGE, Kind.VIDEO, Kind.AUDIO, Kind.VOICE, Kind.DOCUMENT,
                         Kind.STICKER, Kind.ANIMATION})


class State(StrEnum):
    """How far an outgoing message got. Channels report out of order (a `read` can overtake
    `delivered`), so a state only ever moves forward."""

    QUEUED = "queued"  # accepted by giliran, in the outbox
    SENT = "sent"  # accepted by the channel
    DELIVERED = "delivered"  # on the customer's device
    READ = "read"
    FAILED = "failed"


_RANK = {State.QUEUED: 0, State.SENT: 1, State.DELIVERED: 2, State.READ: 3}


def advance(current: State, reported: State) -> State:
    """The state after a report. A failure counts only before the message is known to have
    arrived; a later report that it arrived wins over an earlier failure."""
    if reported is State.FAILED:
        return State.FAILED if current in (State.QUEUED, State.SENT) else current
    if current is State.FAILED:
        return reported if reported in (State.DELIVERED, State.READ) else current
    return reported if _RANK[reported] > _RANK[current] else current


@dataclass
class Message:
    """One message of a ticket's conversation, in either direction."""

    ticket_id: int
    channel: str
    external_id: str  # unique: a channel's message id (in), or giliran's own (out)
    sender: str  # how the author is shown: the customer's name, or the agent's
    body: str  # the text, or a media caption; empty when the content says it all
    at: datetime
    id: int = 0
    language: str | None = None  # the customer's, where the channel tells it
    direction: Direction = Direction.IN
    kind: Kind = Kind.TEXT
    content: dict[str, Any] = field(default_factory=dict)  # what the kind carries
    author: str | None = None  # out: "agent:<id>", "admin" or "system"
    state: State | None = None  # out only
    state_at: datetime | None = None
    error: str | None = None  # out: the channel's reason for a failure
    channel_message_id: str | None = None  # out: the channel's id once it took the message
    edited_at: datetime | None = None  # in: the customer edited it (earlier texts in content)

    @property
    def is_desk_reply(self) -> bool:
        """An answer someone on the desk sent the customer. giliran's own words (the ticket's
        number, "resolved") answer nothing, and a note is never sent."""
        return self.direction is Direction.OUT and self.author != SYSTEM_AUTHOR

    @property
    def at_channel(self) -> str | None:
        """Its id at the channel, by which a reaction names it: a customer's message is kept
        under "<channel>:<its id there>"; a reply has the channel's id once it took it; a note
        never reaches a channel."""
        if self.direction is Direction.IN:
            return self.external_id.partition(":")[2] or None
        return self.channel_message_id if self.direction is Direction.OUT else None

    @property
    def media_id(self) -> str | None:
        found = self.content.get("media_id")
        return str(found) if self.kind.has_media and found else None

    def report(self, state: State, at: datetime, error: str | None = None) -> bool:
        """Apply a channel's report; True when it changed anything."""
        after = advance(self.state or State.QUEUED, state)
        if after is self.state:
            return False
        self.state = after
        self.state_at = at
        if after is State.FAILED and error:
            self.error = error[:500]
        return True

    def edit(self, body: str, content: dict[str, Any], at: datetime) -> None:
        """The customer edited it: the latest text shows, every earlier one is kept."""
        earlier = list(self.content.get("edits", []))
        earlier.append({"body": self.body, "at": (self.edited_at or self.at).isoformat()})
        self.content = {**content, "edits": earlier}
        self.body = body
        self.edited_at = at


# A reply in one of these reached the channel or the customer: failures before it are answered.
REACHED = frozenset({State.SENT, State.DELIVERED, State.READ})


def is_reply(message: Message) -> bool:
    """Written by the desk to the customer (giliran's own words, `system`, are not a reply)."""
    return message.direction is Direction.OUT and message.author != SYSTEM_AUTHOR


def unresolved_failures(messages: Iterable[Message]) -> list[Message]:
    """Of one ticket's messages, oldest first: the replies that failed (refused by the channel,
    or given up on by the outbox) with no later reply that reached the customer. A failed reply
    retried is queued again, so it leaves this list, and comes back if it fails again."""
    found: list[Message] = []
    for message in messages:
        if not is_reply(message):
            continue
        if message.state is State.FAILED:
            found.append(message)
        elif message.state in REACHED:
            found = []
    return found


@dataclass(frozen=True)
class Receipt:
    """A channel's report on an outgoing message (WhatsApp statuses)."""

    channel: str
    channel_message_id: str
    state: State
    at: datetime
    error: str | None = None


@dataclass
class Customer:
    """Who a ticket is for. `key` is the first address giliran heard them on
    ("whatsapp:6281234567890"), which their tickets keep as `contact`; `address` is where a
    reply goes now (a changed number moves it)."""

    key: str
    channel: str
    address: str
    name: str | None = None
    username: str | None = None  # Telegram's @name
    via: str | None = None  # the business number they last wrote to (WhatsApp)
    last_incoming_at: datetime | None = None
    # They blocked the bot: the channel refuses everything sent to them until they write
    # again (which unblocks it), so replies are refused here rather than fail later.
    blocked_at: datetime | None = None
    # One person across channels (domain/person.py): the key of the group's first customer,
    # shared by every member; None while this address stands alone. Replies never follow it.
    person_key: str | None = None

    @property
    def shown_address(self) -> str:
        """The address as people write it: +E.164 for WhatsApp, @name for Telegram."""
        if self.channel == WHATSAPP:
            return f"+{self.address.lstrip('+')}"
        if self.channel == TELEGRAM and self.username:
            return f"@{self.username}"
        return self.address

    def window_closes_at(self) -> datetime | None:
        """When WhatsApp stops taking free text to this customer (None: no such rule)."""
        if self.channel != WHATSAPP or self.last_incoming_at is None:
            return None
        return self.last_incoming_at + CUSTOMER_WINDOW

    def window_open(self, now: datetime) -> bool:
        closes = self.window_closes_at()
        return self.channel != WHATSAPP or (closes is not None and now < closes)


def contact_key(channel: str, address: str) -> str:
    return f"{channel}:{address}"


def split_contact(key: str) -> tuple[str, str]:
    """("whatsapp", "6281…") from "whatsapp:6281…"."""
    channel, _, address = key.partition(":")
    return channel, address


_LABELS = {
    Kind.IMAGE: "Photo", Kind.VIDEO: "Video", Kind.AUDIO: "Audio", Kind.VOICE: "Voice message",
    Kind.DOCUMENT: "Document", Kind.STICKER: "Sticker", Kind.ANIMATION: "Animation",
    Kind.LOCATION: "Location", Kind.CONTACTS: "Contact", Kind.CHOICE: "Chose",
    Kind.REACTION: "Reaction", Kind.SYSTEM: "Notice", Kind.TEMPLATE: "Template",
    Kind.UNKNOWN: "Message",
}


def summary(kind: Kind, body: str, content: dict[str, Any]) -> str:
    """One line that says what a message holds, for a title or a chat notice."""
    if kind is Kind.TEXT:
        return body
    detail = body or _detail(kind, content)
    label = _LABELS[kind]
    if kind is Kind.UNKNOWN:
        label = f"{label} ({content.get('type', 'unknown')})"
    return f"{label}: {detail}" if detail else label


def _detail(kind: Kind, content: dict[str, Any]) -> str:
    if kind is Kind.LOCATION:
        place = ", ".join(str(content[k]) for k in ("name", "address") if content.get(k))
        where = f"{content.get('latitude')}, {content.get('longitude')}"
        return f"{place} ({where})" if place else where
    if kind is Kind.CONTACTS:
        return ", ".join(str(c.get("name") or c.get("phones", ["?"])[0])
                         for c in content.get("contacts", []))
    if kind is Kind.CHOICE:
        return str(content.get("title") or content.get("id") or "")
    if kind is Kind.REACTION:
        return str(content.get("emoji") or "removed")
    if kind.has_media:
        return str(content.get("file_name") or content.get("emoji") or "")
    return ""
