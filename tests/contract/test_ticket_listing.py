"""The supervisor's ticket list is the same on the in-memory twin, SQLite and PostgreSQL: every
sort in both directions, the filters, the search (with LIKE's wildcards taken literally) and
the total, on one small floor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from giliran.domain.conversation import Customer
from giliran.domain.listing import TicketSort
from giliran.domain.model import Agent, Priority, Ticket, TicketFlag, TicketStatus
from giliran.service.ports import TicketFilter, UnitOfWorkFactory

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
EXPECTED_TOTAL = 12


def fill(uow: UnitOfWorkFactory) -> None:
    statuses = [TicketStatus.QUEUED, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
                TicketStatus.COMPLETED]
    with uow(write=True) as w:
        sari = w.agents.add(Agent(0, "Sari", max_tickets=20), "hash-sari").id
        budi = w.agents.add(Agent(0, "budi", max_tickets=20), "hash-budi").id
        # Three customers who share a name (each has one open ticket: a customer has one at a
        # time), so a search by the name finds all three.
        for k in (1, 2, 3):
            w.customers.add(Customer(f"whatsapp:6281{k}", "whatsapp", f"6281{k}",
                                     name="Siti 100%"))
        for i in range(EXPECTED_TOTAL):
            status = statuses[i % 4]
            at = T0 + timedelta(minutes=i)
            held = status in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)
            w.tickets.add(Ticket(
                0, f"ticket {i:02d}" if i != 5 else "under_score", created_at=at,
                priority=Priority(i % 4), status=status, queued_at=at,
                agent_id=(sari if i % 3 else budi) if held else None,
                assigned_at=at + timedelta(seconds=30) if held else None,
                closed_at=at + timedelta(hours=1) if status.is_final else None,
                contact=(f"whatsapp:6281{i // 5 + 1}" if i % 5 == 0
                         else "telegram:9" if i == 7 else None),
                flag=TicketFlag.EXHAUSTED if i == 4 else None, external_id=f"crm-{i}"))
        w.commit()


def test_every_sort_pages_the_same_way(uow: UnitOfWorkFactory) -> None:
    fill(uow)
    for (sort, descending), expected in EXPECTED.items():
        with uow(write=False) as r:
            whole = r.tickets.listing(TicketFilter(sort=sort, descending=descending, limit=50))
            pages = [r.tickets.listing(TicketFilter(sort=sort, descending=descending, limit=5,
                                                    offset=k)) for k in (0, 5, 10)]
        assert whole.total == EXPECTED_TOTAL and all(p.total == EXPECTED_TOTAL for p in pages)
        assert [x.ticket.id for p in pages for x in p.rows] == [x.ticket.id for x in whole.rows]
        assert [x.ticket.id for x in whole.rows] == expected, (sort, descending)


def _expected() -> dict[tuple[TicketSort, bool], list[int]]:
    """Worked out by hand from fill(): ids are 1..12, ticket i has id i + 1."""
    ids = list(range(1, 13))
    pri = {i + 1: i % 4 for i in range(12)}
    status = {i + 1: ["queued", "assigned", "in_progress", "completed"][i % 4] for i in range(12)}
    title = {i + 1: f"ticket {i:02d}" if i != 5 else "under_score" for i in range(12)}
    held = {i + 1 for i in range(12) if i % 4 in (1, 2)}
    agent = {t: ("sari" if (t - 1) % 3 else "budi") if t in held else None for t in ids}
    since = {t: (t - 1) * 60 + (30 if t in held else 3600 if status[t] == "completed" else 0)
             for t in ids}

    def by(key: Callable[[int], Any], reverse: bool) -> list[int]:
        return sorted(sorted(ids), key=key, reverse=reverse)

    found = {}
    for d in (False, True):
        found[(TicketSort.QUEUE, d)] = by(lambda t: -pri[t], d)
        found[(TicketSort.NUMBER, d)] = by(lambda t: t, d)
        found[(TicketSort.PRIORITY, d)] = by(lambda t: pri[t], d)
        found[(TicketSort.WAITING, d)] = by(lambda t: since[t], d)
        found[(TicketSort.TITLE, d)] = by(lambda t: title[t], d)
        found[(TicketSort.QUEUE_NAME, d)] = by(lambda t: 0, d)
        found[(TicketSort.STATUS, d)] = by(lambda t: status[t], d)
        found[(TicketSort.AGENT, d)] = by(lambda t: (agent[t] is None, agent[t] or ""), d)
    return found


EXPECTED = _expected()


def test_filters_and_search_agree(uow: UnitOfWorkFactory) -> None:
    fill(uow)

    def ids(**fields: object) -> list[int]:
        with uow(write=False) as r:
            found = r.tickets.listing(TicketFilter(limit=50, sort=TicketSort.NUMBER,
                                                   **fields))  # type: ignore[arg-type]
        assert found.total == len(found.rows)
        return [x.ticket.id for x in found.rows]

    assert ids(text="100%") == [1, 6, 11], "the customer's name, % taken literally"
    assert ids(text="_") == [6] and ids(text="UNDER") == [6]
    assert ids(text="INC20261202000003") == [3] and ids(text="crm-11") == [12]
    assert ids(channel="telegram") == [8] and len(ids(channel="api")) == 8
    assert ids(open_only=True) == [1, 2, 3, 5, 6, 7, 9, 10, 11]
    assert ids(flagged=True) == [5] and ids(priority=Priority.URGENT) == [4, 8, 12]
    assert ids(waiting_before=T0 + timedelta(minutes=4)) == [1, 5]
    # A bulk action's check of one ticket: the filter, and only that ticket.
    assert ids(ids=frozenset({1, 4, 99})) == [1, 4] and ids(ids=frozenset()) == []
    assert ids(ids=frozenset({5}), flagged=True) == [5] and ids(ids=frozenset({6}),
                                                                 flagged=True) == []
    with uow(write=False) as r:
        row = r.tickets.listing(TicketFilter(text="ticket 01", limit=5)).rows[0]
    assert (row.customer, row.agent_name) == (None, "Sari")
    with uow(write=False) as r:
        first = r.tickets.listing(TicketFilter(text="ticket 00", limit=5)).rows[0]
    assert first.customer == "Siti 100%"


def test_a_phone_number_is_found_however_it_is_typed(uow: UnitOfWorkFactory) -> None:
    """Contacts are stored as the channel gives them (whatsapp:6281234567890); a supervisor
    types the number as a phone shows it."""
    with uow(write=True) as w:
        for title, contact in (("Siti", "whatsapp:6281234567890"),
                               ("Budi", "whatsapp:6285700001111"), ("Chat", "telegram:4242")):
            w.tickets.add(Ticket(0, title, created_at=T0, contact=contact))
        w.commit()

    def titles(text: str) -> list[str]:
        with uow(write=False) as r:
            found = r.tickets.listing(TicketFilter(limit=50, sort=TicketSort.NUMBER, text=text))
        return [x.ticket.title for x in found.rows]

    for typed in ("+62 812-3456-7890", "+62 (812) 3456.7890", "62 812 3456 7890",
                  "+6281234567890", "6281234567890", "0812-3456-7890", "(0812) 3456 7890",
                  "+62 (0) 812 3456 7890", "00 62 812 3456 7890", "3456-7890", " +62 812 "):
        assert titles(typed) == ["Siti"], typed
    assert titles("+62 857") == ["Budi"] and titles("+62 8") == [], "too short for a number"
    assert titles("+62 812-3456-7891") == [] and titles("0812-3456-7891") == []
    assert titles("42 42") == ["Chat"]
