"""The audit log of changes: written by the use cases that change agents, queues and run-time
settings, in their own transaction; read by supervisors and reviewers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from giliran.domain import audit
from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.model import Agent, Queue
from giliran.domain.people import Actor, Can
from giliran.service.context import Context, Principal
from giliran.service.ports import AuditFilter, UnitOfWork
from giliran.service.recording import record_agent_change

EXPORT_BATCH = 1000


def record_agent(uow: UnitOfWork, now: datetime, actor: Actor, agent: Agent,
                 before: Mapping[str, Any] | None, *, action: str = "changed") -> None:
    """`before`: audit.agent_fields of the agent before the change (None: it was created).
    A change worth an audit line is one the floor sees: its event is recorded with it."""
    entry = audit.change(at=now, actor=actor, kind=AuditKind.AGENT, subject=str(agent.id),
                         action=action, before=before, after=audit.agent_fields(agent))
    if entry is not None:
        uow.audit.append(entry)
        record_agent_change(uow, agent, now, actor)


def record_queue(uow: UnitOfWork, now: datetime, actor: Actor, queue: Queue,
                 before: Mapping[str, Any] | None, *, action: str = "changed") -> None:
    append_entry(uow, audit.change(at=now, actor=actor, kind=AuditKind.QUEUE, subject=queue.name,
                              action=action, before=before, after=audit.queue_fields(queue)))


def record_setting(uow: UnitOfWork, now: datetime, actor: Actor, name: str, before: Any,
                   after: Any) -> None:
    append_entry(uow, audit.change(at=now, actor=actor, kind=AuditKind.SETTINGS, subject=name,
                              action="changed", before={name: before}, after={name: after}))


def append_entry(uow: UnitOfWork, entry: AuditEntry | None) -> None:
    """Nothing when nothing changed (`audit.change` gave None)."""
    if entry is not None:
        uow.audit.append(entry)


def search_audit(ctx: Context, who: Principal,
                 query: AuditFilter) -> tuple[list[AuditEntry], int]:
    """Newest first."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=False) as uow:
        return uow.audit.search(query), uow.audit.count(query)


def export_audit(ctx: Context, who: Principal, query: AuditFilter) -> Iterator[list[AuditEntry]]:
    """Every match, newest first, in batches each read in its own short transaction (keyset
    paging by id)."""
    who.require(Can.SUPERVISE)
    before = query.before_id
    while True:
        with ctx.uow(write=False) as uow:
            page = uow.audit.search(replace(query, before_id=before, limit=EXPORT_BATCH,
                                            offset=0))
        if not page:
            return
        yield page
        before = page[-1].id
