"""Header values as threading and storage compare them: Message-IDs without angle brackets and
with the domain lower-cased (the local part is case-sensitive, RFC 5322 3.6.4), addresses
lower-case, and the lists in In-Reply-To/References whatever separators a client used."""

from __future__ import annotations

import re
from email.utils import getaddresses

_ANGLED = re.compile(r"<([^<>\s]+)>")


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
    pairs = getaddresses([str(v) for v in values])
    return tuple((name.strip(), addr.strip().lower()) for name, addr in pairs
                 if "@" in addr and " " not in addr.strip())
