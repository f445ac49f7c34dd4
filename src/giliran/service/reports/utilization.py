"""Utilization, load and fairness over a period, replayed from the presence log and the
assignment history (nothing is sampled).

Each agent's day is a step function: online or not (the presence log), and how many tickets it
holds, per queue (assignments add one, completions, cancellations, escalations and requeues take
one away; the count at the start of the period is the count now with every change since then
undone). `domain/figures.py` integrates it over the period. Capacity is the agent's current
max_tickets (a queue's: its max_per_agent, when it has one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from giliran.domain.event_types import RELEASES_HOLDER, HistoryKind
from giliran.domain.figures import Step, Usage, expected_shares, fairness, gini, usage
from giliran.domain.model import Agent, HistoryEntry, Presence, Queue, TicketStatus
from giliran.service.ports import TicketFilter, UnitOfWork

EVERY = 10**9


@dataclass(frozen=True)
class Share:
    """What an agent received against what its time online would have given it."""

    agent_id: int
    online_seconds: float
    received: int
    expected: float
    ratio: float | None


@dataclass(frozen=True)
class Figures:
    agents: dict[int, Usage]  # of the queue asked about, or of all its tickets
    queues: dict[str, Usage]  # members' usage of each queue
    floor: Usage
    shares: list[Share] = field(default_factory=list)
    gini: float | None = None


def replay(uow: UnitOfWork, agents: Sequence[Agent], queues: Sequence[Queue],
           since: datetime, until: datetime, entries: Sequence[HistoryEntry],
           queue: str | None = None) -> Figures:
    """`entries`: the whole history from `since` on (to now, to undo it back to `since`);
    `queue`: the agents' figures and the shares count only that queue's tickets."""
    queue_of = {t.id: t.queue for t in uow.tickets.many({e.ticket_id for e in entries})}
    start = _held_at_start(uow, entries, queue_of)
    online_at = uow.presence_log.at(since)
    presence: dict[int, list[Step]] = {}
    for change in uow.presence_log.during(since, until):
        presence.setdefault(change.agent_id, []).append(
            Step(change.at, online=change.presence is Presence.ONLINE))
    moves = _moves(entries, queue_of, until)
    policy = {q.name: q for q in queues}
    per_agent: dict[int, Usage] = {}
    per_queue: dict[str, Usage] = {q.name: Usage() for q in queues}
    for agent in agents:
        online = online_at.get(agent.id) is Presence.ONLINE
        steps = presence.get(agent.id, [])
        held, mine = start.get(agent.id, Counter()), moves.get(agent.id, [])

        def used(q: str | None, capacity: int, online: bool = online, steps: list[Step] = steps,
                 held: Counter[str | None] = held,
                 mine: list[tuple[str | None, Step]] = mine) -> Usage:
            count = sum(n for tq, n in held.items() if q in (None, tq))
            changes = [s for tq, s in mine if q in (None, tq)]
            return usage(online, max(0, count), sorted(steps + changes, key=lambda s: s.at),
                         since, until, capacity)

        cap = _capacity(agent, policy.get(queue)) if queue else agent.max_tickets
        per_agent[agent.id] = used(queue, cap)
        for name in agent.queues & per_queue.keys():
            per_queue[name] += used(name, _capacity(agent, policy[name]))
    floor = sum(per_agent.values(), Usage()) if queue is None else per_queue.get(queue, Usage())
    shares, spread = _fairness(agents, per_agent, entries, queue_of, since, until, queue)
    return Figures(per_agent, per_queue, floor, shares, spread)


def _capacity(agent: Agent, queue: Queue | None) -> int:
    if queue is not None and queue.max_per_agent > 0:
        return queue.max_per_agent
    return agent.max_tickets


def _held_at_start(uow: UnitOfWork, entries: Sequence[HistoryEntry],
                   queue_of: dict[int, str]) -> dict[int, Counter[str | None]]:
    """Tickets held per agent and queue at the start: held now, with every move since
    undone."""
    held: dict[int, Counter[str | None]] = {}
    for status in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD):
        for t in uow.tickets.search(TicketFilter(status=status, limit=EVERY)):
            if t.agent_id is not None:
                held.setdefault(t.agent_id, Counter())[t.queue] += 1
    for e in entries:
        q = queue_of.get(e.ticket_id)
        if e.event == HistoryKind.ASSIGNED and e.to_agent_id is not None:
            held.setdefault(e.to_agent_id, Counter())[q] -= 1
        elif e.event in RELEASES_HOLDER and e.from_agent_id is not None:
            held.setdefault(e.from_agent_id, Counter())[q] += 1
    return held


def _moves(entries: Sequence[HistoryEntry], queue_of: dict[int, str],
           until: datetime) -> dict[int, list[tuple[str | None, Step]]]:
    found: dict[int, list[tuple[str | None, Step]]] = {}
    for e in entries:
        if e.at >= until:
            break
        q = queue_of.get(e.ticket_id)
        if e.event == HistoryKind.ASSIGNED and e.to_agent_id is not None:
            found.setdefault(e.to_agent_id, []).append((q, Step(e.at, held=1)))
        elif e.event in RELEASES_HOLDER and e.from_agent_id is not None:
            found.setdefault(e.from_agent_id, []).append((q, Step(e.at, held=-1)))
    return found


def _fairness(agents: Sequence[Agent], used: dict[int, Usage], entries: Sequence[HistoryEntry],
              queue_of: dict[int, str], since: datetime, until: datetime,
              queue: str | None) -> tuple[list[Share], float | None]:
    """Among the agents who were online in the period (the only ones a share is due to)."""
    received = Counter(e.to_agent_id for e in entries
                       if e.event == HistoryKind.ASSIGNED and since <= e.at < until
                       and (queue is None or queue_of.get(e.ticket_id) == queue))
    online = {a.id: used[a.id].online_seconds for a in agents if used[a.id].online_seconds > 0}
    expected = expected_shares(sum(received[i] for i in online), online)
    shares = [Share(i, online[i], received[i], expected[i], fairness(received[i], expected[i]))
              for i in online]
    return shares, gini([received[i] for i in online])
