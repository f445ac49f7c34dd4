"""The agent's inbox: which of their conversations needs them now.

An agent on a busy shift reads the list top down, so the order is the rule: tickets waiting
for their accept come first (the timer takes them away), soonest deadline first; then the
conversations where the customer spoke last, most urgent and longest waiting first; then the
rest, held tickets last. "Awaiting a reply" compares the customer's last message with the
desk's last answer: a note answers nobody, and neither do giliran's own words (the ticket's
number sent when it opened), or every new conversation would look answered.

Pure: the storage reads each fact for all the agent's tickets at once (see Thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from giliran.domain.conversation import Message
from giliran.domain.model import Ticket, TicketStatus

ON_HOLD = TicketStatus.ON_HOLD.value
OPEN = frozenset({TicketStatus.ASSIGNED.value, TicketStatus.IN_PROGRESS.value, ON_HOLD})
WORKING = frozenset({TicketStatus.ASSIGNED.value, TicketStatus.IN_PROGRESS.value})


class View(StrEnum):
    MINE = "mine"  # every open ticket the agent holds, held ones too
    WAITING = "waiting"  # the desk answered last: the customer's turn
    ON_HOLD = "on_hold"
    DONE_TODAY = "done_today"  # completed by the agent since midnight (UTC)


@dataclass(frozen=True)
class Thread:
    """What the inbox needs of one ticket's conversation."""

    last_in_id: int | None = None  # the customer's last message
    last_reply_id: int | None = None  # the desk's last answer (not a note, not giliran's)
    waiting_since: datetime | None = None  # the customer's first message after that answer

    @property
    def awaiting_reply(self) -> bool:
        return self.last_in_id is not None and self.last_in_id > (self.last_reply_id or 0)


NO_THREAD = Thread()


@dataclass(frozen=True)
class Entry:
    """One conversation of the list."""

    ticket: Ticket
    thread: Thread = NO_THREAD
    unread: int = 0
    last_message: Message | None = None
    accept_deadline: datetime | None = None
    customer_name: str | None = None
    failed_reply: bool = False

    @property
    def awaiting_reply(self) -> bool:
        return self.ticket.status.value in OPEN and self.thread.awaiting_reply


def in_view(entry: Entry, view: View) -> bool:
    status = entry.ticket.status.value
    if view is View.MINE:
        return status in OPEN
    if view is View.ON_HOLD:
        return status == ON_HOLD
    if view is View.WAITING:
        return (status in WORKING and entry.thread.last_reply_id is not None
                and not entry.thread.awaiting_reply)
    return entry.ticket.status is TicketStatus.COMPLETED



def urgency(entry: Entry) -> tuple[int, int, float, int]:
    """The sort key: smaller needs the agent sooner."""
    ticket = entry.ticket
    status = ticket.status.value
    if status == TicketStatus.ASSIGNED.value:
        deadline = entry.accept_deadline
        return (0, 0, deadline.timestamp() if deadline else float("inf"), ticket.id)
    if entry.awaiting_reply:
        since = entry.thread.waiting_since
        return (1, -int(ticket.effective_priority),
                since.timestamp() if since else float("inf"), ticket.id)
    if status == ON_HOLD:
        return (3, 0, 0.0, ticket.id)
    if status in OPEN:
        return (2, -int(ticket.effective_priority), 0.0, ticket.id)
    closed = ticket.closed_at
    return (4, 0, -closed.timestamp() if closed else 0.0, ticket.id)


def ordered(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=urgency)
