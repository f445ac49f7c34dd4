"""Customers as one person across channels: supervisors link a customer's addresses (an email
address and a WhatsApp number of one human) and unlink them; whoever may read one of the
person's tickets sees all of them, across addresses.

A link never changes where a ticket's replies go (each ticket answers on its own contact); it
changes what people read, so no event is recorded: a pane reads the person when it opens. Every
link and unlink leaves an audit line naming who did it, with the addresses before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from giliran.domain import person
from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.conversation import Customer
from giliran.domain.errors import NotFound, NotYourTicket, UnknownAddress
from giliran.domain.model import Ticket
from giliran.domain.people import Can, Role
from giliran.service.context import Context, Principal
from giliran.service.ports import UnitOfWork


@dataclass(frozen=True)
class Person:
    customers: list[Customer]  # the person's first customer first, then by key
    tickets: list[Ticket]  # one page of their tickets across addresses, newest first
    total: int  # their tickets in all


def person_of(ctx: Context, who: Principal, key: str, limit: int, offset: int) -> Person:
    """Supervisors and admins read anyone; an agent reads a person it holds a ticket of."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        return _read(uow, who, _person_or_404(uow, key), limit, offset)


def link(ctx: Context, who: Principal, key: str, address: str, limit: int = 20) -> Person:
    """`address`'s customer (and anyone linked with it) joins `key`'s person. Linking two
    addresses that are one person already changes nothing."""
    who.require(Can.SUPERVISE)
    wanted = person.address_key(address)
    with ctx.uow(write=True) as uow:
        mine = _person_or_404(uow, key)
        joining = uow.customers.resolve(wanted)
        if joining is None:
            raise UnknownAddress(f"no customer has written from {wanted}: an address can be "
                                 "linked once they have")
        changes = person.link(_keys(mine), _keys(uow.customers.person(joining.key)))
        if changes:
            _regroup(ctx, uow, who, mine, mine[0].key, changes, "linked")
        found = _read(uow, who, uow.customers.person(mine[0].key), limit, 0)
        uow.commit()
    return found


def unlink(ctx: Context, who: Principal, key: str, other: str) -> None:
    """`other` stands alone again; its tickets stay its own and leave the person's list."""
    who.require(Can.SUPERVISE)
    with ctx.uow(write=True) as uow:
        mine = _person_or_404(uow, key)
        leaving = uow.customers.resolve(person.address_key(other))
        leaving_key = leaving.key if leaving is not None else other
        changes = person.unlink(_keys(mine), leaving_key)
        stays = next(k for k in _keys(mine) if k != leaving_key)
        _regroup(ctx, uow, who, mine, stays, changes, "unlinked")
        uow.commit()


def _person_or_404(uow: UnitOfWork, key: str) -> list[Customer]:
    found = uow.customers.resolve(person.address_key(key))
    if found is None:
        raise NotFound(f"no customer with the address {key}")
    return uow.customers.person(found.key)


def _read(uow: UnitOfWork, who: Principal, customers: list[Customer], limit: int,
          offset: int) -> Person:
    keys = _keys(customers)
    if who.role is Role.AGENT and not any(
            t.contact in keys for t in uow.tickets.held_by(who.agent_id or 0)):
        raise NotYourTicket("you hold none of this customer's tickets")
    tickets, total = uow.tickets.for_contacts(keys, limit, offset)
    return Person(customers, tickets, total)


def _regroup(ctx: Context, uow: UnitOfWork, who: Principal, before: list[Customer],
             stays: str, changes: Mapping[str, str | None], action: str) -> None:
    """The audit line names the person by its first key before, with the addresses before
    and after (`stays`: a key still in the person afterwards)."""
    uow.customers.regroup(changes)
    after = _keys(uow.customers.person(stays))
    uow.audit.append(AuditEntry(ctx.clock.now(), who.by, AuditKind.CUSTOMER, before[0].key,
                                action, {"addresses": _keys(before)},
                                {"addresses": after, "changed": sorted(changes)}))


def _keys(customers: list[Customer]) -> list[str]:
    return [c.key for c in customers]
