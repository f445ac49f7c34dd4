"""Whether anyone can take a queue's tickets as things stand.

A ticket reaches an agent by automatic dispatch or by a pick-up. Presence, pauses and full
agents change by the minute and only delay it; what stops it for good is a queue without a way
in: nobody serves it, or pick-ups are off and none of its members takes tickets automatically.
Such tickets are flagged `unreachable` with the reason, so a supervisor sees customers nobody
will ever answer (they used to wait silently, counted nowhere), and they are released as soon
as a way in exists again.

A ticket left for a pick-up by a partial rollout has only one way in, the pick-up: when a queue
switches pick-ups off, it becomes automatic (the end of a migration must not strand it).
"""

from __future__ import annotations

from enum import StrEnum

from giliran.domain.model import PickupPolicy, Queue, Ticket, TicketFlag, TicketStatus


class NoWayIn(StrEnum):
    NO_MEMBERS = "no_members"  # no active agent serves the queue
    NOBODY_RECEIVES = "nobody_receives"  # pick-up off, and no member takes tickets automatically


def no_way_in(queue: Queue, members: int, receiving: int) -> NoWayIn | None:
    """`members`: active agents who serve the queue; `receiving`: those of them who take
    tickets automatically (online or not: an offline agent comes back), read only when the
    queue's pick-ups are off."""
    if members <= 0:
        return NoWayIn.NO_MEMBERS
    if queue.pickup is PickupPolicy.OFF and receiving <= 0:
        return NoWayIn.NOBODY_RECEIVES
    return None


def stranded(ticket: Ticket, queue: Queue) -> bool:
    """Left for a pick-up in a queue where nobody may pick up any more. An exhausted ticket
    is not: it waits for a supervisor by design, and is flagged so."""
    return (ticket.status is TicketStatus.QUEUED and not ticket.auto_dispatch
            and ticket.flag is not TicketFlag.EXHAUSTED and queue.pickup is PickupPolicy.OFF)

