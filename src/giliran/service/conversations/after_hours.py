"""The out-of-hours reply: a customer writing on a chat channel to a queue that is closed is
told once per conversation (per ticket) when it opens, in the language their channel reports.
It is giliran's own message (author system), so it answers nothing: no timer or SLA counts it
as a response.
"""

from __future__ import annotations

from datetime import datetime

from giliran.domain import after_hours, hours
from giliran.domain.conversation import TELEGRAM, WHATSAPP, Customer
from giliran.domain.model import Ticket
from giliran.service.context import Context
from giliran.service.lookups import schedule_of
from giliran.service.notices.notify import tell_customer
from giliran.service.ports import UnitOfWork

CHAT_CHANNELS = frozenset({WHATSAPP, TELEGRAM})


def tell_if_closed(ctx: Context, uow: UnitOfWork, ticket: Ticket, customer: Customer,
                   lang: str, now: datetime) -> bool:
    """In the transaction that took the customer's message in; True when told now."""
    if customer.channel not in CHAT_CHANNELS or customer.channel not in ctx.sending:
        return False
    queue = uow.queues.get(ticket.queue)
    if queue is None or queue.schedule is None or not queue.out_of_hours_reply:
        return False
    schedule = schedule_of(uow, queue)
    if schedule is None:
        return False
    state = hours.state(schedule, now)
    if state.open:
        return False
    text = after_hours.reply_text(lang, schedule, state.until)
    return tell_customer(uow, now, ticket, customer, text, f"ticket:{ticket.id}:out_of_hours")
