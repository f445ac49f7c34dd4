"""Moving a desk with a backlog onto giliran: bulk import, then dispatch in batches.

Both halves work in bounded transactions (a batch of rows; a batch of assignments), so a
100,000-ticket backlog never holds the floor lock for long, live traffic keeps flowing in
between, and an interrupted import is simply run again: rows are matched on external_id, so a
second run creates nothing that the first one did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from giliran.domain import rollout
from giliran.domain.errors import InvalidInput, QueueInactive
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import HistoryEntry, Reason
from giliran.domain.people import Can
from giliran.service.assignment import reach
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context, Principal
from giliran.service.recording import record_move
from giliran.service.tickets.tickets import NewTicket, arrival, arrived, open_queue


@dataclass(frozen=True)
class BatchResult:
    created: int
    existing: int
    # Rows skipped by a rule (index in the batch, why): a queue that does not exist or takes
    # no new tickets. The rest of the batch is imported.
    refused: tuple[tuple[int, str], ...] = ()


def import_batch(ctx: Context, who: Principal, rows: Sequence[NewTicket]) -> BatchResult:
    """One transaction: the rows whose external_id is new become queued tickets (the queue's
    rollout decides which are open to automatic dispatch); the others are left alone."""
    who.require(Can.SUPERVISE)
    if any(row.external_id is None for row in rows):
        raise InvalidInput("every imported ticket needs an external_id (it makes import safe "
                           "to repeat)")
    created = 0
    refused: list[tuple[int, str]] = []
    queues: set[str] = set()
    # The history has always said "import"; now it also says who ran it.
    actor = replace(who.by, key="import")
    with ctx.uow(write=True) as uow:
        known = uow.tickets.existing_external_ids({r.external_id or "" for r in rows})
        now = ctx.clock.now()
        for index, row in enumerate(rows):
            key = row.external_id or ""
            if key in known:
                continue
            try:
                queue = open_queue(uow, row.queue)
            except (InvalidInput, QueueInactive):
                refused.append((index, f"queue {row.queue!r} does not exist" if uow.queues.get(
                    row.queue) is None else f"queue {row.queue!r} takes no new tickets"))
                continue
            ticket = arrival(row, now)
            ticket.auto_dispatch = rollout.is_automatic(queue, key)
            uow.tickets.add(ticket)
            entry = HistoryEntry(0, now, HistoryKind.CREATED, Reason.CREATED, actor)
            record_move(uow, ticket, arrived(ticket, entry))
            known.add(key)
            created += 1
            queues.add(queue.name)
        reach.reconsider(uow, queues, now)  # a backlog nobody serves is flagged at once
        uow.commit()
    return BatchResult(created, len(rows) - created - len(refused), tuple(refused))


def dispatch_batch(ctx: Context, who: Principal, size: int) -> int:
    """Up to `size` assignments in one transaction; fewer means nobody has room any more (or
    nothing waits)."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        made = dispatch(ctx, uow, Reason.AUTO, limit=size)
        uow.commit()
    return made
