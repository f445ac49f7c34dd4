"""Work moved by hand: agents pick up queued tickets, admins reassign and unassign.

This is the migration path from a manual desk: pick-up stays available next to automatic
dispatch, and a supervisor can always overrule the rotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from giliran.domain import explain, lifecycle, rollout
from giliran.domain.errors import (
    AgentInactive,
    CapacityExceeded,
    NotAMember,
    NotYourQueue,
    NotYourTurn,
    PausedInQueue,
    PickupDisabled,
)
from giliran.domain.model import (
    Agent,
    ClaimPolicy,
    PickupPolicy,
    Priority,
    Queue,
    Reason,
    Ticket,
    TicketFlag,
    TicketStatus,
)
from giliran.domain.people import Actor, Can
from giliran.domain.words import noun
from giliran.service.assignment import turns
from giliran.service.assignment.dispatch import dispatch
from giliran.service.context import Context, Principal
from giliran.service.lookups import (
    TicketCheck,
    acting_agent,
    agent_or_404,
    queue_or_404,
    ticket_or_404,
    waiting_order,
)
from giliran.service.ports import TicketFilter, UnitOfWork
from giliran.service.recording import record_move


def pickup(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    """An agent takes a queued ticket of one of its queues, within its capacity and the
    queue's limit, if the queue allows pick-ups at all; in a queue whose claims go by turn,
    only the agent whose turn it is may (and the turn then moves on, as for an automatic
    assignment)."""
    who.require(Can.WORK)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id)
        agent = acting_agent(uow, who.agent_id)
        if ticket.queue not in agent.queues:
            raise NotYourQueue(f"you do not serve queue {ticket.queue!r}")
        lifecycle.require_queued(ticket, action="pick up")
        queue = queue_or_404(uow, ticket.queue)
        may_pick_up(uow, ticket, agent, queue)
        why = _take_turn(uow, ticket, agent, queue) if queue.claim is ClaimPolicy.TURN else None
        hand_to(uow, ctx, ticket, agent, reason=Reason.PICKUP, actor=who.by, why=why)
        uow.commit()
    return ticket


def may_pick_up(uow: UnitOfWork, ticket: Ticket, agent: Agent, queue: Queue) -> None:
    """The rules of a pick-up besides the ticket's state, each refused with its own code."""
    if queue.pickup is PickupPolicy.OFF:
        raise PickupDisabled(f"tickets of queue {queue.name!r} are assigned automatically "
                             "only: pick-up is off")
    if agent.paused_in(queue.name):
        raise PausedInQueue(f"you are paused in queue {queue.name!r} "
                            f"({agent.state_in(queue.name).pause_reason}); resume it first")
    if agent.active_tickets >= agent.max_tickets:
        raise CapacityExceeded(
            f"agent {agent.name} is full ({agent.active_tickets}/{agent.max_tickets})")
    limit = _queue_limit(uow, agent, queue)
    if limit is not None:
        raise limit


def _take_turn(uow: UnitOfWork, ticket: Ticket, agent: Agent, queue: Queue) -> explain.Why:
    turn = turns.whose_turn(uow, ticket, queue)
    if turn is None or turn.id != agent.id:
        who = f"it is {turn.name}'s turn" if turn is not None else "it is nobody's turn now"
        raise NotYourTurn(f"{who} to take ticket {ticket.number} of queue {queue.name!r}")
    members = uow.agents.members(queue.name)
    why = explain.in_rotation(ticket, agent, members, turns.pointer_key(uow, queue), claim=True,
                              set_by_hand=queue.pointer_set_by_hand)
    turns.advance(uow, queue, agent, members)
    return why


def _queue_limit(uow: UnitOfWork, agent: Agent, queue: Queue) -> CapacityExceeded | None:
    if queue.max_per_agent <= 0:
        return None  # no limit: the agent's held tickets need not be read (a bulk reassign)
    held = turns.held_here(uow, agent, queue)
    if queue.has_room_for(held):
        return None
    return CapacityExceeded(
        f"agent {agent.name} already holds {held} open {noun(held, 'ticket', 'tickets')} "
        f"of queue {queue.name!r}, "
        f"whose limit is {queue.max_per_agent} per agent")


def reassign(
    ctx: Context, who: Principal, ticket_id: int, agent_id: int, *, force: bool = False,
    check: TicketCheck | None = None,
) -> Ticket:
    """Move a queued or active ticket to a named agent. Without `force` the agent must serve
    the ticket's queue and have room (409 with the reason otherwise); with it, both may be
    overruled, and the history says so (reason `forced`). The agent must accept it anew."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        target = agent_or_404(uow, agent_id)
        if not target.active:
            raise AgentInactive(f"agent {target.name} is deactivated")
        if ticket.status.is_final:
            lifecycle.require_active(ticket, action="reassign")
        if ticket.agent_id == target.id:
            return ticket  # already there: nothing moves
        refused = overrules(uow, ticket, target)
        if refused and not force:
            raise refused[0]
        if ticket.status.is_held:  # on hold too: the holder lets it go
            holder = agent_or_404(uow, ticket.agent_id)
            _take_back(uow, ctx, ticket, holder, reason=Reason.REASSIGNED, actor=who.by)
        reason = Reason.FORCED if refused else Reason.REASSIGNED
        hand_to(uow, ctx, ticket, target, reason=reason, actor=who.by, force=force)
        dispatch(ctx, uow)  # the previous holder's slot
        uow.commit()
    return ticket


def unassign(ctx: Context, who: Principal, ticket_id: int,
             check: TicketCheck | None = None) -> Ticket:
    """Send an active ticket back to the queue, at its original place. It is dispatched again
    at once, but never automatically back to the agent it was taken from."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        lifecycle.require_held(ticket, action="unassign")
        holder = agent_or_404(uow, ticket.agent_id)
        _take_back(uow, ctx, ticket, holder, reason=Reason.UNASSIGNED, actor=who.by)
        ticket.missed_by = ticket.missed_by | {holder.id}
        uow.tickets.save(ticket)
        dispatch(ctx, uow)
        uow.commit()
    return ticket


def set_priority(ctx: Context, who: Principal, ticket_id: int, priority: Priority,
                 check: TicketCheck | None = None) -> Ticket:
    """For a queued ticket this moves its place in line; nobody loses a ticket over it."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who, check)
        record_move(uow, ticket, lifecycle.reprioritize(
            ticket, priority, now=ctx.clock.now(), reason=Reason.PRIORITY, actor=who.by))
        uow.tickets.save(ticket)
        dispatch(ctx, uow)
        uow.commit()
    return ticket


def move_to_front(ctx: Context, who: Principal, ticket_id: int) -> Ticket:
    """First in line (urgent, ahead of every other queued ticket); it still waits for an
    eligible agent, and takes no ticket away from anyone."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        record_move(uow, ticket, lifecycle.move_to_front(
            ticket, order=uow.tickets.front_order(), now=ctx.clock.now(), actor=who.by))
        uow.tickets.save(ticket)
        dispatch(ctx, uow)
        uow.commit()
    return ticket


def available(
    ctx: Context, who: Principal, limit: int, offset: int
) -> tuple[Sequence[Ticket], int]:
    """Queued tickets the agent may actually pick up now, in queue order, and how many there
    are in all: of its queues with pick-up on where it is not paused, only while it has room
    overall and in the queue, and where claims go by turn, only those it is its turn for."""
    who.require(Can.WORK)
    found: list[Ticket] = []
    total = 0
    with ctx.uow(write=False) as uow:
        agent = agent_or_404(uow, who.agent_id)
        if not agent.active or agent.active_tickets >= agent.max_tickets:
            return [], 0
        for name in sorted(agent.queues):
            queue = uow.queues.get(name)
            if queue is None or not _open_for_pickup(uow, agent, queue):
                continue
            waiting, count = pickup_list(uow, agent, queue, offset + limit)
            found += waiting
            total += count
        found.sort(key=lambda t: t.line_key(waiting_order(uow, t.queue)))
    return found[offset:offset + limit], total


def _open_for_pickup(uow: UnitOfWork, agent: Agent, queue: Queue) -> bool:
    return (queue.pickup is PickupPolicy.ON and not agent.paused_in(queue.name)
            and _queue_limit(uow, agent, queue) is None)


TURN_SCAN = 500  # queued tickets of a turn-taking queue looked at for one pick-up list


def pickup_list(uow: UnitOfWork, agent: Agent, queue: Queue,
                wanted: int) -> tuple[list[Ticket], int]:
    """The first `wanted` of a queue's waiting tickets the agent may take, and their number.
    Where claims go by turn, whose turn it is depends on the ticket (who missed it), so each is
    judged; such desks are small (a lead desk), and the look is bounded."""
    query = TicketFilter(status=TicketStatus.QUEUED, queue=queue.name, limit=wanted)
    if queue.claim is not ClaimPolicy.TURN:
        return list(uow.tickets.search(query)), uow.tickets.count(query)
    waiting = uow.tickets.search(replace(query, limit=TURN_SCAN))
    claimants = turns.in_line(uow, queue)
    mine = [t for t in waiting if (turn := turns.whose_turn(uow, t, queue, claimants)) is not None
            and turn.id == agent.id]
    return mine[:wanted], len(mine)


def overrules(uow: UnitOfWork, ticket: Ticket, target: Agent) -> list[Exception]:
    """Why `target` may not take the ticket by the usual rules (its queue, its room)."""
    found: list[Exception] = []
    if ticket.queue not in target.queues:
        found.append(NotAMember(f"agent {target.name} does not serve queue {ticket.queue!r}"))
    if target.active_tickets >= target.max_tickets:
        found.append(CapacityExceeded(
            f"agent {target.name} is full ({target.active_tickets}/{target.max_tickets})"))
    queue = uow.queues.get(ticket.queue)
    limit = _queue_limit(uow, target, queue) if queue is not None else None
    if limit is not None:
        found.append(limit)
    return found


def _take_back(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, holder: Agent, *, reason: Reason, actor: Actor
) -> None:
    entry = lifecycle.unassign(ticket, holder, now=ctx.clock.now(), reason=reason, actor=actor)
    record_move(uow, ticket, entry)
    uow.agents.save(holder)


def hand_to(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, agent: Agent, *, reason: Reason, actor: Actor,
    force: bool = False, why: explain.Why | None = None,
) -> None:
    """A person chose this agent: it may have missed the ticket before, and an exhausted
    ticket starts over (automatic again if its queue's rollout says so)."""
    if ticket.flag is TicketFlag.EXHAUSTED:
        queue = uow.queues.get(ticket.queue)
        ticket.auto_dispatch = queue is None or rollout.is_automatic(queue, rollout_key(ticket))
    ticket.missed_by = ticket.missed_by - {agent.id}
    entry = lifecycle.assign(ticket, agent, seq=uow.next_seq(), now=ctx.clock.now(),
                             reason=reason, actor=actor, force=force)
    if why is not None:
        entry = replace(entry, note=why.note, detail=why.detail)
    record_move(uow, ticket, entry)
    uow.tickets.save(ticket)
    uow.agents.save(agent)


def rollout_key(ticket: Ticket) -> str:
    return ticket.external_id if ticket.external_id is not None else str(ticket.id)
