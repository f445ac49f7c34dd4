"""Agent use cases: admins create and tune agents; agents read their own queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields, replace
from datetime import datetime

from giliran.domain import audit, capacity, lifecycle
from giliran.domain.errors import AutoAssignLocked, InvalidInput
from giliran.domain.escalation import accept_deadline
from giliran.domain.listing import personal_order
from giliran.domain.model import (
    DEFAULT_MAX_TICKETS,
    DEFAULT_QUEUE,
    Agent,
    Language,
    Presence,
    Reason,
    Ticket,
    TicketStatus,
)
from giliran.domain.naming import Caution, name_cautions
from giliran.domain.people import Actor, Can, Role, User
from giliran.domain.words import noun
from giliran.service.assignment import reach
from giliran.service.assignment.dispatch import dispatch
from giliran.service.assignment.presence import set_presence
from giliran.service.audit_log import record_agent
from giliran.service.context import Context, Principal, hash_token
from giliran.service.keys import end_access
from giliran.service.lookups import agent_or_404, schedule_of
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_move

TOKEN_PREFIX = "gla_"


@dataclass(frozen=True)
class NewAgent:
    name: str
    max_tickets: int = DEFAULT_MAX_TICKETS
    auto_assign: bool = True
    rotation_order: int = 0
    queues: frozenset[str] = frozenset({DEFAULT_QUEUE})
    language: Language | None = None  # None: the deployment's default (GILIRAN_DEFAULT_LANGUAGE)
    auto_assign_locked: bool = False


@dataclass(frozen=True)
class AgentChanges:
    """Only the fields that are not None change."""

    name: str | None = None
    max_tickets: int | None = None
    auto_assign: bool | None = None
    rotation_order: int | None = None
    active: bool | None = None
    queues: frozenset[str] | None = None
    language: Language | None = None
    auto_assign_locked: bool | None = None


@dataclass(frozen=True)
class AgentView:
    """An agent as created or changed, with what the supervisor may not have meant."""

    agent: Agent
    cautions: tuple[Caution, ...] = ()


@dataclass(frozen=True)
class NewAgentView(AgentView):
    token: str = ""  # shown once: only its hash is kept


def create_agent(ctx: Context, who: Principal, new: NewAgent) -> NewAgentView:
    """The agent, its token (shown once; only its hash is kept), and a caution when another
    active agent has its name (it is created all the same)."""
    who.require(Can.CONFIGURE)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow(write=True) as uow:
        _require_queues(uow, new.queues)
        cautions = name_cautions(new.name, 0, uow.agents.active_names())
        agent = uow.agents.add(
            Agent(id=0, name=new.name, max_tickets=new.max_tickets, auto_assign=new.auto_assign,
                  rotation_order=new.rotation_order, queues=new.queues,
                  language=new.language or ctx.default_language,
                  language_chosen=new.language is not None,
                  auto_assign_locked=new.auto_assign_locked),
            hash_token(token),
        )
        uow.users.add(User(0, None, agent.name, Role.AGENT, language=agent.language,
                           agent_id=agent.id, created_at=ctx.clock.now()))
        record_agent(uow, ctx.clock.now(), who.by, agent, None, action="created")
        reach.reconsider(uow, agent.queues, ctx.clock.now())  # a way in for what waited
        uow.commit()
    return NewAgentView(agent, tuple(cautions), token)


def list_agents(ctx: Context, who: Principal) -> list[Agent]:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return uow.agents.all()


def get_agent(ctx: Context, who: Principal, agent_id: int) -> Agent:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return agent_or_404(uow, agent_id)


def update_agent(ctx: Context, who: Principal, agent_id: int,
                 changes: AgentChanges) -> AgentView:
    """A new name another active agent has is taken, with a caution. A supervisor may set
    an agent's place in the rotation and its automatic assignment (the agents' work); the
    rest is configuration."""
    work = {"rotation_order", "auto_assign", "auto_assign_locked"}
    setup = any(getattr(changes, f.name) is not None for f in fields(changes)
                if f.name not in work)
    who.require(Can.CONFIGURE if setup else Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, agent_id)
        cautions = ([] if changes.name is None else
                    name_cautions(changes.name, agent.id, uow.agents.active_names()))
        if changes.queues is not None:
            _require_queues(uow, changes.queues)
        before = audit.agent_fields(agent)
        updates = {f.name: getattr(changes, f.name) for f in fields(changes)}
        updates = {name: value for name, value in updates.items() if value is not None}
        changed = replace(agent, **updates)
        # An admin chose a language by changing it: the settings dialog sends the agent's
        # language with every save, and saving its capacity chooses nothing.
        changed.language_chosen = agent.language_chosen or changed.language != agent.language
        # Misses and pauses are kept only for the queues it still serves.
        changed.queue_state = {q: s for q, s in agent.queue_state.items() if q in changed.queues}
        leaving = agent.active and not changed.active
        if leaving:
            retire(ctx, uow, changed, who.by)
        if changed.active != agent.active:
            _mirror_user(uow, changed, ctx.clock.now())
        uow.agents.save(changed)
        record_agent(uow, ctx.clock.now(), who.by, changed, before,
                     action="deactivated" if leaving else "changed")
        reach.reconsider(uow, agent.queues | changed.queues, ctx.clock.now())
        dispatch(ctx, uow, Reason.AUTO)  # more room, opted back in, or requeued work
        uow.commit()
    return AgentView(changed, tuple(cautions))


def update_me(ctx: Context, who: Principal, *, auto_assign: bool | None = None,
              language: Language | None = None,
              telegram_ticket_left: bool | None = None) -> Agent:
    """An agent's own switches: opting in and out of automatic assignment (unless an admin
    locked it), the language of its chat notices, and whether its chat hears of tickets that
    leave its queue by someone else's hand."""
    who.require(Can.WORK)
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, who.agent_id)
        before = audit.agent_fields(agent)
        if auto_assign is not None and auto_assign != agent.auto_assign:
            if agent.auto_assign_locked:
                raise AutoAssignLocked("a supervisor set your automatic assignment; ask them "
                                       "to change it")
            agent.auto_assign = auto_assign
        if language is not None:
            agent.language, agent.language_chosen = language, True
        if telegram_ticket_left is not None:
            agent.telegram_ticket_left = telegram_ticket_left
        uow.agents.save(agent)
        record_agent(uow, ctx.clock.now(), who.by, agent, before)
        reach.reconsider(uow, agent.queues, ctx.clock.now())
        dispatch(ctx, uow, Reason.AUTO)  # opted in: waiting tickets may come at once
        uow.commit()
    return agent


def whoami(ctx: Context, who: Principal) -> Agent:
    who.require(Can.WORK)
    with ctx.uow(write=False) as uow:
        return agent_or_404(uow, who.agent_id)


def my_queue(ctx: Context, who: Principal) -> tuple[Agent, list[Ticket]]:
    """The agent's personal queue, the most urgent first, then the oldest of a priority."""
    who.require(Can.WORK)
    with ctx.uow(write=False) as uow:
        agent = agent_or_404(uow, who.agent_id)
        return agent, personal_order(uow.tickets.held_by(agent.id))


@dataclass(frozen=True)
class QueueView:
    """The agent's personal queue as its dashboard shows it: with each acceptance deadline,
    and the server's time, so a countdown does not depend on the client's clock."""

    agent: Agent
    tickets: list[Ticket]
    deadlines: dict[int, datetime | None]  # ticket id -> when it is taken back unaccepted
    now: datetime
    # What it could hold now: its tickets plus its room within max_tickets and each of its
    # queues' per-agent limit ("My tickets (1/1)" on a lead desk, not 1/5).
    most: int = 0


def queue_view(ctx: Context, who: Principal) -> QueueView:
    who.require(Can.WORK)
    with ctx.uow(write=False) as uow:
        agent = agent_or_404(uow, who.agent_id)
        held = personal_order(uow.tickets.held_by(agent.id))
        queues = {name: uow.queues.get(name) for name in {t.queue for t in held} | agent.queues}
        hours = {name: schedule_of(uow, q) for name, q in queues.items() if q is not None}
    deadlines = {t.id: accept_deadline(t, q, hours[t.queue]) if (q := queues[t.queue]) else None
                 for t in held}
    mine = [q for name in agent.queues if (q := queues.get(name)) is not None]
    room = capacity.room(agent, mine, held_per_queue(held))
    return QueueView(agent, held, deadlines, ctx.clock.now(), agent.active_tickets + room)


def held_per_queue(held: list[Ticket]) -> dict[str, capacity.Held]:
    found: dict[str, capacity.Held] = {}
    for t in held:
        if not t.takes_slot:  # on hold, its slot freed
            continue
        assigned, working = found.get(t.queue, (0, 0))
        found[t.queue] = ((assigned + 1, working) if t.status is TicketStatus.ASSIGNED
                          else (assigned, working + 1))
    return found


def _require_queues(uow: UnitOfWork, names: frozenset[str]) -> None:
    unknown = sorted(n for n in names if uow.queues.get(n) is None)
    if unknown:
        raise InvalidInput(f"{len(unknown)} of the queues named "
                           f"{noun(len(unknown), 'does', 'do')} not exist")


def retire(ctx: Context, uow: UnitOfWork, agent: Agent, actor: Actor) -> None:
    """A deactivated agent goes offline, its tickets go back to their queues (at their
    places), and its chat no longer speaks for it. The caller saves the agent."""
    agent.active = False
    set_presence(uow, agent, Presence.OFFLINE, now=ctx.clock.now())
    _requeue_all(ctx, uow, agent, actor)
    uow.chat_links.unlink(agent.id)


def _mirror_user(uow: UnitOfWork, agent: Agent, now: datetime) -> None:
    """An agent's user is active with it; deactivated, its sessions and tokens end."""
    user = uow.users.by_agent(agent.id)
    if user is not None and user.active != agent.active:
        user.active = agent.active
        uow.users.save(user)
        if not agent.active:
            end_access(uow, user, now)


def _requeue_all(ctx: Context, uow: UnitOfWork, agent: Agent, actor: Actor) -> None:
    now = ctx.clock.now()
    for ticket in uow.tickets.held_by(agent.id):
        entry = lifecycle.unassign(
            ticket, agent, now=now, reason=Reason.AGENT_DEACTIVATED, actor=actor
        )
        uow.tickets.save(ticket)
        record_move(uow, ticket, entry)
