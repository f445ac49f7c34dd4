"""Every change names its person: an actor (its key, user, name, how they came, the token's
name) comes back from the history and the audit log as it was written, in memory, SQLite and
PostgreSQL; the audit finds a user's changes by user id whichever key they came with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from giliran.domain.actor import BREAK_GLASS, SYSTEM, Actor, Via, channel_actor
from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.event_types import HistoryKind
from giliran.domain.model import HistoryEntry, Reason, Ticket
from giliran.service.ports import AuditFilter, HistoryFilter, UnitOfWorkFactory

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SARI = Actor("user:3", "Sari Wulandari", Via.SESSION, 3)
CI_BOT = Actor("user:3", "Sari Wulandari", Via.TOKEN, 3, "ci-bot")
AGENT = Actor("agent:5", "Budi", Via.AGENT_TOKEN)
ACTORS = (SARI, CI_BOT, AGENT, BREAK_GLASS, SYSTEM, channel_actor("whatsapp"))


def test_history_keeps_who_moved_a_ticket(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        ticket = w.tickets.add(Ticket(0, "lead", created_at=T0))
        for i, actor in enumerate(ACTORS):
            w.history.append(HistoryEntry(ticket.id, T0 + timedelta(seconds=i),
                                          HistoryKind.CREATED, Reason.CREATED, actor))
        w.commit()
    with uow(write=False) as r:
        assert [e.actor for e in r.history.for_ticket(ticket.id)] == list(ACTORS)
        found = r.history.search(HistoryFilter(ticket_id=ticket.id, newest_first=True))
        assert [e.actor for e in found] == list(reversed(ACTORS))


def test_the_audit_keeps_who_changed_what_and_finds_a_users_changes(
    uow: UnitOfWorkFactory,
) -> None:
    with uow(write=True) as w:
        for i, actor in enumerate(ACTORS):
            w.audit.append(AuditEntry(T0 + timedelta(minutes=i), actor, AuditKind.QUEUE,
                                      "sales", "changed", {"max_per_agent": i},
                                      {"max_per_agent": i + 1}))
        w.commit()
    with uow(write=False) as r:
        assert [e.actor for e in r.audit.search(AuditFilter())] == list(reversed(ACTORS))
        hers = r.audit.search(AuditFilter(user_id=3))
        assert [e.actor for e in hers] == [CI_BOT, SARI]
        assert r.audit.count(AuditFilter(user_id=4)) == 0
        assert [e.actor for e in r.audit.search(AuditFilter(actor="user:3"))] == [CI_BOT, SARI]
        assert r.audit.count(AuditFilter(actor="admin")) == 1
