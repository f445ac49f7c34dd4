"""A customer's mail as it came, for the agent or supervisor reading its ticket: what the
normaliser could not show (a broken message, the quoted history folded away, every header)
is all in the original."""

from __future__ import annotations

from giliran.adapters.sql.uow import connection_of
from giliran.channels.email.intake import EMAIL
from giliran.channels.email.kept import SqlOriginals
from giliran.domain.conversation import Direction
from giliran.domain.errors import NotFound
from giliran.domain.people import Can
from giliran.service.context import Context, Principal
from giliran.service.lookups import ticket_or_404
from giliran.service.tickets.tickets import check_holder


def original_of(ctx: Context, who: Principal, ticket_id: int, message_id: int) -> bytes:
    """Those who may open the ticket's files may (supervisors, and its holder)."""
    who.require(Can.SUPERVISE, Can.WORK)
    with ctx.uow(write=False) as uow:
        ticket = ticket_or_404(uow, ticket_id, who)
        check_holder(who, ticket)
        message = uow.messages.get(message_id)
        if message is None or message.ticket_id != ticket.id \
                or message.direction is not Direction.IN or message.channel != EMAIL:
            raise NotFound(f"message {message_id} of ticket {ticket.number} is no mail "
                           "a customer sent")
        key = message.external_id.split("#", 1)[0]  # an attachment's: its mail's
        raw = SqlOriginals(connection_of(uow)).raw(key)
    if raw is None:
        raise NotFound(f"the original of message {message_id} is not kept")
    return raw
