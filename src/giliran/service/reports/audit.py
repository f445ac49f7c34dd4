"""The audit: who had which ticket when, and why, across all tickets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from giliran.domain.model import HistoryEntry
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.ports import HistoryFilter

EXPORT_BATCH = 1000
Row = tuple[HistoryEntry, str]  # an entry and its ticket's number


def search_history(
    ctx: Context, who: Principal, query: HistoryFilter
) -> tuple[list[HistoryEntry], int, dict[int, str]]:
    """A page of the history, how many entries match, and the numbers of their tickets."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        found = uow.history.search(query)
        numbers = {t.id: t.number for t in uow.tickets.many({e.ticket_id for e in found})}
        return found, uow.history.count(query), numbers


def export_history(
    ctx: Context, who: Principal, query: HistoryFilter
) -> Iterator[list[Row]]:
    """Every matching entry with its ticket number, in batches, each read in its own short
    transaction (keyset paging by id), so an export of millions of rows holds nothing open."""
    who.require(Can.SUPERVISE)
    after = query.after_id
    while True:
        with ctx.uow(write=False) as uow:
            page = uow.history.search(replace(query, after_id=after, limit=EXPORT_BATCH,
                                              offset=0, newest_first=False))
            numbers = {t.id: t.number for t in uow.tickets.many({e.ticket_id for e in page})}
        if not page:
            return
        yield [(e, numbers.get(e.ticket_id, "")) for e in page]
        after = page[-1].id
