"""SQL storage of conversations: tickets' messages in both directions, the channels' reports on
what was sent, and the customers tickets are for."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Row,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from giliran.adapters.sql import tables as t
from giliran.domain import person
from giliran.domain.conversation import (
    REACHED,
    SYSTEM_AUTHOR,
    Customer,
    Direction,
    Kind,
    Message,
    Receipt,
    State,
)
from giliran.domain.inbox import Thread
from giliran.domain.model import TicketStatus

_M = t.ticket_messages.c
_SEEN = select(_M.id).where(_M.external_id == bindparam("external_id"))
_BY_EXTERNAL = select(t.ticket_messages).where(_M.external_id == bindparam("external_id"))
_BY_ID = select(t.ticket_messages).where(_M.id == bindparam("id"))
_BY_CHANNEL_ID = (select(t.ticket_messages)
                  .where(_M.channel == bindparam("channel"),
                         _M.channel_message_id == bindparam("cid"))
                  .order_by(_M.id).limit(1))
_OF_TICKET = select(t.ticket_messages).where(_M.ticket_id == bindparam("tid")).order_by(_M.id)
_COUNT = select(func.count()).select_from(t.ticket_messages).where(_M.ticket_id == bindparam("tid"))
_LAST_IN = (select(t.ticket_messages)
            .where(_M.ticket_id == bindparam("tid"), _M.direction == Direction.IN.value)
            .order_by(_M.id.desc()).limit(1))
_T = t.tickets.c
_OPEN = [s.value for s in TicketStatus if not s.is_final]
_LATER = t.ticket_messages.alias("later")


def _reply(m: Any) -> Any:
    """As domain.conversation.is_reply: the desk's, not giliran's own words."""
    return and_(m.direction == Direction.OUT.value,
                or_(m.author.is_(None), m.author != SYSTEM_AUTHOR))


# Failed replies with no later reply of the ticket that reached the customer, newest first.
_FAILED = (select(t.ticket_messages)
           .where(_reply(_M), _M.state == State.FAILED.value,
                  ~exists().where(_LATER.c.ticket_id == _M.ticket_id, _LATER.c.id > _M.id,
                                  _reply(_LATER.c),
                                  _LATER.c.state.in_([s.value for s in REACHED])))
           .order_by(_M.id.desc()))
_SAVED = ("body", "content", "state", "state_at", "error", "channel_message_id", "edited_at")
_SAVE = (update(t.ticket_messages).where(_M.id == bindparam("v_id"))
         .values({f: bindparam(f"v_{f}") for f in _SAVED}))
_R = t.message_receipts.c
_TIDS: BindParameter[int] = bindparam("tids", expanding=True)


def _last(*wanted: Any) -> Any:
    """The id of a ticket's last message that is `wanted`, for each row of `tickets`: a
    walk back along ix_ticket_messages_ticket from the ticket's newest message, so the cost
    is the messages since, not the whole conversation."""
    m = t.ticket_messages.alias()
    return (select(m.c.id).where(m.c.ticket_id == _T.id, *(w(m.c) for w in wanted))
            .order_by(m.c.id.desc()).limit(1).correlate(t.tickets).scalar_subquery())


_NEWEST = select(t.ticket_messages).where(_M.id.in_(
    select(_last()).where(_T.id.in_(_TIDS))))
# Who spoke last, per ticket: the customer's last message and the desk's last answer
# (Message.is_desk_reply: not a note, not giliran's own words), then since when the customer
# has waited (their first message after that answer).
_LASTS = select(
    _T.id.label("tid"), _last().label("newest"),
    _last(lambda c: c.direction == Direction.IN.value).label("last_in"),
    _last(lambda c: c.direction == Direction.OUT.value,
          lambda c: func.coalesce(c.author, "") != SYSTEM_AUTHOR).label("replied"),
).where(_T.id.in_(_TIDS)).subquery("lasts")
_W = t.ticket_messages.alias("waiting")
_THREADS = select(
    _LASTS.c.tid, _LASTS.c.last_in, _LASTS.c.replied,
    select(func.min(_W.c.at)).where(
        _W.c.ticket_id == _LASTS.c.tid, _W.c.direction == Direction.IN.value,
        _W.c.id > func.coalesce(_LASTS.c.replied, 0)).correlate(_LASTS).scalar_subquery()
    .label("since"),
).where(_LASTS.c.newest.is_not(None))
_RECEIPTS = (select(t.message_receipts)
             .where(_R.channel == bindparam("channel"), _R.channel_message_id == bindparam("cid"))
             .order_by(_R.at))


class SqlMessageRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, message: Message) -> Message:
        values = {
            "ticket_id": message.ticket_id, "channel": message.channel,
            "external_id": message.external_id, "sender": message.sender, "at": message.at,
            "language": message.language, "direction": message.direction.value,
            "kind": message.kind.value, "author": message.author,
            **self._mutable(message),
        }
        message.id = int(self._conn.execute(
            insert(t.ticket_messages).values(values).returning(_M.id)).scalar_one())
        return message

    def seen(self, external_id: str) -> bool:
        return self._conn.execute(_SEEN, {"external_id": external_id}).first() is not None

    def get(self, message_id: int) -> Message | None:
        return self._one(_BY_ID, {"id": message_id})

    def by_external_id(self, external_id: str) -> Message | None:
        return self._one(_BY_EXTERNAL, {"external_id": external_id})

    def by_channel_id(self, channel: str, channel_message_id: str) -> Message | None:
        return self._one(_BY_CHANNEL_ID, {"channel": channel, "cid": channel_message_id})

    def save(self, message: Message) -> None:
        params = {f"v_{k}": v for k, v in self._mutable(message).items()}
        self._conn.execute(_SAVE, {**params, "v_id": message.id})

    def for_ticket(self, ticket_id: int, limit: int | None = None,
                   offset: int = 0) -> list[Message]:
        stmt = _OF_TICKET if limit is None else _OF_TICKET.limit(limit).offset(offset)
        return [_message(r) for r in self._conn.execute(stmt, {"tid": ticket_id})]

    def count_for_ticket(self, ticket_id: int) -> int:
        return int(self._conn.execute(_COUNT, {"tid": ticket_id}).scalar_one())

    def last_incoming(self, ticket_id: int) -> Message | None:
        return self._one(_LAST_IN, {"tid": ticket_id})

    def add_receipt(self, receipt: Receipt) -> bool:
        """The same report twice (a redelivered webhook) meets the primary key and is
        dropped by the database itself, whoever else is writing."""
        upsert = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        done = self._conn.execute(upsert(t.message_receipts).values(
            channel=receipt.channel, channel_message_id=receipt.channel_message_id,
            state=receipt.state.value, at=receipt.at, error=receipt.error,
        ).on_conflict_do_nothing().returning(_R.state))
        return done.first() is not None

    def receipts(self, channel: str, channel_message_id: str) -> list[Receipt]:
        rows = self._conn.execute(_RECEIPTS, {"channel": channel, "cid": channel_message_id})
        return [Receipt(r.channel, r.channel_message_id, State(r.state), r.at, r.error)
                for r in rows]

    def newest(self, ticket_ids: Collection[int]) -> dict[int, Message]:
        if not ticket_ids:
            return {}
        rows = self._conn.execute(_NEWEST, {"tids": list(ticket_ids)})
        return {m.ticket_id: m for m in map(_message, rows)}

    def threads(self, ticket_ids: Collection[int]) -> dict[int, Thread]:
        if not ticket_ids:
            return {}
        rows = self._conn.execute(_THREADS, {"tids": list(ticket_ids)})
        return {r.tid: Thread(r.last_in, r.replied, r.since) for r in rows}
    def unresolved_failures(self, *, ticket_ids: Collection[int] | None = None,
                            queues: Collection[str] = (),
                            open_only: bool = False) -> list[Message]:
        """Read from the tickets' side (their messages come by the (ticket_id, id) index), so
        the count of open tickets' failures does not grow with the closed history."""
        stmt = _FAILED
        if ticket_ids is not None:
            stmt = stmt.where(_M.ticket_id.in_(list(ticket_ids)))
        if queues or open_only:
            which = select(_T.id)
            if queues:
                which = which.where(_T.queue.in_(list(queues)))
            if open_only:
                # A conversation's ticket has a contact (its customer): the open ones are read
                # on the partial index ix_tickets_open_contact.
                which = which.where(_T.status.in_(_OPEN), _T.contact.is_not(None))
            stmt = stmt.where(_M.ticket_id.in_(which))
        return [_message(r) for r in self._conn.execute(stmt)]

    def _one(self, stmt: Any, params: dict[str, Any]) -> Message | None:
        row = self._conn.execute(stmt, params).first()
        return _message(row) if row is not None else None

    @staticmethod
    def _mutable(m: Message) -> dict[str, Any]:
        return {"body": m.body, "content": m.content,
                "state": m.state.value if m.state is not None else None,
                "state_at": m.state_at, "error": m.error,
                "channel_message_id": m.channel_message_id, "edited_at": m.edited_at}


def _message(r: Row[Any]) -> Message:
    content = r.content if isinstance(r.content, dict) else json.loads(r.content or "{}")
    return Message(
        id=r.id, ticket_id=r.ticket_id, channel=r.channel, external_id=r.external_id,
        sender=r.sender, body=r.body, at=r.at, language=r.language,
        direction=Direction(r.direction), kind=Kind.of(r.kind), content=content,
        author=r.author, state=State(r.state) if r.state is not None else None,
        state_at=r.state_at, error=r.error, channel_message_id=r.channel_message_id,
        edited_at=r.edited_at,
    )


_C = t.customers.c
_CUSTOMER = select(t.customers).where(_C.key == bindparam("key"))
_BY_ALIAS = (select(t.customers)
             .join(t.customer_aliases, t.customer_aliases.c.customer_key == _C.key)
             .where(t.customer_aliases.c.alias == bindparam("key")))
_CUSTOMER_FIELDS = ("channel", "address", "name", "username", "via", "last_incoming_at",
                    "blocked_at")
_CUSTOMER_SAVE = (update(t.customers).where(_C.key == bindparam("v_key"))
                  .values({f: bindparam(f"v_{f}") for f in _CUSTOMER_FIELDS}))


class SqlCustomerRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> Customer | None:
        row = self._conn.execute(_CUSTOMER, {"key": key}).first()
        return _customer(row) if row is not None else None

    def resolve(self, address_key: str) -> Customer | None:
        found = self.get(address_key)
        if found is not None:
            return found
        row = self._conn.execute(_BY_ALIAS, {"key": address_key}).first()
        return _customer(row) if row is not None else None

    def add(self, customer: Customer) -> None:
        self._conn.execute(insert(t.customers).values(
            key=customer.key, person_key=customer.person_key,
            **{f: getattr(customer, f) for f in _CUSTOMER_FIELDS}))

    def save(self, customer: Customer) -> None:
        params = {f"v_{f}": getattr(customer, f) for f in _CUSTOMER_FIELDS}
        self._conn.execute(_CUSTOMER_SAVE, {**params, "v_key": customer.key})

    def add_alias(self, address_key: str, customer_key: str) -> None:
        if self._conn.execute(select(t.customer_aliases.c.alias).where(
                t.customer_aliases.c.alias == address_key)).first() is None:
            self._conn.execute(insert(t.customer_aliases).values(
                alias=address_key, customer_key=customer_key))


    def many(self, keys: Collection[str]) -> dict[str, Customer]:
        if not keys:
            return {}
        rows = self._conn.execute(_CUSTOMERS, {"keys": list(set(keys))})
        return {c.key: c for c in map(_customer, rows)}

    def person(self, key: str) -> list[Customer]:
        found = self.get(key)
        if found is None or found.person_key is None:
            return [found] if found is not None else []
        group = {c.key: c for c in map(_customer, self._conn.execute(
            _PERSON, {"person": found.person_key}))}
        return [group[k] for k in person.members(found.person_key, key, list(group))]

    def regroup(self, person_keys: Mapping[str, str | None]) -> None:
        for key, person_key in person_keys.items():
            self._conn.execute(_REGROUP, {"v_key": key, "v_person": person_key})


_CUSTOMERS = select(t.customers).where(_C.key.in_(bindparam("keys", expanding=True)))
_PERSON = select(t.customers).where(_C.person_key == bindparam("person"))
# Apart from `save`: a customer read before a link and saved after it keeps the link.
_REGROUP = (update(t.customers).where(_C.key == bindparam("v_key"))
            .values(person_key=bindparam("v_person")))


def _customer(r: Row[Any]) -> Customer:
    return Customer(key=r.key, channel=r.channel, address=r.address, name=r.name,
                    username=r.username, via=r.via, last_incoming_at=r.last_incoming_at,
                    blocked_at=r.blocked_at, person_key=r.person_key)
