"""Canned replies: answers a desk writes once and inserts with "/" in the composer.

A reply belongs to one queue or to every queue (`queue` None), and is in one language or
any (`language` None). Its text may name `{customer_name}`, `{ticket_number}` and
`{agent_name}`, filled in for the ticket it is used on. Anything else in braces is left as
typed, and so is a variable with no value (a customer who never told their name): the agent
sees the gap in the composer before sending, where an empty string would slip through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from giliran.domain.errors import InvalidInput

LANGUAGES = ("en", "id")
LONGEST_NAME = 100
LONGEST_TEXT = 4096
VARIABLES = ("customer_name", "ticket_number", "agent_name")
_VARIABLE = re.compile(r"\{([a-z_]+)\}")


@dataclass
class CannedReply:
    name: str
    text: str
    updated_at: datetime
    created_by: str = ""  # the actor key of whoever made it
    queue: str | None = None  # None: for every queue
    language: str | None = None  # None: for any language
    id: int = 0


def check(reply: CannedReply) -> None:
    """Raises InvalidInput for a reply the desk could not use."""
    if not reply.name.strip() or len(reply.name) > LONGEST_NAME:
        raise InvalidInput(f"a canned reply's name has 1 to {LONGEST_NAME} characters")
    if not reply.text.strip() or len(reply.text) > LONGEST_TEXT:
        raise InvalidInput(f"a canned reply's text has 1 to {LONGEST_TEXT} characters")
    if reply.language is not None and reply.language not in LANGUAGES:
        raise InvalidInput(f"a canned reply's language is one of {', '.join(LANGUAGES)}, "
                           "or none for any")


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """`text` with each known variable that has a value replaced by it."""
    def one(found: re.Match[str]) -> str:
        value = values.get(found.group(1)) if found.group(1) in VARIABLES else None
        return value if value else found.group(0)
    return _VARIABLE.sub(one, text)


def language_of(code: str | None) -> str | None:
    """"id" from a channel's "id" or "id-ID"; None for a language no reply is written in."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def for_ticket(replies: Sequence[CannedReply], queue: str,
               language: str | None) -> list[CannedReply]:
    """Those that apply on a ticket of `queue` (its own and the global ones): the customer's
    language first, then those for any language, then the others; the queue's own before the
    global ones; then by name."""
    def rank(r: CannedReply) -> tuple[int, int, str, int]:
        lang = 0 if language is not None and r.language == language else (
            1 if r.language is None else 2)
        return (lang, 0 if r.queue is not None else 1, r.name.lower(), r.id)
    return sorted((r for r in replies if r.queue in (None, queue)), key=rank)
