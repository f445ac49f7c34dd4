"""Which replies failed unresolved is answered alike in memory, on SQLite and on PostgreSQL,
and exactly as the rule says (domain.conversation.unresolved_failures): for any conversations,
any states, any filters."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giliran.domain.conversation import (
    SYSTEM_AUTHOR,
    Direction,
    Message,
    State,
    unresolved_failures,
)
from giliran.domain.model import Queue, Ticket, TicketStatus
from giliran.service.ports import UnitOfWorkFactory

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_runs = itertools.count()

# (ticket 0..2, direction, by giliran itself, state of an outgoing message)
MESSAGE = st.tuples(st.integers(0, 2), st.sampled_from([Direction.IN, Direction.OUT]),
                    st.booleans(), st.sampled_from(list(State)))
# Per ticket: its queue (0/1) and whether it is done.
TICKET = st.tuples(st.integers(0, 1), st.booleans())


def _store(uow: UnitOfWorkFactory, run: int, tickets: list[tuple[int, bool]],
           messages: list[tuple[int, Direction, bool, State]]) -> tuple[list[int], list[str]]:
    queues = [f"q{run}a", f"q{run}b"]
    with uow(write=True) as w:
        for name in queues:
            w.queues.add(Queue(name))
        ids = []
        for n, (queue, done) in enumerate(tickets):
            status = TicketStatus.COMPLETED if done else TicketStatus.QUEUED
            ids.append(w.tickets.add(Ticket(0, "t", created_at=T0, queue=queues[queue],
                                            status=status, contact=f"whatsapp:{run}-{n}")).id)
        for n, (which, direction, own, state) in enumerate(messages):
            out = direction is Direction.OUT
            w.messages.add(Message(
                ids[which], "whatsapp", f"m:{run}:{n}", "x", "hi", T0 + timedelta(seconds=n),
                direction=direction, author=(SYSTEM_AUTHOR if own else "agent:1") if out
                else None, state=state if out else None))
        w.commit()
    return ids, queues


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tickets=st.lists(TICKET, min_size=3, max_size=3), messages=st.lists(MESSAGE, max_size=12),
       queue=st.integers(0, 1), open_only=st.booleans())
def test_every_store_finds_the_replies_the_rule_finds(
    uow: UnitOfWorkFactory, tickets: list[tuple[int, bool]],
    messages: list[tuple[int, Direction, bool, State]], queue: int, open_only: bool,
) -> None:
    ids, queues = _store(uow, next(_runs), tickets, messages)
    with uow(write=False) as r:
        stored = {i: r.messages.for_ticket(i) for i in ids}
        expected = sorted((m.id for i in ids for m in unresolved_failures(stored[i])),
                          reverse=True)
        assert [m.id for m in r.messages.unresolved_failures(ticket_ids=ids)] == expected
        kept = [i for i, (q, done) in zip(ids, tickets, strict=True)
                if q == queue and not (open_only and done)]
        filtered = sorted((m.id for i in kept for m in unresolved_failures(stored[i])),
                          reverse=True)
        found = r.messages.unresolved_failures(queues=[queues[queue]], open_only=open_only)
        assert [m.id for m in found] == filtered
        assert all(m.state is State.FAILED and m.direction is Direction.OUT for m in found)


def test_a_reply_that_got_through_answers_the_failures_before_it(
    uow: UnitOfWorkFactory,
) -> None:
    out = Direction.OUT
    ids, _ = _store(uow, next(_runs), [(0, False)], [
        (0, out, False, State.FAILED), (0, out, False, State.DELIVERED),
        (0, out, False, State.FAILED), (0, out, True, State.SENT),  # giliran's own: no answer
        (0, Direction.IN, False, State.READ), (0, out, False, State.QUEUED)])
    with uow(write=False) as r:
        (found,) = r.messages.unresolved_failures(ticket_ids=ids)
        assert found.external_id.endswith(":2")
