"""Canned replies: supervisors keep them for their queues (or, unscoped, for every queue);
agents read those of their queues and the global ones, filled in for the ticket at hand.
Each change is a line of the audit log with who made it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from giliran.domain import audit, canned
from giliran.domain.canned import CannedReply
from giliran.domain.errors import InvalidInput, NotFound, NotYourQueue
from giliran.domain.people import Can
from giliran.service.audit_log import append_entry
from giliran.service.context import Context, Principal
from giliran.service.conversations.inbox import desk_name
from giliran.service.lookups import agent_or_404, ticket_or_404
from giliran.service.ports import UnitOfWork
from giliran.service.tickets.tickets import check_holder

FIELDS = ("name", "text", "queue", "language")


def listed(ctx: Context, who: Principal, queue: str | None = None,
           language: str | None = None) -> list[CannedReply]:
    """Those the caller may use (in `queue`: its own and the global ones), by name."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        seen = _seen_queues(uow, who)
        if queue is not None:
            if seen is not None and queue not in seen:
                raise NotYourQueue(f"queue {queue!r} is not one of yours")
            seen = frozenset({queue})
        found = uow.canned_replies.applying(seen, language)
    return sorted(found, key=lambda r: (r.name.lower(), r.id))


def get(ctx: Context, who: Principal, reply_id: int) -> CannedReply:
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        return _visible(uow, who, reply_id)


def create(ctx: Context, who: Principal, fields: Mapping[str, Any]) -> CannedReply:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        reply = CannedReply(name=str(fields.get("name", "")), text=str(fields.get("text", "")),
                            updated_at=now, created_by=who.actor, queue=fields.get("queue"),
                            language=fields.get("language"))
        _may_manage(uow, who, reply.queue)
        canned.check(reply)
        uow.canned_replies.add(reply)
        _audit(uow, who, reply, None, "created")
        uow.commit()
    return reply


def change(ctx: Context, who: Principal, reply_id: int,
           fields: Mapping[str, Any]) -> CannedReply:
    """Only the fields given change (`queue`: None makes it global)."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        reply = _visible(uow, who, reply_id)
        _may_manage(uow, who, reply.queue)
        before = _fields(reply)
        changed = replace(reply, **{k: v for k, v in fields.items() if k in FIELDS},
                          updated_at=ctx.clock.now())
        if "queue" in fields:
            _may_manage(uow, who, changed.queue)
        canned.check(changed)
        uow.canned_replies.save(changed)
        _audit(uow, who, changed, before, "changed")
        uow.commit()
    return changed


def remove(ctx: Context, who: Principal, reply_id: int) -> None:
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        reply = _visible(uow, who, reply_id)
        _may_manage(uow, who, reply.queue)
        uow.canned_replies.remove(reply.id)
        uow.audit.append(audit.AuditEntry(ctx.clock.now(), who.by, audit.AuditKind.CANNED_REPLY,
                                          str(reply.id), "deleted", _fields(reply), None))
        uow.commit()


def for_ticket(ctx: Context, who: Principal, ticket_id: int) -> list[CannedReply]:
    """Those for the ticket's queue and the global ones, filled in for it, the customer's
    language first (any reader of the conversation)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        check_holder(who, ticket)
        found = uow.canned_replies.applying([ticket.queue])
        customer = uow.customers.get(ticket.contact) if ticket.contact else None
        last = uow.messages.last_incoming(ticket.id)
        values = {"customer_name": customer.name if customer is not None else None,
                  "ticket_number": ticket.number, "agent_name": desk_name(uow, who)}
    language = canned.language_of(last.language if last is not None else None)
    return [replace(r, text=canned.fill(r.text, values))
            for r in canned.for_ticket(found, ticket.queue, language)]


def _seen_queues(uow: UnitOfWork, who: Principal) -> frozenset[str] | None:
    """The queues whose replies the caller reads (None: every queue)."""
    if who.can(Can.SUPERVISE):
        return who.queues or None
    return frozenset(agent_or_404(uow, who.agent_id).queues)


def _visible(uow: UnitOfWork, who: Principal, reply_id: int) -> CannedReply:
    reply = uow.canned_replies.get(reply_id)
    if reply is None:
        raise NotFound(f"no canned reply with id {reply_id}")
    seen = _seen_queues(uow, who)
    if reply.queue is not None and seen is not None and reply.queue not in seen:
        raise NotYourQueue(f"canned reply {reply_id} is for queue {reply.queue!r}, not yours")
    return reply


def _may_manage(uow: UnitOfWork, who: Principal, queue: str | None) -> None:
    if queue is None:
        if who.queues:
            raise NotYourQueue("a supervisor of some queues keeps their queues' replies; "
                               "replies for every queue are an unscoped supervisor's")
        return
    who.require_queue(queue)
    if uow.queues.get(queue) is None:
        raise InvalidInput(f"no queue named {queue!r}")


def _fields(reply: CannedReply) -> dict[str, Any]:
    return {f: getattr(reply, f) for f in FIELDS}


def _audit(uow: UnitOfWork, who: Principal, reply: CannedReply,
           before: dict[str, Any] | None, action: str) -> None:
    append_entry(uow, audit.change(at=reply.updated_at, actor=who.by,
                                   kind=audit.AuditKind.CANNED_REPLY, subject=str(reply.id),
                                   action=action, before=before, after=_fields(reply)))
