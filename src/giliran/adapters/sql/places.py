"""Many queued tickets' places in their queues in one statement (the supervisor's list asks for
a page of them). Each place is worked out as `SqlTicketRepository.queue_position` works out one:
the priorities above from the kept depths (table queue_depth, by the priority a ticket is served
at), then the ticket's own priority counted from its end when it is among the last 64, else
from the head. Correlated on the page's tickets, so the round trip is one whatever the page
holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, case, func, literal, select

from giliran.adapters.sql import tables as t

_NEAR_END = 64  # as in adapters/sql/tickets.py
_page = t.tickets.alias("page")
_other = t.tickets.alias("other")
_depth = t.queue_depth.c
_SAME_LINE = (_other.c.status == t.QUEUED.right, _other.c.queue == _page.c.queue,
              _other.c.effective_priority == _page.c.effective_priority)
_SAME_ORDER = _other.c.queue_order == _page.c.queue_order


def _depth_of(priority: ColumnElement[bool]) -> Any:
    return (select(func.coalesce(func.sum(_depth.queued), 0))
            .where(_depth.queue == _page.c.queue, priority).scalar_subquery())


def _near_end(*where: ColumnElement[bool]) -> Any:
    """How many of the ticket's own priority match, counting no further than the last 64."""
    found = (select(literal(1)).select_from(_other).where(*_SAME_LINE, *where)
             .correlate(_page).limit(_NEAR_END).subquery())
    return select(func.count()).select_from(found).correlate(_page).scalar_subquery()


def _all_of(*where: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(_other).where(*_SAME_LINE, *where).scalar_subquery()


_BEHIND = (_near_end(_other.c.queue_order > _page.c.queue_order)
           + _near_end(_SAME_ORDER, _other.c.id > _page.c.id))
_AHEAD = (_all_of(_other.c.queue_order < _page.c.queue_order)
          + _all_of(_SAME_ORDER, _other.c.id < _page.c.id))
# CASE evaluates only the branch it takes: a ticket near its end never counts from the head.
_PLACES = select(_page.c.id, _depth_of(_depth.priority > _page.c.effective_priority) + case(
    (_BEHIND < _NEAR_END, _depth_of(_depth.priority == _page.c.effective_priority) - _BEHIND),
    else_=_AHEAD + 1,
)).where(_page.c.status == t.QUEUED.right, _page.c.id.in_(bindparam("ids", expanding=True)))


def places(conn: Connection, ids: list[int]) -> dict[int, int]:
    """The place of each queued ticket among `ids` (the others are left out)."""
    if not ids:
        return {}
    # Outside one transaction a concurrent change may land between reads; a place is >= 1.
    return {int(i): max(int(p), 1) for i, p in conn.execute(_PLACES, {"ids": sorted(ids)})}
