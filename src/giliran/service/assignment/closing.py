"""Opening and closing, acted on once each: the timer pass compares each scheduled queue's
open state now with the one it last saw (`Queue.open_seen`, written under the floor lock, so
of several replicas ticking one acts and the others find it done).

At closing, a queue with `offline_at_closing` sets its online members offline, unless they
serve another queue that is open (their tickets follow each queue's offline policy). At
opening those members are told in their chat (English or Indonesian), and the dispatch that
ends every pass assigns the tickets that waited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from giliran.domain.conversation import TELEGRAM
from giliran.domain.model import Agent, Presence, Queue
from giliran.domain.notices import Notice, say
from giliran.domain.people import SYSTEM
from giliran.service.assignment.opening import Hours
from giliran.service.assignment.presence import take_offline
from giliran.service.context import Context
from giliran.service.ports import UnitOfWork


@dataclass
class Changes:
    opened: int = 0
    closed: int = 0
    set_offline: int = 0
    requeued: int = 0


def changed(uow: UnitOfWork, hours: Hours, now: datetime) -> list[tuple[Queue, bool | None]]:
    """The queues whose open state is not the one last seen, with the state now."""
    found: list[tuple[Queue, bool | None]] = []
    for queue in uow.queues.all():
        if queue.schedule is None and queue.open_seen is None:
            continue
        is_open = hours.is_open(queue, now) if queue.schedule is not None else None
        if is_open != queue.open_seen:
            found.append((queue, is_open))
    return found


def follow(ctx: Context, uow: UnitOfWork, now: datetime) -> Changes:
    """Act once on every opening and closing since the last pass."""
    hours = Hours(uow)
    done = Changes()
    for queue, is_open in changed(uow, hours, now):
        first_look = queue.open_seen is None
        queue.open_seen = is_open
        uow.queues.save(queue)
        if first_look or is_open is None:  # just scheduled, or no longer: nothing to undo
            continue
        if is_open:
            done.opened += 1
            _tell_open(uow, queue, now)
        else:
            done.closed += 1
            _close(ctx, uow, hours, queue, now, done)
    return done


def _close(ctx: Context, uow: UnitOfWork, hours: Hours, queue: Queue, now: datetime,
           done: Changes) -> None:
    if not queue.offline_at_closing:
        return
    queues = {q.name: q for q in uow.queues.all()}
    for agent in uow.agents.members(queue.name):
        if agent.presence is Presence.OFFLINE or not agent.active:
            continue
        elsewhere = [queues[n] for n in agent.queues if n != queue.name and n in queues]
        if any(q.active and hours.is_open(q, now) for q in elsewhere):
            continue
        done.requeued += take_offline(ctx, uow, agent, actor=SYSTEM)
        done.set_offline += 1


def _tell_open(uow: UnitOfWork, queue: Queue, now: datetime) -> None:
    """Members of a queue that sets them offline at closing hear that it is open again."""
    if not queue.offline_at_closing:
        return
    for agent in uow.agents.members(queue.name):
        if agent.active and agent.presence is Presence.OFFLINE:
            _tell(uow, agent, queue, now)


def _tell(uow: UnitOfWork, agent: Agent, queue: Queue, now: datetime) -> None:
    link = uow.chat_links.for_agent(agent.id)
    if link is None:
        return
    text = say(agent.language, "queue_open", queue=queue.name)
    key = f"queue:{queue.name}:open:{now:%Y%m%dT%H%M}:agent:{agent.id}"
    uow.notices.add(Notice(0, TELEGRAM, link.chat_id, text, key, next_attempt_at=now,
                           created_at=now))
