"""The event stream, as the service layer sees it: who is watching, what they may see, what
they missed, and a fresh picture when what they missed is no longer kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from giliran.domain.events import Event, agent_view, ticket_view, visible_to
from giliran.domain.model import Agent, TicketStatus
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.lookups import acting_agent, schedule_of
from giliran.service.ports import UnitOfWork
from giliran.service.reports import floor


@dataclass
class Viewer:
    principal: Principal
    agent: Agent | None  # None for an admin

    def sees(self, event: Event) -> bool:
        return visible_to(event, agent=self.agent, user_id=self.principal.user_id,
                          sees_people=self.principal.can(Can.PEOPLE))


def viewer(ctx: Context, who: Principal) -> Viewer:
    """Agents and supervisors may watch; intake tokens may not."""
    who.require(Can.SUPERVISE, Can.WORK)
    return Viewer(who, refreshed(ctx, who).agent)


def refreshed(ctx: Context, who: Principal) -> Viewer:
    """The viewer with its agent read again (its queues decide what it sees)."""
    if who.agent_id is None:
        return Viewer(who, None)
    with ctx.uow(write=False) as uow:
        return Viewer(who, acting_agent(uow, who.agent_id))


def read_after(ctx: Context, after_id: int, limit: int) -> list[Event]:
    """Every event after `after_id` (for the process's poller, which sorts them out)."""
    with ctx.uow(write=False) as uow:
        return placed(uow, uow.events.after(after_id, limit))


_WAITING = frozenset({TicketStatus.QUEUED.value, TicketStatus.ASSIGNED.value})


def placed(uow: UnitOfWork, events: Sequence[Event]) -> list[Event]:
    """The events with their tickets as the REST API shows them: an event, written at commit,
    cannot know a queued ticket's place or (its queue being read only here) an assigned one's
    accept deadline, so the reader adds them, while the ticket still has that status."""
    waiting = {t["id"] for e in events
               if isinstance(t := e.payload.get("ticket"), dict) and t.get("status") in _WAITING}
    if not waiting:
        return list(events)
    current = {i: t for i in sorted(waiting) if (t := uow.tickets.get(i)) is not None}
    queues = {q.name: q for q in uow.queues.all()}
    places = uow.tickets.queue_positions(
        [t for t in current.values() if t.status is TicketStatus.QUEUED])
    out = []
    for event in events:
        view = event.payload.get("ticket")
        now = current.get(view["id"]) if isinstance(view, dict) else None
        if now is None or now.status.value != view["status"]:  # type: ignore[index]
            out.append(event)
            continue
        queue = queues.get(now.queue)
        fresh = ticket_view(now, queue, places.get(now.id),
                            schedule_of(uow, queue) if queue is not None else None)
        view = {**view, "accept_deadline": fresh["accept_deadline"],  # type: ignore[dict-item]
                "queue_position": fresh["queue_position"]}
        out.append(replace(event, payload={**event.payload, "ticket": view}))
    return out


def bounds(ctx: Context) -> tuple[int, int]:
    with ctx.uow(write=False) as uow:
        return uow.events.bounds()


def snapshot(ctx: Context, viewer: Viewer) -> dict[str, Any]:
    """What a client shows when it starts, or when the events it missed are gone."""
    if viewer.agent is not None:
        with ctx.uow(write=False) as uow:
            agent = acting_agent(uow, viewer.agent.id)
            held = uow.tickets.held_by(agent.id)
            queues = {q.name: q for q in uow.queues.all()}
            hours = {n: schedule_of(uow, q) for n, q in queues.items() if q.schedule}
        return {"agent": agent_view(agent),
                "tickets": [ticket_view(t, queues.get(t.queue), schedule=hours.get(t.queue))
                            for t in held]}
    w = floor.workload(ctx, viewer.principal)
    return {
        "agents": [agent_view(a) for a in w.agents],
        "queues": [{"name": q.queue.name, "pending": q.pending, "flagged": q.flagged,
                    "next_agent_id": q.next_agent_id, "members": q.members,
                    "online_members": q.online_members, "free_slots": q.free_slots}
                   for q in w.queues],
        "flagged": [ticket_view(t) for t in w.flagged],
    }


def prune(ctx: Context, keep: timedelta) -> int:
    """Drop events older than `keep`; a client further behind gets a snapshot instead."""
    with ctx.uow(write=True) as uow:
        removed = uow.events.prune(ctx.clock.now() - keep)
        uow.commit()
    return removed
