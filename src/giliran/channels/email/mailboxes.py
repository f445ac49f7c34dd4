"""The desk's mailboxes, kept by those who configure the desk (Can.CONFIGURE). Each change is
one transaction with its line of the audit log, which names who made it and shows the secrets
only as whether they are set."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from giliran.adapters.sql.uow import connection_of
from giliran.channels.email import mailbox as rules
from giliran.channels.email.mailbox import Mailbox, MailboxTaken
from giliran.channels.email.store import SqlMailboxes
from giliran.domain import audit
from giliran.domain.errors import NotFound
from giliran.domain.people import Can
from giliran.service.audit_log import append_entry
from giliran.service.context import Context, Principal
from giliran.service.ports import UnitOfWork


def listed(ctx: Context, who: Principal) -> list[Mailbox]:
    """Every mailbox, deactivated ones too, by address."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=False) as uow:
        return SqlMailboxes(connection_of(uow)).listed()


def get(ctx: Context, who: Principal, mailbox_id: int) -> Mailbox:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=False) as uow:
        return _found(SqlMailboxes(connection_of(uow)), mailbox_id)


def create(ctx: Context, who: Principal, fields: dict[str, Any]) -> Mailbox:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        store = SqlMailboxes(connection_of(uow))
        made = rules.new(fields, secrets.token_hex(32), ctx.clock.now())
        _check(uow, store, made)
        made = store.add(made)
        _audit(uow, who, ctx.clock.now(), None, made, "created")
        uow.commit()
    return made


def change(ctx: Context, who: Principal, mailbox_id: int, fields: dict[str, Any]) -> Mailbox:
    """Only the fields given change; a secret sent as null is forgotten."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        store = SqlMailboxes(connection_of(uow))
        before = _found(store, mailbox_id)
        after = rules.changed(before, fields, ctx.clock.now())
        _check(uow, store, after)
        store.save(after)
        _audit(uow, who, ctx.clock.now(), before, after, "changed")
        uow.commit()
    return after


def deactivate(ctx: Context, who: Principal, mailbox_id: int) -> Mailbox:
    """Its mail is read no more; the mailbox, its tickets and its messages stay."""
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        store = SqlMailboxes(connection_of(uow))
        before = _found(store, mailbox_id)
        if not before.active:
            return before
        after = replace(before, active=False, updated_at=ctx.clock.now())
        store.save(after)
        _audit(uow, who, ctx.clock.now(), before, after, "deactivated")
        uow.commit()
    return after


def _found(store: SqlMailboxes, mailbox_id: int) -> Mailbox:
    found = store.get(mailbox_id)
    if found is None:
        raise NotFound(f"no mailbox with id {mailbox_id}")
    return found


def _check(uow: UnitOfWork, store: SqlMailboxes, m: Mailbox) -> None:
    rules.check(m)
    if uow.queues.get(m.queue) is None:
        raise rules.InvalidMailbox(f"no queue named {m.queue[:100]!r}")
    other = store.by_address(m.address)
    if other is not None and other.id != m.id:
        raise MailboxTaken(f"mailbox {other.id} already has the address {m.address!r}")


def _audit(uow: UnitOfWork, who: Principal, at: datetime, before: Mailbox | None,
           after: Mailbox, action: str) -> None:
    was = before.shown() if before is not None else None
    now = after.shown()
    if before is not None and was is not None:
        for secret in sorted(rules.SECRETS):  # replaced by another: only that it was
            old, new = getattr(before, secret), getattr(after, secret)
            if old is not None and new is not None and old != new:
                was[f"{secret}_replaced"], now[f"{secret}_replaced"] = False, True
    append_entry(uow, audit.change(at=at, actor=who.by, kind=audit.AuditKind.CHANNEL,
                                   subject=f"mailbox:{after.id}", action=action, before=was,
                                   after=now))
