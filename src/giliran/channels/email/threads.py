"""Which ticket a mail belongs to: pure rules, no I/O (the caller hands in two look-ups).

The marks are tried in the order they can be trusted (issue 25):
1. the token in a recipient address (`support+<token>@…`), HMAC-checked;
2. In-Reply-To: our own Message-ID pattern, or any Message-ID we stored;
3. References, newest first (a client that rewrote In-Reply-To, as Outlook and Exchange do,
   usually keeps them);
4. the ticket number in the subject (`[INC…]`), which survives clients that drop the rest.

Every candidate must be the same customer's ticket: a colleague answering on the thread, or a
forwarded mail's recipient replying, opens a ticket of their own rather than writing into
someone else's (Chatwoot PR #13502). A reply whose subject says something else entirely is a
new request sent with the Reply button (Chatwoot #15869), so header and token marks give way
to a changed subject when the ticket's subject is known; the subject's own tag still holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from giliran.channels.email.addresses import (
    bare_subject,
    number_in_subject,
    ticket_of_message_id,
    ticket_of_token,
    token_in,
)
from giliran.channels.email.mail import Mail


class Rule(StrEnum):
    TOKEN = "token"
    IN_REPLY_TO = "in_reply_to"
    REFERENCES = "references"
    SUBJECT = "subject"
    NEW = "new"


@dataclass(frozen=True)
class Candidate:
    ticket_id: int
    contact: str
    open: bool
    subject: str | None = None  # the ticket's subject, when the caller knows it


@dataclass(frozen=True)
class Decision:
    ticket_id: int | None  # None: a new ticket
    rule: Rule
    reopen: bool = False  # the ticket found is closed
    why: tuple[str, ...] = ()  # marks tried and refused, for the ticket's trail

    @property
    def new(self) -> bool:
        return self.ticket_id is None


Stored = Callable[[str], int | None]  # a stored Message-ID's ticket
Tickets = Callable[[int], Candidate | None]


def decide(mail: Mail, mailbox: str, key: bytes, stored: Stored, ticket: Tickets,
           customer: str) -> Decision:
    """`mailbox`: the address the mail came to (its `+token` form is the reply address);
    `key`: that mailbox's thread key; `customer`: the sender as tickets name contacts."""
    refused: list[str] = []
    for rule, ticket_id, mark in _marks(mail, mailbox, key, stored):
        found = ticket(ticket_id)
        why = _refusal(found, customer, mail.subject, rule)
        if found is not None and why is None:
            return Decision(found.ticket_id, rule, not found.open, tuple(refused))
        refused.append(f"{rule.value} {mark}: ticket {ticket_id} {why}")
    return Decision(None, Rule.NEW, False, tuple(refused))


def _marks(mail: Mail, mailbox: str, key: bytes,
           stored: Stored) -> Iterator[tuple[Rule, int, str]]:
    token = token_in(mail.recipients, mailbox)
    if token is not None:
        ticket_id = ticket_of_token(token, key)
        if ticket_id is not None:
            yield Rule.TOKEN, ticket_id, token
    tried: set[str] = set()
    for rule, ids in ((Rule.IN_REPLY_TO, mail.in_reply_to),
                      (Rule.REFERENCES, tuple(reversed(mail.references)))):
        for mid in ids:
            if mid in tried:
                continue
            tried.add(mid)
            ticket_id = ticket_of_message_id(mid)
            if ticket_id is None:
                ticket_id = stored(mid)
            if ticket_id is not None:
                yield rule, ticket_id, mid
    number = number_in_subject(mail.subject)
    if number is not None:
        yield Rule.SUBJECT, number, mail.subject


def _refusal(found: Candidate | None, customer: str, subject: str, rule: Rule) -> str | None:
    if found is None:
        return "does not exist"
    if found.contact.lower() != customer.lower():
        return "is another customer's"
    if rule is not Rule.SUBJECT and found.subject is not None and \
            subject_changed(found.subject, subject):
        return "has another subject"
    return None


def subject_changed(theirs: str, ours: str) -> bool:
    """A new topic, not an edited one: neither bare subject contains the other. Adding words
    ("… - still broken") or dropping a prefix is the same thread; an empty subject says
    nothing."""
    a, b = bare_subject(theirs).casefold(), bare_subject(ours).casefold()
    return bool(a and b) and a not in b and b not in a
