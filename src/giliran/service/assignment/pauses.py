"""Pauses in a queue: an agent who lets `away_after_misses` tickets of a queue time out in a
row stops receiving that queue's tickets (the timer pass pauses it,
`service/assignment/timers.py`), keeps receiving its other queues, and comes back to the queue
when it, or a supervisor, lifts the pause. Going offline is still how an agent leaves everything."""

from __future__ import annotations

from giliran.domain import audit, lifecycle
from giliran.domain.errors import NotAMember, NotYourQueue
from giliran.domain.model import Agent, Reason
from giliran.domain.people import Actor, Can
from giliran.service.assignment.dispatch import dispatch
from giliran.service.audit_log import record_agent
from giliran.service.context import Context, Principal
from giliran.service.lookups import acting_agent, agent_or_404
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_agent_change


def resume_mine(ctx: Context, who: Principal, queue: str) -> Agent:
    """The agent lifts its own pause in `queue`; its tickets there may come at once."""
    who.require(Can.WORK)
    with ctx.uow(write=True) as uow:
        agent = acting_agent(uow, who.agent_id)
        if queue not in agent.queues:
            raise NotYourQueue(f"you do not serve queue {queue!r}")
        _resume(ctx, uow, agent, queue, who.by)
        uow.commit()
    return agent


def resume_agent(ctx: Context, who: Principal, agent_id: int, queue: str) -> Agent:
    """A supervisor lifts an agent's pause in `queue`."""
    who.require(Can.SUPERVISE)
    who.require_queue(queue)
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, agent_id)
        if queue not in agent.queues:
            raise NotAMember(f"agent {agent.name} does not serve queue {queue!r}")
        _resume(ctx, uow, agent, queue, who.by)
        uow.commit()
    return agent


def _resume(ctx: Context, uow: UnitOfWork, agent: Agent, queue: str, actor: Actor) -> None:
    before = audit.agent_fields(agent)
    if agent.state_in(queue).plain:
        return  # nothing to lift, no misses to forget
    was_paused = lifecycle.resume(agent, queue)
    uow.agents.save(agent)
    record_agent(uow, ctx.clock.now(), actor, agent, before, action="resumed")
    if not was_paused:  # only its misses in a row were forgotten: no audit line, still news
        record_agent_change(uow, agent, ctx.clock.now(), actor)
    dispatch(ctx, uow, Reason.AUTO)
