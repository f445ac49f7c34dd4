"""Raw bytes to a parsed message, safely: the standard library's parser with `policy.default`,
guarded against the inputs that make it slow, and a name for a message without a Message-ID.
"""

from __future__ import annotations

import hashlib
import re
from email import message_from_bytes, policy
from email.message import EmailMessage, Message


def parse(raw: bytes) -> tuple[EmailMessage, bool]:
    """The message, and whether a header had to be shortened to read it."""
    readable, shortened = _defused(raw)
    msg = message_from_bytes(readable, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    _settle(msg)
    return msg, shortened


_STRUCTURE = ("Content-Type", "Content-Disposition", "Content-Transfer-Encoding", "Content-ID")
_STRUCTURE_LINE = re.compile(rb"(?im)^content-(?:type|disposition):[^\n]*(?:\n[ \t][^\n]*)*")
_LONGEST_STRUCTURE = 8192


def _defused(raw: bytes) -> tuple[bytes, bool]:
    """The feed parser reads Content-Type many times per part while it splits a message, each
    time parsing it anew: a 100 KB one took 16 s. Such headers are cut before parsing (the
    original is kept as it came)."""
    long = [m for m in _STRUCTURE_LINE.finditer(raw) if len(m.group(0)) > _LONGEST_STRUCTURE]
    if not long:
        return raw, False
    out, at = [], 0
    for found in long:
        value = found.group(0)[:_LONGEST_STRUCTURE]
        out += [raw[at:found.start()], value[: value.rfind(b";")].replace(b"\n", b" ")]
        at = found.end()
    return b"".join(out) + raw[at:], True


def _settle(msg: Message) -> None:
    """The policy parses a header again on every read, and the structure's headers are read
    many times per part: each is parsed once here and kept parsed."""
    for part in msg.walk():
        for name in _STRUCTURE:
            raw = next((str(v) for k, v in part.raw_items() if k.lower() == name.lower()), None)
            if raw is None:
                continue
            try:
                value = raw.replace("\r", "").replace("\n", "")  # unfolded
                parsed = policy.default.header_factory(name, value)
                part.replace_header(name, parsed)
            except Exception:  # left as it was; reading it later is guarded too
                continue


# Added on the way in, differently by each path a message takes to us: left out of the digest
# that names a message without a Message-ID, so IMAP and the listener name it alike.
_TRACE = {"received", "return-path", "delivered-to", "x-original-to", "x-received",
          "authentication-results", "arc-seal", "arc-message-signature",
          "arc-authentication-results", "x-spam-status", "x-spam-score", "x-spam-flag",
          "received-spf", "x-gm-message-state", "x-google-smtp-source"}


def digest(raw: bytes) -> str:
    """A name for a message without a Message-ID: the same mail read twice (by IMAP after a
    restart, or once by IMAP and once by the listener) gets the same one."""
    text = raw.replace(b"\r\n", b"\n")
    head, _, rest = text.partition(b"\n\n")
    unfolded = re.sub(rb"\n[ \t]+", b" ", head).split(b"\n")
    kept = [line for line in unfolded
            if line.split(b":", 1)[0].strip().lower().decode("latin-1") not in _TRACE]
    return "digest-" + hashlib.sha256(b"\n".join(kept) + b"\n\n" + rest.rstrip()).hexdigest()
