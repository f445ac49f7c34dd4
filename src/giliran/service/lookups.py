"""Loading what a use case names, or saying clearly that it does not exist; and a period's
history entries of one kind, however many."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from giliran.domain.delivery import Delivery, Webhook
from giliran.domain.errors import NotFound, Unauthorized
from giliran.domain.hours import Schedule
from giliran.domain.model import Agent, HistoryEntry, Queue, Ticket, WaitingOrder
from giliran.domain.notices import Notice
from giliran.service.context import Principal
from giliran.service.ports import HistoryFilter, UnitOfWork

HISTORY_PAGE = 5_000


def agent_or_404(uow: UnitOfWork, agent_id: int | None) -> Agent:
    agent = uow.agents.get(agent_id) if agent_id is not None else None
    if agent is None:
        raise NotFound(f"no agent with id {agent_id}")
    return agent


def schedule_of(uow: UnitOfWork, queue: Queue) -> Schedule | None:
    """The opening hours `queue` keeps; None: always open (no schedule, or it is gone)."""
    return uow.schedules.get(queue.schedule) if queue.schedule is not None else None


def waiting_order(uow: UnitOfWork, queue: str) -> WaitingOrder:
    """How the queue lines up its waiting tickets (an unknown queue: by priority)."""
    found = uow.queues.get(queue)
    return found.waiting_order if found is not None else WaitingOrder.PRIORITY


# A condition a ticket must still meet inside the use case's transaction, else it raises (a
# bulk action's filter, read before: service/tickets/bulk.py).
TicketCheck = Callable[[UnitOfWork, Ticket], None]


def ticket_or_404(uow: UnitOfWork, ticket_id: int, who: Principal | None = None,
                  check: TicketCheck | None = None) -> Ticket:
    """With `who`: a supervisor of some queues gets 403 for the others' tickets."""
    ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket with id {ticket_id}")
    if who is not None:
        who.require_queue(ticket.queue)
    if check is not None:
        check(uow, ticket)
    return ticket


def acting_agent(uow: UnitOfWork, agent_id: int | None) -> Agent:
    """The agent behind a request; a deactivated one acts no more (its token is revoked)."""
    agent = agent_or_404(uow, agent_id)
    if not agent.active:
        raise Unauthorized("invalid or revoked token")
    return agent


def queue_or_404(uow: UnitOfWork, name: str) -> Queue:
    queue = uow.queues.get(name)
    if queue is None:
        raise NotFound(f"no queue named {name!r}")
    return queue


def webhook_or_404(uow: UnitOfWork, webhook_id: int) -> Webhook:
    webhook = uow.webhooks.get(webhook_id)
    if webhook is None:
        raise NotFound(f"no webhook with id {webhook_id}")
    return webhook


def delivery_or_404(uow: UnitOfWork, delivery_id: int) -> Delivery:
    delivery = uow.deliveries.get(delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery with id {delivery_id}")
    return delivery


def notice_or_404(uow: UnitOfWork, notice_id: int) -> Notice:
    notice = uow.notices.get(notice_id)
    if notice is None:
        raise NotFound(f"no notice with id {notice_id}")
    return notice


def history_between(uow: UnitOfWork, event: str, since: datetime,
                    until: datetime) -> list[HistoryEntry]:
    """Every entry of `event` in [since, until), read in pages by id."""
    found: list[HistoryEntry] = []
    after = 0
    while True:
        page = uow.history.search(HistoryFilter(event=event, since=since, until=until,
                                                after_id=after, limit=HISTORY_PAGE))
        found += page
        if len(page) < HISTORY_PAGE:
            return found
        after = page[-1].id
