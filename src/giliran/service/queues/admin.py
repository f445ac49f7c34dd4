"""Queue administration: an admin creates, reads and changes a queue's policy (its
strategy, timers, limits, switches), from a preset or field by field, each change in the audit
log and told as an event, and what the change opens up dispatched in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from giliran.domain import audit, presets
from giliran.domain.errors import Conflict, DefaultQueueRequired
from giliran.domain.hold import check_hold_settings
from giliran.domain.model import (
    DEFAULT_QUEUE,
    ClaimPolicy,
    HoldExpiry,
    OfflinePolicy,
    PickupPolicy,
    Queue,
    SlotFreedOn,
    StrategyName,
    WaitingOrder,
)
from giliran.domain.people import Can
from giliran.domain.presets import Preset
from giliran.service.assignment import reach
from giliran.service.assignment.dispatch import dispatch
from giliran.service.audit_log import record_queue
from giliran.service.context import Context, Principal
from giliran.service.lookups import queue_or_404, schedule_of
from giliran.service.queues.pointer import set_next
from giliran.service.recording import record_queue_change
from giliran.service.sla import clocks as sla_clocks


@dataclass(frozen=True)
class QueueChanges:
    """Only the fields that are not None change."""

    strategy: StrategyName | None = None
    accept_timeout_seconds: int | None = None
    max_escalations: int | None = None
    away_after_misses: int | None = None
    offline_policy: OfflinePolicy | None = None
    max_wait_seconds: int | None = None
    auto_assign_percent: int | None = None
    active: bool | None = None
    priority_aging_seconds: int | None = None
    reply_accepts: bool | None = None
    max_per_agent: int | None = None
    slot_freed_on: SlotFreedOn | None = None
    claim: ClaimPolicy | None = None
    pickup: PickupPolicy | None = None
    service_level_seconds: int | None = None
    hold_frees_slot: bool | None = None
    hold_minutes: int | None = None
    hold_expiry: HoldExpiry | None = None
    schedule: str | None = None  # "": none (always open)
    calendar_clocks: frozenset[str] | None = None
    out_of_hours_reply: bool | None = None
    offline_at_closing: bool | None = None
    reply_timeout_seconds: int | None = None
    waiting_order: WaitingOrder | None = None


def create_queue(ctx: Context, who: Principal, name: str, changes: QueueChanges,
                 preset: Preset | None = None) -> Queue:
    """A new mailbox with the given policy: the preset's, then the fields given (defaults for
    the rest)."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        if uow.queues.get(name) is not None:
            raise Conflict(f"a queue named {name!r} exists")
        queue = _changed(presets.apply(Queue(name), preset) if preset else Queue(name), changes)
        uow.queues.add(queue)
        record_queue(uow, ctx.clock.now(), who.by, queue, None, action="created")
        record_queue_change(uow, queue, ctx.clock.now(), who.by)
        uow.commit()
    return queue


def list_queues(ctx: Context, who: Principal) -> list[Queue]:
    """A supervisor of some queues sees those."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return [q for q in uow.queues.all() if who.sees_queue(q.name)]


def _changed(queue: Queue, changes: QueueChanges) -> Queue:
    updates = {f.name: getattr(changes, f.name) for f in fields(changes)}
    if changes.hold_minutes is not None:
        check_hold_settings(changes.hold_minutes)
    if changes.schedule == "":
        updates["schedule"] = None
        return replace(queue, schedule=None,
                       **{k: v for k, v in updates.items() if v is not None})
    return replace(queue, **{k: v for k, v in updates.items() if v is not None})


def get_queue(ctx: Context, who: Principal, name: str) -> Queue:
    who.require(Can.SUPERVISE)
    who.require_queue(name)
    with ctx.uow(write=False) as uow:
        return queue_or_404(uow, name)


def update_queue(
    ctx: Context, who: Principal, name: str, changes: QueueChanges,
    next_agent_id: int | None = None, preset: Preset | None = None,
) -> Queue:
    """A `preset` first, then the fields given. `next_agent_id` makes that agent next in
    turn: in a rotation it is the pointer; otherwise the rest follow in `rotation_order` from
    there. Every change is in the audit log, the pointer as a change of its own.
    A supervisor sets the pointer (of their queues); the policy is configuration."""
    policy = preset is not None or any(getattr(changes, f.name) is not None
                                       for f in fields(changes))
    who.require(Can.CONFIGURE if policy else Can.SUPERVISE)
    who.require_queue(name)
    with ctx.uow(write=True) as uow:
        current = queue_or_404(uow, name)
        before = audit.queue_fields(current)
        queue = _changed(presets.apply(current, preset) if preset else current, changes)
        if queue.name == DEFAULT_QUEUE and not queue.active:
            raise DefaultQueueRequired(
                f"the {DEFAULT_QUEUE!r} queue cannot be deactivated: it takes the tickets that "
                "name no queue and the channel messages whose queue is off")
        now = ctx.clock.now()
        if next_agent_id is not None:
            set_next(ctx, uow, queue, next_agent_id, who.by)
        uow.queues.save(queue)
        if queue.schedule != current.schedule:
            sla_clocks.rescheduled(uow, name, schedule_of(uow, current), now)
        record_queue(uow, now, who.by, queue, before,
                     action=f"preset {preset.value}" if preset else "changed")
        record_queue_change(uow, queue, now, who.by)
        reach.after_switches(uow, queue, now)
        dispatch(ctx, uow)
        uow.commit()
    return queue
