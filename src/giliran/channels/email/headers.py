"""Header values as threading and storage compare them: Message-IDs without angle brackets and
with the domain lower-cased (the local part is case-sensitive, RFC 5322 3.6.4), addresses
lower-case, and the lists in In-Reply-To/References whatever separators a client used."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

_ANGLED = re.compile(r"<([^<>\s]+)>")
_BARE = re.compile(r"[\w.+=-]+@[\w.-]+")


def message_id_key(value: str) -> str | None:
    """`<CAF+x@Mail.Gmail.com>` -> `CAF+x@mail.gmail.com`; None for nothing usable."""
    found = message_ids(value)
    return found[0] if found else None


def message_ids(value: str) -> tuple[str, ...]:
    """Every id in a References/In-Reply-To value, in order, without repeats. Ids without
    brackets (some clients and list software drop them) count when they look like one."""
    text = str(value or "")
    found = _ANGLED.findall(text)
    if not found:
        found = [w.strip(",;") for w in text.split() if "@" in w]
    seen: dict[str, None] = {}
    for mid in found:
        local, at, domain = mid.strip().rpartition("@")
        key = f"{local}@{domain.lower()}" if at and local else mid.strip()
        if key:
            seen.setdefault(key, None)
    return tuple(seen)


def addresses(values: list[str]) -> tuple[tuple[str, str], ...]:
    """(display name, lower-case address) pairs of address headers; pairs without an @ are
    left out (group syntax, `undisclosed-recipients:;`, garbage)."""
    try:
        pairs = getaddresses([str(v) for v in values])
    except RecursionError:  # thousands of nested comments: take what looks like addresses
        pairs = [("", a) for a in _BARE.findall(" ".join(values))]
    return tuple((name.strip(), addr.strip().lower()) for name, addr in pairs
                 if "@" in addr and " " not in addr.strip())


# The policy's header parser is superlinear (a 350 KB To: took 12 s) and recursive (5,000
# nested comments overflow the stack); no real header comes near these lengths, so longer
# ones are read shortened, at a separator.
_LONGEST = {"to": 16_384, "cc": 16_384, "references": 65_536}
_LONGEST_OTHER = 4_096


class Fields:
    """A message's header values, each decoded at most once, never raising: decoded by the
    message's policy, or from its raw text when the policy fails."""

    def __init__(self, msg: Message) -> None:
        self._msg = msg
        self._raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self._raw.setdefault(str(name).lower(), []).append(str(value))
        self._decoded: dict[str, list[str]] = {}

    def has(self, name: str) -> bool:
        return name.lower() in self._raw

    def __call__(self, name: str) -> str:
        found = self.every(name)
        return found[0] if found else ""

    def every(self, name: str) -> list[str]:
        """Each value of a header that may come more than once (Delivered-To: one per
        envelope recipient, where a Bcc'd mailbox or a token shows)."""
        key = name.lower()
        if key not in self._decoded:
            self._decoded[key] = [self._decode(key, raw) for raw in self._raw.get(key, [])[:50]]
        return self._decoded[key]

    def _decode(self, key: str, raw: str) -> str:
        raw = shortened(raw, _LONGEST.get(key, _LONGEST_OTHER))
        try:
            return str(self._msg.policy.header_factory(key, raw))  # type: ignore[attr-defined]
        except Exception:  # the parser has raised on odd input before; the words still count
            try:
                return str(make_header(decode_header(raw)))
            except Exception:
                return raw


def shortened(raw: str, limit: int) -> str:
    if len(raw) <= limit:
        return raw
    cut = raw[:limit]
    at = max(cut.rfind(","), cut.rfind(" "))
    return cut[:at] if at > 0 else cut
