"""SLA policies administered: an ordered list, the first active one whose conditions match a
ticket applies (domain/sla.py). Configuration (Can.CONFIGURE); each change is a line of the
audit log with who made it. A change applies to tickets that arrive (or are matched again)
after it; clocks already running keep their due times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from giliran.domain import audit, sla
from giliran.domain.errors import InvalidInput, NotFound, SlaPolicyNameTaken
from giliran.domain.people import Can
from giliran.domain.sla import Policy
from giliran.service.audit_log import append_entry
from giliran.service.context import Context, Principal
from giliran.service.ports import UnitOfWork

FIELDS = ("name", "active", "conditions", "targets", "business_hours", "warn_percent",
          "pause_statuses", "breach_actions")


def listed(ctx: Context, who: Principal) -> list[Policy]:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=False) as uow:
        return uow.sla_policies.all()


def get(ctx: Context, who: Principal, policy_id: int) -> Policy:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=False) as uow:
        return _policy_or_404(uow, policy_id)


def create(ctx: Context, who: Principal, fields: Mapping[str, Any]) -> Policy:
    """A new policy, last in order unless `position` says otherwise."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        existing = uow.sla_policies.all()
        policy = _built(uow, Policy(name="", targets={}), {"business_hours": False, **fields})
        policy.position = max((p.position for p in existing), default=0) + 1
        policy.created_at = policy.updated_at = now
        _name_free(existing, policy)
        uow.sla_policies.add(policy)
        _audit(uow, who, policy, None, "created", now)
        uow.commit()
    return policy


def change(ctx: Context, who: Principal, policy_id: int, fields: Mapping[str, Any]) -> Policy:
    """Only the fields given change."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        policy = _policy_or_404(uow, policy_id)
        before = wire(policy)
        changed = _built(uow, replace(policy), fields)
        changed.updated_at = now = ctx.clock.now()
        _name_free(uow.sla_policies.all(), changed)
        uow.sla_policies.save(changed)
        _audit(uow, who, changed, before, "changed", now)
        uow.commit()
    return changed


def remove(ctx: Context, who: Principal, policy_id: int) -> None:
    """Deleted: its tickets' clocks run on as they stand (their due times are stored)."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        policy = _policy_or_404(uow, policy_id)
        uow.sla_policies.remove(policy.id)
        uow.audit.append(audit.AuditEntry(ctx.clock.now(), who.by, audit.AuditKind.SLA_POLICY,
                                          str(policy.id), "deleted", wire(policy), None))
        uow.commit()


def reorder(ctx: Context, who: Principal, ids: Sequence[int]) -> list[Policy]:
    """The order the policies are tried in: every policy's id, once."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        policies = {p.id: p for p in uow.sla_policies.all()}
        if sorted(ids) != sorted(policies):
            raise InvalidInput("ids: every SLA policy's id, each once, in the new order")
        before = [p.id for p in sorted(policies.values(), key=lambda p: (p.position, p.id))]
        for position, policy_id in enumerate(ids, start=1):
            policy = policies[policy_id]
            policy.position = position
            uow.sla_policies.save(policy)
        append_entry(uow, audit.change(at=ctx.clock.now(), actor=who.by,
                                       kind=audit.AuditKind.SLA_POLICY, subject="order",
                                       action="reordered", before={"ids": before},
                                       after={"ids": list(ids)}))
        uow.commit()
        return uow.sla_policies.all()


def wire(policy: Policy) -> dict[str, Any]:
    """A policy as the API shows it (and the audit log keeps it)."""
    return {"id": policy.id, "name": policy.name, "position": policy.position,
            "active": policy.active, "conditions": policy.conditions.wire(),
            "targets": policy.targets_wire(), "business_hours": policy.business_hours,
            "warn_percent": policy.warn_percent,
            "pause_statuses": sorted(policy.pause_statuses),
            "breach_actions": [a.wire() for a in policy.breach_actions]}


def _built(uow: UnitOfWork, policy: Policy, fields: Mapping[str, Any]) -> Policy:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"unknown fields {sorted(unknown)}")
    parsers = {"conditions": sla.parse_conditions, "targets": sla.parse_targets,
               "pause_statuses": sla.parse_pauses, "breach_actions": sla.parse_actions}
    for key, value in fields.items():
        if value is None and key != "conditions":
            raise InvalidInput(f"{key} may not be null")
        setattr(policy, key, parsers[key](value) if key in parsers else value)
    if not policy.targets:
        raise InvalidInput("targets: give at least one target")
    sla.check(policy)
    for action in policy.breach_actions:
        if action.queue is not None and uow.queues.get(action.queue) is None:
            raise InvalidInput(f"breach_actions: no queue named {action.queue!r}")
    return policy


def _name_free(existing: list[Policy], policy: Policy) -> None:
    if any(p.name == policy.name and p.id != policy.id for p in existing):
        raise SlaPolicyNameTaken(f"an SLA policy named {policy.name!r} exists")


def _policy_or_404(uow: UnitOfWork, policy_id: int) -> Policy:
    policy = uow.sla_policies.get(policy_id)
    if policy is None:
        raise NotFound(f"no SLA policy with id {policy_id}")
    return policy


def _audit(uow: UnitOfWork, who: Principal, policy: Policy, before: dict[str, Any] | None,
           action: str, now: datetime) -> None:
    append_entry(uow, audit.change(at=now, actor=who.by, kind=audit.AuditKind.SLA_POLICY,
                                   subject=str(policy.id), action=action, before=before,
                                   after=wire(policy)))
