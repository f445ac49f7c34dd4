"""A bounce (an RFC 3464 delivery status notification) as a report on the reply it names, so
the reply shows as failed with the receiving server's words, like a WhatsApp reply that
failed, and the bounce itself opens no ticket.

The SMTP server that took the reply said 250 (the courier recorded it sent); a server further
on refused it later and mailed the DSN back to the mailbox. The DSN names the reply by its
Message-ID (in the returned headers), which the courier recorded as the channel's id: so the
report goes through the same `report` use case as any channel's, and a DSN that arrives
before the courier recorded the id is kept and applied when it does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from giliran.channels.email.addresses import ticket_of_message_id
from giliran.domain.conversation import Receipt, State

CHANNEL = "email"
LONGEST_ERROR = 300
# A Diagnostic-Code starts with its type ("smtp; 550 5.1.1 ..."): the agent needs the reply.
_DIAGNOSTIC_TYPE = re.compile(r"^[a-z0-9-]+;\s*", re.IGNORECASE)


class BounceReport(Protocol):
    """What part A's normaliser reads from a DSN (`Mail.bounce`), per RFC 3464: the
    per-recipient `Action` (failed, delayed, delivered, relayed, expanded), `Status` (5.1.1)
    and `Diagnostic-Code` (the remote server's reply)."""

    @property
    def original_message_id(self) -> str | None: ...
    @property
    def recipient(self) -> str | None: ...
    @property
    def action(self) -> str | None: ...
    @property
    def status(self) -> str | None: ...
    @property
    def diagnostic(self) -> str | None: ...


def receipt_of_bounce(bounce: BounceReport, at: datetime) -> Receipt | None:
    """The report a DSN makes on one of our replies; None when it names no reply of ours or
    changes nothing (a `delayed` notice: the server is still trying, the reply stays sent)."""
    mid = (bounce.original_message_id or "").strip().strip("<>").strip()
    if not mid or ticket_of_message_id(mid) is None:
        return None
    action = (bounce.action or "").strip().lower()
    status = (bounce.status or "").strip()
    if action == "delivered":
        return Receipt(CHANNEL, mid, State.DELIVERED, at)
    if action == "failed" or (not action and status.startswith("5")):
        return Receipt(CHANNEL, mid, State.FAILED, at, _error(bounce, status))
    return None


def _error(bounce: BounceReport, status: str) -> str:
    """What the agent reads on the failed reply: whom it did not reach, and the remote
    server's own reply (the status code when the DSN quotes none)."""
    said = _DIAGNOSTIC_TYPE.sub("", " ".join((bounce.diagnostic or "").split()))
    said = said or status or "the mail bounced"
    who = (bounce.recipient or "").strip()
    return (f"{who}: {said}" if who else said)[:LONGEST_ERROR]
