"""One person across channels: customers (one address each) that the desk says are the same
human, so whoever reads a ticket sees all of that person's tickets.

A customer stays one address: its tickets keep it as `contact` and replies go back on it (an
email ticket is answered by email, a WhatsApp ticket on WhatsApp). A link only groups
customers for reading. A group is kept as every member's `person_key`: the key of the first
customer of the group (the one the first link was made from), so a group is one indexed read.

Only customers giliran has heard from can be linked: an address nobody wrote from has no
channel details to show and may be mistyped; once they write, the desk links them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from giliran.domain.errors import InvalidInput, NotLinked

MAX_ADDRESSES = 20  # a person's addresses, so the pane and its read stay small
LONGEST_KEY = 200  # as `customers.key`


def address_key(text: str) -> str:
    """A customer's key as people type it: "channel:address"; the channel's name in lower
    case, an email address in lower case too (mail is delivered case-insensitively)."""
    channel, colon, address = text.strip().partition(":")
    channel, address = channel.lower(), address.strip()
    if not colon or not channel.isalpha() or not address or len(text) > LONGEST_KEY:
        raise InvalidInput("an address looks like channel:address, such as "
                           "email:ana@example.com or whatsapp:6281234567890")
    return f"{channel}:{address.lower() if channel == 'email' else address}"


def members(person_key: str | None, key: str, keys: Sequence[str]) -> list[str]:
    """The person's keys in the order shown: the first customer, then the others by key."""
    first = person_key or key
    return [first, *sorted(k for k in keys if k != first)]


def link(person: Sequence[str], other: Sequence[str]) -> Mapping[str, str | None]:
    """The new `person_key` of each customer that changes when `other`'s person joins
    `person` (both as `members` gives them): all take `person`'s first key. Nothing when they
    are one person already."""
    if set(person) & set(other):
        return {}
    if len(person) + len(other) > MAX_ADDRESSES:
        raise InvalidInput(f"a person has at most {MAX_ADDRESSES} addresses")
    return {k: person[0] for k in (*person, *other)}


def unlink(person: Sequence[str], leaving: str) -> Mapping[str, str | None]:
    """The new `person_key` of each customer when `leaving` leaves `person`: it stands alone;
    the rest stay one person under their first remaining key (alone too when one is left)."""
    if leaving not in person or len(person) < 2:
        raise NotLinked(f"{leaving} is not linked to {person[0]}")
    rest = [k for k in person if k != leaving]
    first = rest[0] if len(rest) > 1 else None
    return {leaving: None, **{k: first for k in rest}}
