"""One person across channels is stored alike in memory, on SQLite and on PostgreSQL: the
group of linked customers, a save that leaves the link alone, and the person's tickets
across addresses, newest first, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from giliran.domain.conversation import Customer
from giliran.domain.model import Ticket, TicketStatus
from giliran.service.ports import UnitOfWorkFactory

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WA, MAIL, TG = "whatsapp:628111", "email:ana@example.com", "telegram:77"


def test_a_person_is_read_as_linked_and_a_save_keeps_the_link(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        for key in (WA, MAIL, TG):
            channel, _, address = key.partition(":")
            w.customers.add(Customer(key, channel, address))
        w.customers.regroup({WA: WA, TG: WA, MAIL: WA})
        w.commit()
    with uow(write=True) as w:
        stale = w.customers.get(MAIL)
        assert stale is not None and stale.person_key == WA
        stale.person_key, stale.name = None, "Ana"  # only regroup changes a link
        w.customers.save(stale)
        w.commit()
    with uow(write=True) as r:
        assert [c.key for c in r.customers.person(MAIL)] == [WA, MAIL, TG]
        assert r.customers.person(MAIL)[1].name == "Ana"
        r.customers.regroup({TG: None})
        r.commit()
    with uow(write=False) as r:
        assert [c.key for c in r.customers.person(TG)] == [TG]
        assert [c.key for c in r.customers.person(WA)] == [WA, MAIL]
        assert r.customers.person("email:nobody@example.com") == []


def test_a_persons_tickets_come_newest_first_across_addresses(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        ids = [w.tickets.add(Ticket(0, f"t{i}", created_at=T0, contact=c,
                                    status=TicketStatus.COMPLETED)).id
               for i, c in enumerate((WA, MAIL, WA, TG, MAIL))]
        w.commit()
    with uow(write=False) as r:
        page, total = r.tickets.for_contacts([WA, MAIL], limit=2, offset=1)
        assert [t.id for t in page] == [ids[2], ids[1]] and total == 4
        assert r.tickets.for_contacts([], limit=5) == ([], 0)
