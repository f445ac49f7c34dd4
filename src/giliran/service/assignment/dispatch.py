"""The dispatch rule: hand queued tickets, head first, to eligible agents until one side runs out.

Called inside the unit of work of whatever changed the floor, so the change and its consequences
commit together.

Order is global (priority, then arrival) among tickets that compete for the same agents; an
agent only receives tickets of the queues it serves. One pass walks the global queue from its
head. A ticket whose queue has no eligible member "blocks" that queue for the rest of the pass
(nothing in the pass gives capacity back), and the walk skips the blocked queue's tickets. If it
skips many, a long backlog of a queue nobody serves right now is in the way, and the pass
switches to merging the heads of the remaining queues one by one instead, so its cost never
grows with that backlog.

A queue whose waiting order is `sla_due` serves its soonest SLA due ticket first (tickets
without a running clock after them, then by priority and age, `Ticket.line_key`). One global
order cannot keep every queue's own line, so while any queue orders by SLA due time the pass
merges the queue heads from the start: each queue's head in its own line, and between queues
the heads compare as the global walk would (priority, then arrival).

Tickets every eligible agent has missed stay at the head of their queue (escalated ones go back
to their place) and each pass steps over them again. Nothing in a pass changes who is eligible
until it assigns something, so the pass asks the database who is eligible once per queue and
candidate count, and again only after an assignment: stepping over such a ticket reads its
row, not the agents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum, auto

from giliran.domain import explain, lifecycle
from giliran.domain.model import (
    Agent,
    HistoryEntry,
    Queue,
    Reason,
    StrategyName,
    Ticket,
    WaitingOrder,
)
from giliran.domain.people import SYSTEM
from giliran.service.assignment import turns
from giliran.service.context import Context
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_move

# Queued tickets are read in pages; a short page means the queue is exhausted, which saves the
# query that would otherwise confirm it. The first page is small because intake usually finds a
# one-ticket queue, or a backlog that nobody has room for; later pages serve a burst of refills.
FIRST_PAGE = 2
PAGE = 32
# Tickets of blocked queues the global walk may step over before it merges per-queue heads.
SKIP_LIMIT = 64


class Outcome(Enum):
    ASSIGNED = auto()
    PASSED_OVER = auto()  # eligible members exist, but each of them already missed it
    BLOCKED = auto()  # its queue has no eligible member at all


def dispatch(
    ctx: Context, uow: UnitOfWork, reason: Reason = Reason.AUTO, limit: int | None = None
) -> int:
    """Every assignment it makes is written to the history (the record of what moved).
    `limit` caps the assignments of one pass (a big backlog is dispatched in several short
    transactions); returns how many it made."""
    run = _Pass(ctx, uow, reason, limit)
    try:
        if run.lines_differ() or run.walk_global_queue():
            run.merge_queue_heads()
    except _LimitReached:
        pass
    return run.assigned


class _LimitReached(Exception):
    pass


@dataclass
class _Pass:
    ctx: Context
    uow: UnitOfWork
    reason: Reason
    limit: int | None = None
    assigned: int = 0
    blocked: set[str] = field(default_factory=set)
    passed_over: dict[str, int] = field(default_factory=dict)  # per queue, still queued
    # Who is eligible, per (queue, ordering, limit), until the pass assigns something.
    seen_eligible: dict[tuple[str, tuple[str, ...], int | None], list[Agent]] = field(
        default_factory=dict)

    def eligible(self, queue: Queue, ordering: tuple[str, ...], limit: int | None
                 ) -> list[Agent]:
        key = (queue.name, ordering, limit)
        found = self.seen_eligible.get(key)
        if found is None:
            found = self.seen_eligible[key] = self.uow.agents.eligible(queue, ordering, limit)
        return found

    def lines_differ(self) -> bool:
        """Whether some queue keeps a line of its own (ordered by SLA due time)."""
        return any(q.waiting_order is WaitingOrder.SLA_DUE for q in self._queues())

    def walk_global_queue(self) -> bool:
        """Returns True when it stopped because too many tickets were skipped."""
        offset, size, skipped = 0, FIRST_PAGE, 0
        while True:
            page = self.uow.tickets.queued_head(size, offset=offset)
            for ticket in page:
                if ticket.queue in self.blocked:
                    offset += 1
                    skipped += 1
                    if skipped > SKIP_LIMIT:
                        return True
                elif self.offer(ticket) is not Outcome.ASSIGNED:
                    offset += 1
                if self.everything_blocked():
                    return False
            if len(page) < size:
                return False
            size = PAGE

    def merge_queue_heads(self) -> None:
        """Serve the open queues by repeatedly taking the first of their heads."""
        queues = {q.name: q for q in self._queues() if q.name not in self.blocked}
        heads: dict[str, Ticket | None] = {name: self.head_of(q) for name, q in queues.items()}
        while True:
            waiting = [t for t in heads.values() if t is not None]
            if not waiting:
                return
            ticket = min(waiting, key=lambda t: t.queue_key)
            if self.offer(ticket) is Outcome.BLOCKED:
                heads[ticket.queue] = None
            else:
                heads[ticket.queue] = self.head_of(queues[ticket.queue])

    def head_of(self, queue: Queue) -> Ticket | None:
        found = self.uow.tickets.queued_head_of(queue.name, 1,
                                                offset=self.passed_over.get(queue.name, 0),
                                                order=queue.waiting_order)
        return found[0] if found else None

    def offer(self, ticket: Ticket) -> Outcome:
        picked = pick(self.ctx, self.uow, ticket, self.eligible)
        if not picked.anyone:
            self.blocked.add(ticket.queue)
            return Outcome.BLOCKED
        if picked.agent is None:
            self.passed_over[ticket.queue] = self.passed_over.get(ticket.queue, 0) + 1
            return Outcome.PASSED_OVER
        self.seen_eligible.clear()  # loads, and a rotation's pointer, change with it
        entry = hand_over(self.uow, ticket, picked, now=self.ctx.clock.now(), reason=self.reason)
        self.uow.tickets.save(ticket)
        record_move(self.uow, ticket, entry)
        self.assigned += 1
        if self.limit is not None and self.assigned >= self.limit:
            raise _LimitReached
        return Outcome.ASSIGNED

    def everything_blocked(self) -> bool:
        if not self.blocked:
            return False
        return all(q.name in self.blocked for q in self._queues())

    def _queues(self) -> list[Queue]:
        return self.uow.queues.all()  # cached by the unit of work


@dataclass(frozen=True)
class Pick:
    """Is any member of the ticket's queue eligible; whom the strategy picks among those who
    never missed it, and why; the queue, and its members when it rotates."""

    anyone: bool
    queue: Queue
    agent: Agent | None = None
    why: explain.Why | None = None
    members: Sequence[Agent] = ()


Eligible = Callable[[Queue, tuple[str, ...], int | None], list[Agent]]


def pick(ctx: Context, uow: UnitOfWork, ticket: Ticket, eligible: Eligible | None = None
         ) -> Pick:
    """`eligible`: how to ask who is eligible (a pass remembers the answer between tickets)."""
    queue = _queue(uow, ticket)  # queue rows are cached
    rotates = turns.rotates(queue)
    pointer = turns.pointer_key(uow, queue) if rotates else None
    strategy = ctx.strategy(queue.strategy, pointer)
    limit = strategy.candidate_limit
    if limit is not None:
        limit += len(ticket.missed_by)  # enough that some remain after leaving those out
    candidates = (eligible or uow.agents.eligible)(queue, strategy.ordering, limit)
    if not candidates:
        return Pick(False, queue)
    fresh = [a for a in candidates if a.id not in ticket.missed_by]
    chosen = strategy.select(ticket, fresh)
    if chosen is None:
        return Pick(True, queue)
    if not rotates:  # the explanation is taken before the assignment changes the figures
        return Pick(True, queue, chosen, explain.by_strategy(queue, ticket, chosen, candidates))
    members = uow.agents.members(queue.name)
    why = explain.in_rotation(ticket, chosen, members, pointer,
                              set_by_hand=queue.pointer_set_by_hand)
    return Pick(True, queue, chosen, why, members)


def hand_over(uow: UnitOfWork, ticket: Ticket, picked: Pick, *, now: datetime,
              reason: Reason) -> HistoryEntry:
    """Assign the ticket to the picked agent: the history entry says why, and a rotation's
    turn moves on. The caller saves the ticket and appends the entry."""
    agent = picked.agent
    assert agent is not None and picked.why is not None
    entry = lifecycle.assign(ticket, agent, seq=uow.next_seq(), now=now, reason=reason,
                             actor=SYSTEM)
    if turns.rotates(picked.queue):
        turns.advance(uow, picked.queue, agent, picked.members)
    uow.agents.save(agent)
    return replace(entry, note=picked.why.note, detail=picked.why.detail)


def _queue(uow: UnitOfWork, ticket: Ticket) -> Queue:
    return uow.queues.get(ticket.queue) or Queue(ticket.queue, StrategyName.ROUND_ROBIN)
