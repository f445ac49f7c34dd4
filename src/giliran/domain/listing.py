"""How a supervisor finds tickets on a busy floor: what a search text means and the orders a
list can be sorted in. Pure, so the SQL and in-memory listings read them alike."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from giliran.domain.model import Ticket, TicketStatus

NO_CHANNEL = "api"  # the channel of a ticket posted to the API (it has no contact)
# A whole ticket number (its day, 20261202, then the id in at least 6 digits), or an id. A
# longer run of digits is no ticket (a phone number, 6281234567890, would otherwise name one).
_NUMBER = re.compile(r"^(?:INC)?(?:20\d{6}(\d{6,9})|(\d{1,9}))$", re.IGNORECASE)
# A phone number as people type it: digits, a leading +, spaces, dashes, dots, parentheses.
_PHONE = re.compile(r"^\+?[\d\s().\-]+$")
_PHONE_DIGITS = 4  # fewer is no phone number: "(1)" would match nearly every contact
_NATIONAL_DIGITS = 8  # 0812 3456 7890 is a whole national number; "0890" is not


class TicketSort(StrEnum):
    QUEUE = "queue_order"  # priority, then moves to the front, then arrival
    NUMBER = "number"
    PRIORITY = "priority"
    WAITING = "waiting"  # since it entered the queue, or was assigned: the longest first
    TITLE = "title"
    QUEUE_NAME = "queue"
    STATUS = "status"
    AGENT = "agent"


def number_in(text: str) -> int | None:
    """The ticket id a search text names: a whole number (INC20261202000013), its digits, or
    its id ("13"); None when the text is no number."""
    found = _NUMBER.match(text.strip())
    return int(found.group(1) or found.group(2)) if found else None


def phone_digits(text: str) -> str | None:
    """The digits to look for in a contact (whatsapp:6281234567890) when the search text is a
    phone number as displayed ("+62 812-3456-7890", "(0812) 3456.7890"); None when it is not
    one. The trunk prefix of a whole national number goes ("0812…" finds "62812…", whatever
    the country code), as does "00" before a country code and a "(0)" after one."""
    text = text.strip().replace("(0)", "")
    if not _PHONE.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0") and not text.startswith("+") and len(digits) > _NATIONAL_DIGITS:
        digits = digits[1:]
    return digits if len(digits) >= _PHONE_DIGITS else None


def like_pattern(text: str) -> str:
    """`text` anywhere, with LIKE's wildcards taken literally (escaped with a backslash)."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def channel_of(contact: str | None) -> str:
    return contact.partition(":")[0] if contact else NO_CHANNEL


def since(ticket: Ticket) -> datetime:
    """What "waiting / held for" counts from: entering the queue, or the assignment."""
    if ticket.status is TicketStatus.QUEUED:
        return ticket.queued_at or ticket.created_at
    if ticket.status.is_held:
        return ticket.assigned_at or ticket.created_at
    return ticket.closed_at or ticket.created_at


def personal_order(held: list[Ticket]) -> list[Ticket]:
    """An agent's own queue as it works through it: the most urgent first, then the oldest
    (by arrival) of a priority."""
    return sorted(held, key=lambda t: (-int(t.effective_priority), t.created_at, t.id))
