"""Opening hours as the floor sees them: which queues are closed now (automatic assignment
waits for them; a pick-up by hand stays allowed), and when a queue's timers are due.

A queue with a schedule is open or closed as `domain/hours.py` says at `now`; without one (or
when its schedule is gone) it is always open. Schedules are read once per unit of work through
`Hours`, since one pass asks about every queue several times.
"""

from __future__ import annotations

from datetime import datetime

from giliran.domain import hours
from giliran.domain.hours import OpenState, Schedule
from giliran.domain.model import Queue
from giliran.service.lookups import schedule_of
from giliran.service.ports import UnitOfWork


class Hours:
    """The schedules of one unit of work's queues, each read at most once."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._found: dict[str, Schedule | None] = {}

    def of(self, queue: Queue) -> Schedule | None:
        if queue.schedule is None:
            return None
        if queue.name not in self._found:
            self._found[queue.name] = schedule_of(self._uow, queue)
        return self._found[queue.name]

    def is_open(self, queue: Queue, now: datetime) -> bool:
        return queue.schedule is None or hours.is_open(self.of(queue), now)

    def state(self, queue: Queue, now: datetime) -> OpenState:
        return hours.state(self.of(queue), now)

    def closed(self, now: datetime) -> set[str]:
        """The queues closed at `now`: their tickets are not dispatched."""
        return {q.name for q in self._uow.queues.all() if not self.is_open(q, now)}


def closed_queues(uow: UnitOfWork, now: datetime) -> set[str]:
    return Hours(uow).closed(now)


def is_open(uow: UnitOfWork, queue: Queue, now: datetime) -> bool:
    return Hours(uow).is_open(queue, now)
