"""The floor's invariants, checked from the database alone.

A test reads a `Snapshot` straight from the tables (plain SQL over its own engine, not
giliran's repositories, so a bug there cannot hide itself) after the server has gone quiet,
and `violations()` lists every broken rule in words a failure message can show.

Writers are serialized (BEGIN IMMEDIATE / an advisory lock taken before the first insert),
so assignment_history ids follow commit order and the history can be replayed in id order.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ACTIVE = ("assigned", "in_progress")
BY_HAND = ("pickup", "reassigned", "forced")  # reasons of assignments a person chose
FINAL = ("completed", "cancelled")


@dataclass(frozen=True)
class AgentRow:
    id: int
    name: str
    online: bool
    active: bool
    auto_assign: bool
    max_tickets: int
    active_tickets: int
    last_assigned_seq: int

    @property
    def eligible(self) -> bool:
        return (self.active and self.online and self.auto_assign
                and self.active_tickets < self.max_tickets)


@dataclass(frozen=True)
class TicketRow:
    id: int
    title: str
    status: str
    agent_id: int | None
    priority: int
    external_id: str | None
    missed_by: frozenset[int] = frozenset()
    auto_dispatch: bool = True
    escalations: int = 0
    flag: str | None = None


@dataclass(frozen=True)
class HistoryRow:
    id: int
    ticket_id: int
    event: str
    reason: str
    actor: str
    from_agent_id: int | None
    to_agent_id: int | None


@dataclass
class Snapshot:
    agents: dict[int, AgentRow]
    tickets: dict[int, TicketRow]
    history: list[HistoryRow]  # in id order
    _by_ticket: dict[int, list[HistoryRow]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, database_url: str) -> Snapshot:
        url = make_url(database_url)
        backend = url.drivername.split("+", 1)[0]
        driver = "sqlite+pysqlite" if backend == "sqlite" else "postgresql+psycopg"
        engine = create_engine(url.set(drivername=driver))
        try:
            with engine.connect() as conn:
                agents = {
                    r.id: AgentRow(r.id, r.name, r.presence == "online", bool(r.active),
                                   bool(r.auto_assign), r.max_tickets, r.active_tickets,
                                   r.last_assigned_seq)
                    for r in conn.execute(text(
                        "SELECT id, name, presence, active, auto_assign, max_tickets,"
                        " active_tickets, last_assigned_seq FROM agents ORDER BY id"))
                }
                tickets = {
                    r.id: TicketRow(r.id, r.title, r.status, r.agent_id, r.priority,
                                    r.external_id, frozenset(_json_list(r.missed_by)),
                                    bool(r.auto_dispatch), r.escalations, r.flag)
                    for r in conn.execute(text(
                        "SELECT id, title, status, agent_id, priority, external_id, missed_by,"
                        " auto_dispatch, escalations, flag FROM tickets ORDER BY id"))
                }
                history = [
                    HistoryRow(r.id, r.ticket_id, r.event, r.reason, r.actor,
                               r.from_agent_id, r.to_agent_id)
                    for r in conn.execute(text(
                        "SELECT id, ticket_id, event, reason, actor, from_agent_id,"
                        " to_agent_id FROM assignment_history ORDER BY id"))
                ]
        finally:
            engine.dispose()
        return cls(agents, tickets, history)

    def history_of(self, ticket_id: int) -> list[HistoryRow]:
        if not self._by_ticket:
            grouped: dict[int, list[HistoryRow]] = defaultdict(list)
            for h in self.history:
                grouped[h.ticket_id].append(h)
            self._by_ticket = dict(grouped)
        return self._by_ticket.get(ticket_id, [])

    def held_count(self) -> Counter[int]:
        """Active tickets per agent, counted from the tickets table."""
        return Counter(t.agent_id for t in self.tickets.values()
                       if t.status in ACTIVE and t.agent_id is not None)

    def events(self, event: str) -> list[HistoryRow]:
        return [h for h in self.history if h.event == event]


def violations(snap: Snapshot) -> list[str]:
    return [
        *holder_columns(snap),
        *single_holder_replay(snap),
        *capacity(snap),
        *capacity_replay(snap),
        *no_idle_eligible_agent(snap),
    ]


def holder_columns(snap: Snapshot) -> list[str]:
    """Active tickets name their holder; queued tickets name nobody."""
    found = []
    for t in snap.tickets.values():
        if t.status in ACTIVE and t.agent_id is None:
            found.append(f"ticket {t.id} is {t.status} with no agent_id")
        if t.status == "queued" and t.agent_id is not None:
            found.append(f"ticket {t.id} is queued but agent_id={t.agent_id}")
        if t.status not in ("queued", *ACTIVE, *FINAL):
            found.append(f"ticket {t.id} has unknown status {t.status!r}")
        if t.agent_id is not None and t.agent_id not in snap.agents:
            found.append(f"ticket {t.id} held by unknown agent {t.agent_id}")
    return found


def single_holder_replay(snap: Snapshot) -> list[str]:
    """Replay each ticket's history as a state machine: it never has two holders, every move
    starts from a state that allows it, and the replay ends where the tickets row says."""
    found = []
    ticket_ids = set(snap.tickets) | {h.ticket_id for h in snap.history}
    for tid in sorted(ticket_ids):
        row = snap.tickets.get(tid)
        if row is None:
            found.append(f"history names ticket {tid}, which does not exist")
            continue
        status: str | None = None
        holder: int | None = None
        released_by: int | None = None  # who held it when it was completed / cancelled
        missed: set[int] = set()  # agents it was escalated away from: never its holder again

        def bad(h: HistoryRow, why: str, *, _tid: int = tid) -> None:
            found.append(f"ticket {_tid} history #{h.id} {h.event}"
                         f" ({h.from_agent_id}->{h.to_agent_id}): {why}")

        for h in snap.history_of(tid):
            if h.event == "created":
                if status is not None:
                    bad(h, f"created twice (was {status})")
                status = "queued"
            elif h.event == "assigned":
                if holder is not None:
                    bad(h, f"assigned while agent {holder} still holds it: two holders")
                if status != "queued":
                    bad(h, f"assigned from status {status}")
                if h.to_agent_id is None:
                    bad(h, "assigned to nobody")
                if h.reason in BY_HAND:
                    missed.discard(h.to_agent_id or 0)  # a person chose this agent
                elif h.to_agent_id in missed:
                    bad(h, f"assigned again to agent {h.to_agent_id}, who already missed it")
                status, holder = "assigned", h.to_agent_id
            elif h.event == "accepted":
                if status != "assigned":
                    bad(h, f"accepted from status {status}")
                if not (h.from_agent_id == h.to_agent_id == holder):
                    bad(h, f"accepted by someone other than the holder {holder}")
                status = "in_progress"
            elif h.event in ("completed", "cancelled"):
                allowed = ACTIVE if h.event == "completed" else ("queued", *ACTIVE)
                if status not in allowed:
                    bad(h, f"{h.event} from status {status}")
                if h.from_agent_id != holder:
                    bad(h, f"released by {h.from_agent_id} but the holder was {holder}")
                status, released_by, holder = h.event, holder, None
            elif h.event == "unassigned":
                if status not in ACTIVE:
                    bad(h, f"unassigned from status {status}")
                if h.from_agent_id != holder or holder is None:
                    bad(h, f"unassigned from {h.from_agent_id} but the holder was {holder}")
                if h.reason == "unassigned":  # an admin took it away: not offered back
                    missed.add(h.from_agent_id or 0)
                status, holder = "queued", None
            elif h.event == "escalated":
                if status != "assigned":
                    bad(h, f"escalated from status {status}")
                if h.from_agent_id != holder or holder is None:
                    bad(h, f"escalated from {h.from_agent_id} but the holder was {holder}")
                if h.from_agent_id in missed:
                    bad(h, f"escalated twice from agent {h.from_agent_id}")
                missed.add(h.from_agent_id or 0)
                status, holder = "queued", None
            elif h.event == "flagged":
                if status not in ("queued", *ACTIVE):
                    bad(h, f"flagged from status {status}")
            else:
                bad(h, "unknown event")

        if status != row.status:
            found.append(f"ticket {tid}: history ends in {status}, tickets.status={row.status}")
        escalations = sum(h.event == "escalated" for h in snap.history_of(tid))
        if missed != set(row.missed_by) or escalations != row.escalations:
            found.append(f"ticket {tid}: history says missed by {sorted(missed)} after"
                         f" {escalations} escalations; the row says {sorted(row.missed_by)}"
                         f" after {row.escalations}")
        if row.status in ACTIVE or row.status == "queued":
            if holder != row.agent_id:
                found.append(f"ticket {tid} ({row.status}): history says holder {holder},"
                             f" tickets.agent_id={row.agent_id}")
        elif row.agent_id != released_by:
            found.append(f"ticket {tid} ({row.status}): released by {released_by},"
                         f" tickets.agent_id={row.agent_id}")
    return found


def capacity(snap: Snapshot) -> list[str]:
    """Stored counters equal the real count, and the real count fits the capacity."""
    found = []
    held = snap.held_count()
    for a in snap.agents.values():
        real = held.get(a.id, 0)
        if real > a.max_tickets:
            found.append(f"agent {a.id} ({a.name}) holds {real} tickets, max {a.max_tickets}")
        if a.active_tickets != real:
            found.append(f"agent {a.id} ({a.name}): agents.active_tickets={a.active_tickets}"
                         f" but it holds {real}")
        if a.active_tickets < 0:
            found.append(f"agent {a.id} ({a.name}): negative active_tickets {a.active_tickets}")
    return found


def capacity_replay(snap: Snapshot) -> list[str]:
    """Replay the whole history in commit order: no agent ever held more than max_tickets
    (max_tickets must not have changed during the run) and the replay ends on the counters."""
    found = []
    load: Counter[int] = Counter()
    for h in snap.history:
        if h.event == "assigned" and h.to_agent_id is not None:
            load[h.to_agent_id] += 1
            agent = snap.agents.get(h.to_agent_id)
            if agent is None:
                found.append(f"history #{h.id} assigns to unknown agent {h.to_agent_id}")
            elif load[h.to_agent_id] > agent.max_tickets:
                found.append(f"history #{h.id}: agent {agent.id} ({agent.name}) reached"
                             f" {load[agent.id]} tickets, max {agent.max_tickets}")
        elif (h.event in ("completed", "cancelled", "unassigned", "escalated")
              and h.from_agent_id is not None):
            load[h.from_agent_id] -= 1
            if load[h.from_agent_id] < 0:
                found.append(f"history #{h.id}: agent {h.from_agent_id} released a ticket"
                             " it did not hold (count went negative)")
    for a in snap.agents.values():
        if load.get(a.id, 0) != a.active_tickets:
            found.append(f"agent {a.id} ({a.name}): history replay ends at {load.get(a.id, 0)}"
                         f" active tickets, agents.active_tickets={a.active_tickets}")
    return found


def no_idle_eligible_agent(snap: Snapshot) -> list[str]:
    """Dispatch runs in every transaction that can make an agent eligible or queue a ticket,
    so a quiet floor never has a queued ticket next to an agent who could take it."""
    found = []
    idle = [a for a in snap.agents.values() if a.eligible]
    for t in sorted(snap.tickets.values(), key=lambda t: t.id):
        if t.status != "queued" or not t.auto_dispatch:
            continue
        could = [a for a in idle if a.id not in t.missed_by]
        if could:
            who = ", ".join(f"{a.id} ({a.name}, {a.active_tickets}/{a.max_tickets})"
                            for a in could)
            found.append(f"ticket {t.id} queued while these could take it: {who}")
    return found[:10]


def _json_list(value: object) -> list[int]:
    """missed_by as the driver returns it: a list on PostgreSQL, JSON text on SQLite."""
    if isinstance(value, str):
        value = json.loads(value)
    assert isinstance(value, list)
    return [int(v) for v in value]
