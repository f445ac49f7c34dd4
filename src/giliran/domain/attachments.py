"""Files the desk sends a customer: which types each channel carries, and how large.

A file goes out as an image (shown in the chat) or as a document (a file to open). Each
channel says what it takes, and refuses the rest when the message is already on its way; so
the desk checks the same rules when the agent uploads, and answers at once (415 for a type,
413 for a size) instead of a reply that fails minutes later:

- WhatsApp (Cloud API): images JPEG or PNG up to 5 MB; documents of the types Meta lists
  (PDF, plain text, Office) up to 100 MB. WebP is a sticker's type there, neither an image nor
  a document: refused.
- Telegram (Bot API): photos (JPEG, PNG, WebP) up to 10 MB, any document up to 50 MB.

The server's own cap (GILIRAN_UPLOAD_MAX_BYTES) bounds them all. An image's first bytes must
say what its type says: a channel refuses a "photo" that is not one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from giliran.domain.conversation import TELEGRAM, WHATSAPP, Kind
from giliran.domain.errors import UnsupportedMediaType, UploadTooLarge

MB = 1_000_000
LONGEST_CAPTION = 1024  # both channels' limit for a caption
LONGEST_NAME = 200

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_WHATSAPP_IMAGES = frozenset({"image/jpeg", "image/png"})
_WHATSAPP_DOCUMENTS = frozenset({
    "application/pdf", "text/plain", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
})


@dataclass(frozen=True)
class ChannelLimits:
    image: int  # bytes
    document: int
    images: frozenset[str]  # the types it shows as images
    documents: frozenset[str] | None  # None: any type


LIMITS = {
    WHATSAPP: ChannelLimits(5 * MB, 100 * MB, _WHATSAPP_IMAGES, _WHATSAPP_DOCUMENTS),
    TELEGRAM: ChannelLimits(10 * MB, 50 * MB, IMAGE_TYPES, None),
}
# A channel this table does not know (a test's own) takes what Telegram takes.
_DEFAULT = LIMITS[TELEGRAM]


@dataclass(frozen=True)
class Attachment:
    """A file on its way to a customer: where the outgoing file store keeps it (`key`), and
    what the channel is told about it."""

    key: str
    mime_type: str
    file_name: str
    size: int
    kind: Kind  # IMAGE or DOCUMENT

    def content(self) -> dict[str, Any]:
        """What its conversation message holds (as customers' media do)."""
        return {"media_id": self.key, "mime_type": self.mime_type,
                "file_name": self.file_name, "size": self.size}

    def stored(self) -> dict[str, Any]:
        return {**self.content(), "kind": self.kind.value}

    @classmethod
    def of_stored(cls, found: dict[str, Any]) -> Attachment:
        return cls(str(found["media_id"]), str(found["mime_type"]), str(found["file_name"]),
                   int(found["size"]), Kind(found["kind"]))


def limits_of(channel: str) -> ChannelLimits:
    return LIMITS.get(channel, _DEFAULT)


def kind_for(channel: str, mime_type: str) -> Kind:
    """How `channel` carries a file of this type; UnsupportedMediaType when it does not."""
    limits = limits_of(channel)
    if mime_type in limits.images:
        return Kind.IMAGE
    if limits.documents is None or mime_type in limits.documents:
        return Kind.DOCUMENT
    raise UnsupportedMediaType(f"{channel} does not carry files of type {mime_type[:100]}")


def channel_cap(channel: str, kind: Kind) -> int:
    """The most bytes the channel takes in a file of this kind."""
    limits = limits_of(channel)
    return limits.image if kind is Kind.IMAGE else limits.document


def cap_for(channel: str, kind: Kind, server_cap: int) -> int:
    """The most bytes a file of this kind may have on this channel, on this server."""
    return min(server_cap, channel_cap(channel, kind))


def check_size(size: int, cap: int) -> None:
    if size > cap:
        raise UploadTooLarge(f"the file may be at most {cap} bytes")


_SIGNATURES = {
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
}


def looks_like(mime_type: str, head: bytes) -> bool:
    """Whether a file's first bytes (at least 12) agree with its image type; any other type
    is taken as declared."""
    signed = _SIGNATURES.get(mime_type)
    return signed is None or signed(head)


def clean_name(name: str | None, mime_type: str) -> str:
    """A file name safe to show and to hand a channel: its last path part, printable, short;
    a plain name by type when there is none."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip().lstrip(".")
    if base:
        return base[-LONGEST_NAME:]
    if mime_type in IMAGE_TYPES:
        return f"image.{mime_type.split('/')[1].replace('jpeg', 'jpg')}"
    return "document"


def clean_type(declared: str | None) -> str:
    """The bare MIME type (no parameters), lower case; octet-stream when none was given."""
    found = (declared or "").split(";", 1)[0].strip().lower()
    return found or "application/octet-stream"
