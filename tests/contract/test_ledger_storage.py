"""The audit log and the presence log alike in memory, SQLite and PostgreSQL: entries come back as
written (JSON before and after included), newest first with filters and keyset paging, and the
presence at any moment is each agent's last change before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from giliran.domain.actor import BREAK_GLASS, SYSTEM, Actor
from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import Agent, HistoryEntry, Presence, PresenceChange, Reason, Ticket
from giliran.service.ports import AuditFilter, HistoryFilter, UnitOfWorkFactory

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_the_audit_log_keeps_changes_newest_first(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        for i in range(5):
            kind = AuditKind.AGENT if i % 2 == 0 else AuditKind.QUEUE
            w.audit.append(AuditEntry(T0 + timedelta(minutes=i),
                                      Actor.of_key("admin" if i < 4 else "system"),
                                      kind, str(i % 2), "changed", {"max_tickets": i},
                                      {"max_tickets": i + 1, "queues": ["a", "b"]}))
        w.audit.append(AuditEntry(T0, BREAK_GLASS, AuditKind.QUEUE, "sales", "created", None,
                                  {"strategy": "rotation"}))
        w.commit()
    with uow(write=False) as r:
        everything = r.audit.search(AuditFilter())
        assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
        assert everything[0].before is None and everything[0].after == {"strategy": "rotation"}
        agents = r.audit.search(AuditFilter(kind=AuditKind.AGENT))
        assert [e.before for e in agents] == [{"max_tickets": 4}, {"max_tickets": 2},
                                              {"max_tickets": 0}]
        assert agents[0].after == {"max_tickets": 5, "queues": ["a", "b"]}
        assert r.audit.count(AuditFilter(actor="system")) == 1
        window = AuditFilter(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
        assert [e.before for e in r.audit.search(window)] == [{"max_tickets": 2},
                                                              {"max_tickets": 1}]
        older = r.audit.search(AuditFilter(before_id=everything[2].id, limit=2))
        assert [e.id for e in older] == [everything[3].id, everything[4].id]
        assert r.audit.search(AuditFilter(subject="sales"))[0].action == "created"


def test_the_presence_log_answers_who_was_online_when(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        a = w.agents.add(Agent(0, "A"), "hash-a")
        b = w.agents.add(Agent(0, "B"), "hash-b")
        for minutes, who, presence in ((0, a, Presence.ONLINE), (5, b, Presence.ONLINE),
                                       (10, a, Presence.OFFLINE), (15, a, Presence.ONLINE)):
            w.presence_log.append(PresenceChange(who.id, T0 + timedelta(minutes=minutes),
                                                 presence))
        w.commit()
    with uow(write=False) as r:
        assert r.presence_log.at(T0) == {}
        assert r.presence_log.at(T0 + timedelta(minutes=12)) == {a.id: Presence.OFFLINE,
                                                                  b.id: Presence.ONLINE}
        during = r.presence_log.during(T0 + timedelta(minutes=5), T0 + timedelta(minutes=15))
        assert [(c.agent_id, c.presence) for c in during] == [(b.id, Presence.ONLINE),
                                                              (a.id, Presence.OFFLINE)]
        assert len(r.presence_log.during(T0)) == 4


def test_a_history_entry_keeps_why_in_words_and_data(uow: UnitOfWorkFactory) -> None:
    detail = {"strategy": "rotation", "after": 3, "skipped": [{"agent_id": 4, "why": "missed"}]}
    with uow(write=True) as w:
        ticket = w.tickets.add(Ticket(0, "lead", created_at=T0))
        w.history.append(HistoryEntry(ticket.id, T0, HistoryKind.ASSIGNED, Reason.AUTO, SYSTEM,
                                      None, 5, note="rotation: next in turn after C",
                                      detail=detail))
        w.history.append(HistoryEntry(ticket.id, T0, HistoryKind.ACCEPTED, Reason.ACCEPTED,
                                      Actor.of_key("agent:5")))
        w.commit()
    with uow(write=False) as r:
        first, second = r.history.search(HistoryFilter(ticket_id=ticket.id))
        assert (first.note, first.detail) == ("rotation: next in turn after C", detail)
        assert (second.note, second.detail) == (None, None)
