"""Presence: agents go online and offline themselves, prove they are there with heartbeats, and
fall offline on their own when they stop. What happens to their work is the queue's policy."""

from __future__ import annotations

from datetime import datetime

from giliran.domain import escalation, lifecycle
from giliran.domain.events import presence_event
from giliran.domain.model import Agent, Presence, Reason
from giliran.domain.people import Actor, Can
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context, Principal
from giliran.service.lookups import agent_or_404
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_move
from giliran.service.runtime import presence_grace


def go_online(ctx: Context, who: Principal) -> Agent:
    """Also the way back from `away`; it counts as a sign of life. Pauses in a queue stay:
    the agent lifts them itself (or a supervisor does)."""
    who.require(Can.WORK)
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, who.agent_id)
        was_online = agent.online
        set_presence(uow, agent, Presence.ONLINE, now=ctx.clock.now())
        uow.agents.save(agent)
        if not was_online:
            dispatch(ctx, uow, Reason.AUTO)
        uow.commit()
    return agent


def go_offline(ctx: Context, who: Principal) -> Agent:
    """Immediate. The agent gets nothing new; its tickets follow each queue's offline policy."""
    who.require(Can.WORK)
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, who.agent_id)
        if agent.presence is not Presence.OFFLINE:
            take_offline(ctx, uow, agent, actor=who.by)
            dispatch(ctx, uow, Reason.AUTO)
        uow.commit()
    return agent


def heartbeat(ctx: Context, who: Principal) -> tuple[Agent, int]:
    """Keeps an online (or away) agent from expiring; never changes its presence, so a browser
    tab left open does not bring back an agent who went offline or away. Returns the agent
    and the grace period, which tells the client how often to beat."""
    who.require(Can.WORK)
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, who.agent_id)
        agent.last_seen_at = ctx.clock.now()
        uow.agents.save(agent)
        grace = presence_grace(ctx, uow)
        uow.commit()
    return agent, grace


def take_offline(ctx: Context, uow: UnitOfWork, agent: Agent, *, actor: Actor) -> int:
    """Set the agent offline and send back the tickets its queues' policies say to requeue.
    The caller dispatches afterwards. Returns how many tickets went back."""
    now = ctx.clock.now()
    set_presence(uow, agent, Presence.OFFLINE, now=now)
    requeued = 0
    for ticket in uow.tickets.held_by(agent.id):
        queue = uow.queues.get(ticket.queue)
        if queue is None or not escalation.requeued_when_offline(ticket, queue.offline_policy):
            continue
        entry = lifecycle.unassign(ticket, agent, now=now, reason=Reason.AGENT_OFFLINE,
                                   actor=actor)
        uow.tickets.save(ticket)
        record_move(uow, ticket, entry)
        requeued += 1
    uow.agents.save(agent)
    return requeued


def set_presence(uow: UnitOfWork, agent: Agent, presence: Presence, *, now: datetime) -> None:
    """Every change goes to the presence log in the same transaction, so time online can be
    replayed for any period (utilization, fairness)."""
    change = lifecycle.set_presence(agent, presence, now=now)
    if change is not None:
        uow.presence_log.append(change)
        uow.record(presence_event(agent, now))
