"""A queue's rotation order set whole: the supervisor drops a member where it belongs and the
page sends the members in their new order, saved in one transaction (one step at a time, a
move of five places was five saves, and a reader between them saw an order nobody chose)."""

from __future__ import annotations

from collections.abc import Sequence

from giliran.domain import audit, turn_order
from giliran.domain.model import Agent
from giliran.domain.people import Can
from giliran.service.audit_log import append_entry, record_agent
from giliran.service.context import Context, Principal
from giliran.service.lookups import queue_or_404


def set_rotation(ctx: Context, who: Principal, name: str, wanted: Sequence[int]) -> list[Agent]:
    """The queue's active members in the `wanted` order (each named once); the other agents
    keep their places. Every agent whose place number changes is audited (and told as a
    change of that agent); the queue's log says the order before and after. The pointer
    stays on its agent: the turn moves with it."""
    who.require(Can.SUPERVISE)
    who.require_queue(name)
    with ctx.uow(write=True) as uow:
        queue_or_404(uow, name)
        active = sorted((a for a in uow.agents.all() if a.active),
                        key=lambda a: (a.rotation_order, a.id))
        was = [a.id for a in active if name in a.queues]
        order = turn_order.reorder([a.id for a in active], frozenset(was), wanted)
        places = turn_order.numbered(order)
        now = ctx.clock.now()
        for agent in active:
            if agent.rotation_order != places[agent.id]:
                before = audit.agent_fields(agent)
                agent.rotation_order = places[agent.id]
                uow.agents.save(agent)
                record_agent(uow, now, who.by, agent, before)
        append_entry(uow, audit.change(at=now, actor=who.by, kind=audit.AuditKind.QUEUE,
                                       subject=name, action="rotation",
                                       before={"rotation": was}, after={"rotation": list(wanted)}))
        uow.commit()
        by_id = {a.id: a for a in active}
        return [by_id[i] for i in wanted]
