"""The marks giliran leaves on its mail so that a customer's reply finds its ticket again, in
the order threading trusts them: a token in the Reply-To address (`support+<token>@…`, kept
by every client that answers to Reply-To), our own Message-ID pattern (which In-Reply-To and
References carry back), and the ticket number in the subject (`[INC20261207000042]`, which
survives clients that drop the other two).

A token is the ticket's id with a short HMAC under the mailbox's own key: a token that was
guessed or mistyped names no ticket. Message-IDs are handled without their angle brackets.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

_TOKEN = re.compile(r"^t([0-9a-z]{1,13})([0-9a-f]{10})$")
_OUR_ID = re.compile(r"^giliran\.(\d{1,18})\.[0-9A-Za-z_-]{1,64}@", re.ASCII)
# INC + yyyymmdd + the id in six or more digits (model.Ticket.number).
_SUBJECT_NUMBER = re.compile(r"\[\s*#?INC\d{8}(\d{6,})\s*\]", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|balas|fwd?|wg|tr)\s*(\[\d+\])?\s*:\s*)+",
                           re.IGNORECASE)
_LONGEST_SUBJECT = 200


def _signature(ticket_id: int, key: bytes) -> str:
    return hmac.new(key, f"ticket:{ticket_id}".encode(), hashlib.sha256).hexdigest()[:10]


def token_for(ticket_id: int, key: bytes) -> str:
    """`t<id in base 36><10 hex of HMAC>`: short enough for an address's local part, lower
    case because some servers fold addresses to it."""
    return f"t{_base36(ticket_id)}{_signature(ticket_id, key)}"


def ticket_of_token(token: str, key: bytes) -> int | None:
    found = _TOKEN.match(token.strip().lower())
    if found is None:
        return None
    ticket_id = int(found.group(1), 36)
    if not hmac.compare_digest(found.group(2), _signature(ticket_id, key)):
        return None
    return ticket_id


def reply_address(mailbox: str, token: str) -> str:
    """support@desk.example -> support+<token>@desk.example"""
    local, _, domain = mailbox.partition("@")
    return f"{local.split('+', 1)[0]}+{token}@{domain}"


def token_in(addresses: Iterable[str], mailbox: str) -> str | None:
    """The token of the first address that is `mailbox` with a `+token` (case-insensitive)."""
    local, _, domain = mailbox.lower().partition("@")
    base = local.split("+", 1)[0]
    for address in addresses:
        their_local, _, their_domain = address.lower().strip().partition("@")
        name, plus, token = their_local.partition("+")
        if plus and name == base and their_domain == domain and token:
            return token
    return None


def our_message_id(ticket_id: int, seq: str, domain: str) -> str:
    """The Message-ID (without brackets) of a mail giliran sends for `ticket_id`; `seq` makes
    it unique (the conversation message's id and a random part)."""
    seq = re.sub(r"[^0-9A-Za-z_-]", "-", seq)[:64] or "0"
    return f"giliran.{ticket_id}.{seq}@{domain}"


def ticket_of_message_id(message_id: str) -> int | None:
    found = _OUR_ID.match(message_id.strip().strip("<>"))
    return int(found.group(1)) if found else None


def number_in_subject(subject: str) -> int | None:
    """The ticket id an `[INC…]` tag in a subject names."""
    found = _SUBJECT_NUMBER.search(subject)
    return int(found.group(1)) if found else None


def bare_subject(subject: str) -> str:
    """The subject without reply and forward prefixes (Re:, AW:, Fwd:, Balas:) and our tag."""
    subject = _SUBJECT_NUMBER.sub("", subject)
    return " ".join(_REPLY_PREFIX.sub("", subject).split())


def subject_for(ticket_number: str, subject: str) -> str:
    """`Re: <subject> [INC…]`: one Re:, one tag, whatever the thread's subject had."""
    bare = bare_subject(subject)[:_LONGEST_SUBJECT]
    return f"Re: {bare} [{ticket_number}]" if bare else f"Re: [{ticket_number}]"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
