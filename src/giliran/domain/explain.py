"""Why this agent: the deciding fact of an automatic assignment, in words and as data.

Built beside the strategy from what it decided on (the candidates, the chosen one, the rotation's
pointer), never by asking the strategy again, so `SelectionStrategy.select` stays the one
decision. The words are English, for the API and the CSV; the dashboards say the same in the
reader's language from the data (`detail`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from giliran.domain.model import Agent, Queue, StrategyName, Ticket
from giliran.domain.strategies import in_turn

SKIPPED = {
    "missed": "missed this ticket",
    "inactive": "deactivated",
    "offline": "not online",
    "manual": "takes tickets by hand only",
    "paused": "paused in this queue",
    "full": "full",
    "queue_limit": "at this queue's limit",
}


@dataclass(frozen=True)
class Why:
    note: str
    detail: dict[str, Any]


def skip_reason(agent: Agent, ticket: Ticket) -> str:
    """Why a member could not take the ticket now; the last case is the one left once every
    other rule is met (the queue's per-agent limit)."""
    if agent.id in ticket.missed_by:
        return "missed"
    if not agent.active:
        return "inactive"
    if not agent.online:
        return "offline"
    if not agent.auto_assign:
        return "manual"
    if agent.paused_in(ticket.queue):
        return "paused"
    if agent.active_tickets >= agent.max_tickets:
        return "full"
    return "queue_limit"


def _load(agent: Agent) -> list[int]:
    return [agent.active_tickets, agent.max_tickets]


def _skips(skipped: Sequence[Agent], ticket: Ticket) -> list[dict[str, Any]]:
    return [{"agent_id": a.id, "name": a.name, "why": skip_reason(a, ticket)} for a in skipped]


def _words(head: str, skips: list[dict[str, Any]]) -> str:
    return "; ".join([head, *(f"{s['name']} skipped: {SKIPPED[s['why']]}" for s in skips)])


def in_rotation(ticket: Ticket, chosen: Agent, members: Sequence[Agent],
                pointer: tuple[int, int] | None, *, claim: bool = False,
                set_by_hand: bool = False) -> Why:
    """`members`: the queue's active members. The ones between the pointer and the chosen agent
    were passed over, each for a reason; `after` is whose turn came last, unless a supervisor
    set the pointer since (`set_by_hand`): then nobody's turn led to this one."""
    order = in_turn(members, pointer)
    ahead = order[:next((i for i, a in enumerate(order) if a.id == chosen.id), 0)]
    by_hand = set_by_hand and pointer is not None
    after = order[-1] if pointer is not None and order and not by_hand else None
    skips = _skips(ahead, ticket)
    head = _turn_head("picked up in turn" if claim else "next in turn", after, by_hand)
    detail = {"strategy": StrategyName.ROTATION.value, "agent_id": chosen.id,
              "after": after.id if after else None,
              "after_name": after.name if after else None, "claim": claim,
              "set_by_hand": by_hand, "skipped": skips}
    return Why(_words(head, skips), detail)


def _turn_head(how: str, after: Agent | None, by_hand: bool) -> str:
    if by_hand:
        return f"rotation: {how}, set by a supervisor"
    return f"rotation: {how} after {after.name}" if after else f"rotation: {how}, first in order"


def by_strategy(queue: Queue, ticket: Ticket, chosen: Agent,
                candidates: Sequence[Agent]) -> Why:
    """Round robin, least loaded and random, from the candidates the strategy was given
    (including any who missed the ticket, which it was not offered)."""
    missed = [a for a in candidates if a.id in ticket.missed_by]
    others = [a for a in candidates if a.id != chosen.id and a.id not in ticket.missed_by]
    skips = _skips(missed, ticket)
    detail: dict[str, Any] = {"strategy": queue.strategy.value, "agent_id": chosen.id,
                              "skipped": skips}
    if queue.strategy is StrategyName.LEAST_LOADED:
        detail["load"] = _load(chosen)
        detail["others"] = [{"agent_id": a.id, "name": a.name, "load": _load(a)} for a in others]
        head = f"least loaded: {chosen.active_tickets}/{chosen.max_tickets}"
        if others:
            head += " against " + " and ".join(f"{a.active_tickets}/{a.max_tickets}"
                                               for a in others)
    elif queue.strategy is StrategyName.RANDOM:
        among = len(others) + 1
        detail["among"] = among
        head = f"random: 1 of {among} eligible"
    else:
        detail["never"] = chosen.last_assigned_seq == 0
        detail["others"] = [{"agent_id": a.id, "name": a.name} for a in others]
        head = ("round robin: never assigned before" if detail["never"]
                else "round robin: longest since their last assignment")
        if others:
            head += ", before " + " and ".join(a.name for a in others)
    return Why(_words(head, skips), detail)
