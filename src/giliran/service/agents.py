"""Agent use cases: admins create and tune agents; agents read their own queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields, replace
from datetime import datetime

from giliran.domain import lifecycle
from giliran.domain.errors import InvalidInput
from giliran.domain.escalation import accept_deadline
from giliran.domain.model import (
    DEFAULT_MAX_TICKETS,
    DEFAULT_QUEUE,
    Agent,
    Presence,
    Reason,
    Ticket,
)
from giliran.service.context import Context, Principal, Role, hash_token
from giliran.service.dispatch import dispatch
from giliran.service.lookups import agent_or_404
from giliran.service.ports import UnitOfWork

TOKEN_PREFIX = "gla_"


@dataclass(frozen=True)
class NewAgent:
    name: str
    max_tickets: int = DEFAULT_MAX_TICKETS
    auto_assign: bool = True
    rotation_order: int = 0
    queues: frozenset[str] = frozenset({DEFAULT_QUEUE})


@dataclass(frozen=True)
class AgentChanges:
    """Only the fields that are not None change."""

    name: str | None = None
    max_tickets: int | None = None
    auto_assign: bool | None = None
    rotation_order: int | None = None
    active: bool | None = None
    queues: frozenset[str] | None = None


def create_agent(ctx: Context, who: Principal, new: NewAgent) -> tuple[Agent, str]:
    """Returns the agent and its token; the token is shown once and only its hash is kept."""
    who.require(Role.ADMIN)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow(write=True) as uow:
        _require_queues(uow, new.queues)
        agent = uow.agents.add(
            Agent(id=0, name=new.name, max_tickets=new.max_tickets, auto_assign=new.auto_assign,
                  rotation_order=new.rotation_order, queues=new.queues),
            hash_token(token),
        )
        uow.commit()
    return agent, token


def list_agents(ctx: Context, who: Principal) -> list[Agent]:
    who.require(Role.ADMIN)
    with ctx.uow(write=False) as uow:
        return uow.agents.all()


def get_agent(ctx: Context, who: Principal, agent_id: int) -> Agent:
    who.require(Role.ADMIN)
    with ctx.uow(write=False) as uow:
        return agent_or_404(uow, agent_id)


def update_agent(ctx: Context, who: Principal, agent_id: int, changes: AgentChanges) -> Agent:
    who.require(Role.ADMIN)
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, agent_id)
        if changes.queues is not None:
            _require_queues(uow, changes.queues)
        updates = {f.name: getattr(changes, f.name) for f in fields(changes)}
        updates = {name: value for name, value in updates.items() if value is not None}
        changed = replace(agent, **updates)
        if agent.active and not changed.active:
            changed.presence = Presence.OFFLINE
            _requeue_all(ctx, uow, changed, who.actor)
            uow.chat_links.unlink(changed.id)  # its chat no longer speaks for it
        uow.agents.save(changed)
        dispatch(ctx, uow, Reason.AUTO)  # more room, opted back in, or requeued work
        uow.commit()
    return changed


def whoami(ctx: Context, who: Principal) -> Agent:
    who.require(Role.AGENT)
    with ctx.uow(write=False) as uow:
        return agent_or_404(uow, who.agent_id)


def my_queue(ctx: Context, who: Principal) -> tuple[Agent, list[Ticket]]:
    """The agent's personal queue, oldest assignment first."""
    who.require(Role.AGENT)
    with ctx.uow(write=False) as uow:
        agent = agent_or_404(uow, who.agent_id)
        return agent, uow.tickets.held_by(agent.id)


@dataclass(frozen=True)
class QueueView:
    """The agent's personal queue as its dashboard shows it: with each acceptance deadline,
    and the server's time, so a countdown does not depend on the client's clock."""

    agent: Agent
    tickets: list[Ticket]
    deadlines: dict[int, datetime | None]  # ticket id -> when it is taken back unaccepted
    now: datetime


def queue_view(ctx: Context, who: Principal) -> QueueView:
    who.require(Role.AGENT)
    with ctx.uow(write=False) as uow:
        agent = agent_or_404(uow, who.agent_id)
        held = uow.tickets.held_by(agent.id)
        queues = {name: uow.queues.get(name) for name in {t.queue for t in held}}
    deadlines = {t.id: accept_deadline(t, q) if (q := queues[t.queue]) else None for t in held}
    return QueueView(agent, held, deadlines, ctx.clock.now())


def _require_queues(uow: UnitOfWork, names: frozenset[str]) -> None:
    unknown = sorted(n for n in names if uow.queues.get(n) is None)
    if unknown:
        raise InvalidInput(f"{len(unknown)} of the queues named do not exist")


def _requeue_all(ctx: Context, uow: UnitOfWork, agent: Agent, actor: str) -> None:
    now = ctx.clock.now()
    for ticket in uow.tickets.held_by(agent.id):
        entry = lifecycle.unassign(
            ticket, agent, now=now, reason=Reason.AGENT_DEACTIVATED, actor=actor
        )
        uow.tickets.save(ticket)
        uow.history.append(entry)
