"""The floor over the last hours, in buckets, for the supervisor's chart: how many tickets
waited in the queue, and how long the ones assigned had waited. Replayed from the history, so
nothing is sampled or stored for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from giliran.domain.errors import InvalidInput
from giliran.domain.event_types import ENTERS_QUEUE, HistoryKind
from giliran.domain.model import HistoryEntry, TicketStatus
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.ports import HistoryFilter, TicketFilter
from giliran.service.reports.stats import SCAN, histories_assigned, queue_stays

MAX_BUCKETS = 500


@dataclass(frozen=True)
class Bucket:
    start: datetime
    end: datetime
    queued: int  # tickets waiting in the queue at the end of the bucket
    assigned: int  # assignments out of the queue during the bucket
    mean_wait_seconds: float | None  # how long those had waited, on average


@dataclass(frozen=True)
class Series:
    since: datetime
    until: datetime
    bucket_minutes: int
    queue: str | None
    buckets: list[Bucket]


def series(ctx: Context, who: Principal, hours: int, bucket_minutes: int,
           queue: str | None = None) -> Series:
    who.require(Can.SUPERVISE)
    width = timedelta(minutes=bucket_minutes)
    if hours * 60 // bucket_minutes > MAX_BUCKETS:
        raise InvalidInput(f"at most {MAX_BUCKETS} buckets: widen bucket_minutes")
    until = ctx.clock.now()
    since = until - timedelta(hours=hours)
    with ctx.uow(write=False) as uow:
        if queue is not None and uow.queues.get(queue) is None:
            raise InvalidInput("the queue filter names no queue")
        entries = uow.history.search(HistoryFilter(queue=queue, since=since, limit=SCAN))
        waiting_now = uow.tickets.count(TicketFilter(status=TicketStatus.QUEUED, queue=queue))
        stays = queue_stays(histories_assigned(uow, entries))
    count = -(-(until - since) // width)  # the last bucket ends now, and may be shorter
    ends = [min(since + width * (i + 1), until) for i in range(count)]
    depths = _depths(entries, waiting_now, ends)
    buckets = []
    for i, end in enumerate(ends):
        start = since + width * i
        waits = [w for at, w in stays if start <= at < end or at == end == until]
        buckets.append(Bucket(start, end, depths[i], len(waits),
                              sum(waits) / len(waits) if waits else None))
    return Series(since, until, bucket_minutes, queue, buckets)


def _depths(entries: list[HistoryEntry], waiting_now: int, ends: list[datetime]) -> list[int]:
    """The queue's length at the end of each bucket (just before the next one starts; the last
    one ends now): the length now, with every move into or out of the queue since undone."""
    depths = []
    newest_first = list(reversed(entries))
    depth, i, now = waiting_now, 0, ends[-1]
    for end in reversed(ends):
        while i < len(newest_first) and end < now and newest_first[i].at >= end:
            depth -= _change(newest_first[i])
            i += 1
        depths.append(depth)
    return list(reversed(depths))


def _change(entry: HistoryEntry) -> int:
    """+1 when the entry put a ticket in the queue, -1 when it took one out of it."""
    if entry.event in ENTERS_QUEUE:
        return 1
    if entry.event == HistoryKind.ASSIGNED:
        return -1
    if entry.event == HistoryKind.CANCELLED and entry.from_agent_id is None:
        return -1  # cancelled while it waited
    return 0
