"""Customers as one person across channels: a person's addresses and tickets, and the
supervisors' links between addresses (service/conversations/customers.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, StringConstraints

from giliran.domain import errors as e
from giliran.domain.conversation import Customer
from giliran.domain.model import Ticket, TicketStatus
from giliran.entrypoints.api.deps import AdminOrAgent, ApiRoute, Ctx, Limit, Offset, Run, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import Strict
from giliran.service.conversations import customers
from giliran.service.conversations.customers import Person

router = APIRouter(route_class=ApiRoute, prefix="/customers", tags=["conversations"])
Key = Annotated[str, Path(min_length=3, max_length=200,
                          description="channel:address, e.g. whatsapp:6281234567890 or "
                                      "email:ana@example.com (an address they moved to too)")]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


class AddressOut(BaseModel):
    key: str = Field(description="channel:address, as the paths take it")
    channel: str
    address: str = Field(description="As people write it: +E.164 for WhatsApp, @name for "
                                     "Telegram")
    name: str | None

    @classmethod
    def of(cls, c: Customer) -> AddressOut:
        return cls(key=c.key, channel=c.channel, address=c.shown_address, name=c.name)


class PersonTicket(BaseModel):
    id: int
    number: str
    title: str
    status: TicketStatus
    priority: str
    channel: str | None = Field(description="The channel of the address it came on")
    contact: str | None = Field(description="The address it came on (its replies go there)")
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, t: Ticket) -> PersonTicket:
        return cls(id=t.id, number=t.number, title=t.title, status=t.status,
                   priority=t.priority.label, channel=channel_of(t.contact), contact=t.contact,
                   created_at=t.created_at, closed_at=t.closed_at)


class PersonOut(BaseModel):
    key: str = Field(description="The person's first address, which links are made from")
    addresses: list[AddressOut] = Field(description="Every address linked as this person, "
                                        "the first first")
    tickets: list[PersonTicket] = Field(description="Their tickets across all addresses, "
                                        "newest first")
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, p: Person, limit: int, offset: int) -> PersonOut:
        return cls(key=p.customers[0].key, addresses=[AddressOut.of(c) for c in p.customers],
                   tickets=[PersonTicket.of(t) for t in p.tickets], total=p.total,
                   limit=limit, offset=offset)


class LinkIn(Strict):
    address: Address = Field(description="Another customer's address (channel:address); "
                             "they must have written to the desk from it")


def channel_of(contact: str | None) -> str | None:
    return contact.partition(":")[0] if contact else None


@router.get("/{key}", response_model=PersonOut,
            openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.InvalidInput))
def get_person(key: Key, ctx: Ctx, who: AdminOrAgent, limit: Limit = 20,
               offset: Offset = 0) -> PersonOut:
    """The person: every linked address, and their tickets across them, newest first
    (supervisors and admins; an agent holding one of the person's tickets)."""
    return PersonOut.of(customers.person_of(ctx, who, key, limit, offset), limit, offset)


@router.post("/{key}/links", response_model=PersonOut,
             openapi_extra=refusals(e.NotFound, e.UnknownAddress, e.InvalidInput))
async def link_address(key: Key, body: LinkIn, ctx: Ctx, who: Supervisor, run: Run) -> PersonOut:
    """Links another customer's address (and anyone linked with it) to this person, for
    reading only: each ticket's replies still go to the address it came on. The address must
    be one a customer has written from (404 unknown_address otherwise); linking addresses
    that are one person already changes nothing. Returns the person, first page."""
    found = await run.write(customers.link, ctx, who, key, body.address)
    return PersonOut.of(found, 20, 0)


@router.delete("/{key}/links/{other}", status_code=204,
               openapi_extra=refusals(e.NotFound, e.NotLinked, e.InvalidInput))
async def unlink_address(key: Key, other: Key, ctx: Ctx, who: Supervisor, run: Run) -> Response:
    """`other` stands alone again (409 not_linked when it is not part of this person)."""
    await run.write(customers.unlink, ctx, who, key, other)
    return Response(status_code=204)
