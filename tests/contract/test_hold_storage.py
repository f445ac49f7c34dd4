"""Tickets on hold, stored: the same reads on the in-memory twin, SQLite and PostgreSQL. A held
ticket is open (the customer's next message finds it, and the customer gets no second one),
held (its holder's list, the orphan rescue), takes a slot only if its hold kept it, and comes
due at its `hold_until`; and 0026 on PostgreSQL and SQLite keeps one open ticket per customer
with `on_hold` counted as open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from giliran.adapters.clock import FakeClock
from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import Database
from giliran.domain.errors import ContactHasOpenTicket
from giliran.domain.model import Agent, Ticket, TicketStatus
from giliran.service.ports import UnitOfWorkFactory

NOW = FakeClock().now()
CONTACT = "whatsapp:6281234567890"


def _held_floor(uow: UnitOfWorkFactory, *, keeps_slot: bool) -> tuple[int, int]:
    """An agent holding one ticket on hold until NOW + 10 minutes; (agent id, ticket id)."""
    with uow(write=True) as w:
        agent = w.agents.add(Agent(0, "Sari", max_tickets=2,
                                   active_tickets=1 if keeps_slot else 0), "hash-sari")
        ticket = w.tickets.add(Ticket(
            0, "waiting on the customer", NOW, queued_at=NOW, priority_since=NOW,
            contact=CONTACT, status=TicketStatus.ON_HOLD, agent_id=agent.id, assigned_seq=1,
            assigned_at=NOW, accepted_at=NOW, hold_until=NOW + timedelta(minutes=10),
            hold_keeps_slot=keeps_slot))
        w.commit()
    return agent.id, ticket.id


@pytest.mark.parametrize("keeps_slot", [True, False])
def test_a_held_ticket_is_open_held_and_takes_a_slot_only_if_its_hold_kept_it(
    uow: UnitOfWorkFactory, keeps_slot: bool
) -> None:
    agent_id, ticket_id = _held_floor(uow, keeps_slot=keeps_slot)
    with uow(write=False) as r:
        found = r.tickets.open_for_contact(CONTACT)
        assert found is not None and found.id == ticket_id
        assert (found.hold_until, found.hold_keeps_slot) == (NOW + timedelta(minutes=10),
                                                             keeps_slot)
        assert [t.id for t in r.tickets.held_by(agent_id)] == [ticket_id]
        assert r.tickets.held_counts() == ({(agent_id, "default"): (0, 1)} if keeps_slot
                                           else {})
        assert r.tickets.orphans(10) == []


def test_a_customer_with_a_held_ticket_gets_no_second_open_one(uow: UnitOfWorkFactory) -> None:
    _held_floor(uow, keeps_slot=False)
    with pytest.raises(ContactHasOpenTicket), uow(write=True) as w:
        w.tickets.add(Ticket(0, "again", NOW, queued_at=NOW, priority_since=NOW,
                             contact=CONTACT))


def test_holds_come_due_at_their_end_per_queue_the_earliest_first(
    uow: UnitOfWorkFactory
) -> None:
    agent_id, first = _held_floor(uow, keeps_slot=True)
    with uow(write=True) as w:
        later = w.tickets.add(Ticket(
            0, "later", NOW, status=TicketStatus.ON_HOLD, agent_id=agent_id, assigned_seq=2,
            hold_until=NOW + timedelta(minutes=20), hold_keeps_slot=True))
        w.commit()
    with uow(write=False) as r:
        assert r.tickets.holds_due("default", NOW + timedelta(minutes=9), 10) == []
        due = r.tickets.holds_due("default", NOW + timedelta(minutes=30), 10)
        assert [t.id for t in due] == [first, later.id]
        assert [t.id for t in r.tickets.holds_due("default", NOW + timedelta(minutes=30), 1)
                ] == [first]
        assert r.tickets.holds_due("sales", NOW + timedelta(minutes=30), 10) == []


def test_a_held_ticket_of_a_deactivated_agent_is_an_orphan(uow: UnitOfWorkFactory) -> None:
    agent_id, ticket_id = _held_floor(uow, keeps_slot=False)
    with uow(write=True) as w:
        agent = w.agents.get(agent_id)
        assert agent is not None
        agent.active = False
        w.agents.save(agent)
        w.commit()
    with uow(write=False) as r:
        assert [t.id for t in r.tickets.orphans(10)] == [ticket_id]


def test_0026_keeps_one_open_ticket_per_customer_counting_held_ones(
    empty_db: Database,
) -> None:
    migrate.upgrade(empty_db)
    insert = text(
        "INSERT INTO tickets (title, queue, priority, effective_priority, status, "
        "assigned_seq, created_at, escalations, missed_by, auto_dispatch, queue_order, "
        "contact) VALUES ('t', 'default', 1, 1, :status, 0, CURRENT_TIMESTAMP, 0, '[]', "
        ":yes, 0, :contact)")
    with empty_db.engine.begin() as conn:
        conn.execute(insert, {"status": "on_hold", "contact": CONTACT, "yes": True})
    with pytest.raises(IntegrityError), empty_db.engine.begin() as conn:
        conn.execute(insert, {"status": "queued", "contact": CONTACT, "yes": True})
    with empty_db.engine.begin() as conn:  # a closed one is no customer's second
        conn.execute(insert, {"status": "completed", "contact": CONTACT, "yes": True})
    empty_db.dispose()
