"""Tickets: intake, the lifecycle moves, reading, and the assignment history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from giliran.domain import errors as e
from giliran.domain.listing import TicketSort
from giliran.domain.model import Priority, Ticket, TicketStatus
from giliran.entrypoints.api.deps import (
    AdminOrAgent,
    AgentOnly,
    ApiRoute,
    Bound,
    Ctx,
    Limit,
    Offset,
    RowId,
    Run,
    Supervisor,
)
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.runner import Runner
from giliran.entrypoints.api.schemas import (
    MAX_INT,
    ChannelName,
    ColleagueOut,
    ColleaguePage,
    HistoryOut,
    ListedTicketOut,
    ListedTicketPage,
    PriorityLabel,
    QueueName,
    Reassign,
    TicketCreate,
    TicketOut,
    TicketPatch,
    TransferIn,
)
from giliran.service.context import Context
from giliran.service.ports import TicketFilter
from giliran.service.tickets import manual, tickets, transfer

# What an agent's move on a ticket may meet.
HOLDER_MOVE = refusals(e.NotFound, e.NotYourTicket, e.InvalidTransition, e.AssignmentRevoked)
router = APIRouter(route_class=ApiRoute, prefix="/tickets", tags=["tickets"])


@router.post("", openapi_extra=refusals(e.InvalidInput, e.QueueInactive), status_code=201,
             response_model=TicketOut, responses={
    200: {"model": TicketOut, "description": "A ticket with this external_id already exists"},
})
async def create_ticket(body: TicketCreate, call: Bound) -> Response:
    """Intake. Idempotent on `external_id`: posting it again returns the existing ticket (200)."""
    view = await call.run.write(tickets.create_ticket, call.ctx, call.who, tickets.NewTicket(
        title=body.title, queue=body.queue, priority=body.priority_value,
        category=body.category, description=body.description, external_id=body.external_id,
    ))
    # Serialized here, once, as FastAPI would from response_model (the busiest route).
    out = TicketOut.of(view.ticket, view.queue_position, view.accept_deadline)
    return Response(out.model_dump_json(), 201 if view.created else 200,
                    media_type="application/json")


Search = Annotated[str | None, Query(max_length=100, description="A ticket number (or id), "
                                    "or part of a title, customer name, external id or "
                                    "contact; a phone number however it is typed "
                                    "(+62 812-3456-7890, 0812 3456 7890)")]


@router.get("", response_model=ListedTicketPage)
def list_tickets(
    ctx: Ctx,
    who: Supervisor,
    status: TicketStatus | None = None,
    agent_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    queue: QueueName | None = None,
    flagged: Annotated[bool | None, Query(description="Only tickets flagged (or not) for a "
                                          "supervisor")] = None,
    q: Search = None,
    priority: PriorityLabel | None = None,
    channel: Annotated[ChannelName | None, Query(description="whatsapp, telegram, or api for "
                                                 "tickets posted to the API")] = None,
    open: Annotated[bool, Query(description="Only open tickets: queued, assigned, in "
                                "progress and on hold")] = False,
    waiting_longer_than: Annotated[int | None, Query(
        ge=0, le=366 * 86400, description="Only queued tickets waiting at least this many "
        "seconds")] = None,
    sort: Annotated[TicketSort | None, Query(description="queue_order by default for queued "
                                             "tickets, number otherwise")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="desc flips the sort; ties "
                                                   "go by number")] = "asc",
    limit: Limit = 50,
    offset: Offset = 0,
) -> ListedTicketPage:
    """The supervisor's list: search, filters, a sort, a page and the total that match (one
    database read per page). By default in queue order (priority, then moves to the front,
    then arrival) for queued tickets, by number otherwise."""
    if sort is None:
        sort = TicketSort.QUEUE if status is TicketStatus.QUEUED else TicketSort.NUMBER
    query = TicketFilter(
        status=status, agent_id=agent_id, queue=queue, flagged=flagged, limit=limit,
        offset=offset, text=q, priority=Priority.from_label(priority) if priority else None,
        channel=channel, open_only=open, sort=sort, descending=order == "desc")
    found = tickets.list_tickets(ctx, who, query, waiting_longer_than)
    return ListedTicketPage(items=[ListedTicketOut.listed(row) for row in found.rows],
                      total=found.total, limit=limit, offset=offset)


@router.get("/{ticket_id}", openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.NotYourQueue),
            response_model=TicketOut)
def get_ticket(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent) -> TicketOut:
    view = tickets.get_ticket(ctx, who, ticket_id)
    return TicketOut.of(view.ticket, view.queue_position, view.accept_deadline)


async def shown(ctx: Context, run: Runner, ticket: Ticket) -> TicketOut:
    """A moved ticket as the API shows it, with its acceptance deadline when it has one."""
    if ticket.status is not TicketStatus.ASSIGNED:
        return TicketOut.of(ticket)
    found = await run.read(tickets.deadlines, ctx, [ticket])
    return TicketOut.of(ticket, accept_deadline=found.get(ticket.id))


@router.post("/{ticket_id}/accept",
             openapi_extra=HOLDER_MOVE,
             response_model=TicketOut)
async def accept_ticket(ticket_id: RowId, ctx: Ctx, who: AgentOnly, run: Run) -> TicketOut:
    """The holder takes the ticket on. In a queue whose slot frees on accept, its next ticket
    may come at once."""
    return TicketOut.of(await run.write(tickets.accept_ticket, ctx, who, ticket_id))


@router.post("/{ticket_id}/complete",
             openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.InvalidTransition,
                                    e.NotAccepted, e.AssignmentRevoked),
             response_model=TicketOut)
async def complete_ticket(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent, run: Run) -> TicketOut:
    """Only a ticket in progress: one its holder has not accepted yet answers 409
    `not_accepted` (the lifecycle is assigned, then in progress once accepted, then
    completed)."""
    return TicketOut.of(await run.write(tickets.complete_ticket, ctx, who, ticket_id))


@router.post("/{ticket_id}/cancel", openapi_extra=refusals(e.NotFound, e.InvalidTransition),
             response_model=TicketOut)
async def cancel_ticket(ticket_id: RowId, ctx: Ctx, who: Supervisor, run: Run) -> TicketOut:
    return TicketOut.of(await run.write(tickets.cancel_ticket, ctx, who, ticket_id))


@router.get("/{ticket_id}/history", openapi_extra=refusals(e.NotFound),
            response_model=list[HistoryOut])
def ticket_history(ticket_id: RowId, ctx: Ctx, who: Supervisor) -> list[HistoryOut]:
    number, entries = tickets.ticket_history(ctx, who, ticket_id)
    return [HistoryOut.of(e, number) for e in entries]


@router.post("/{ticket_id}/pickup",
             openapi_extra=refusals(e.NotFound, e.NotYourQueue, e.InvalidTransition,
                                    e.CapacityExceeded, e.PickupDisabled, e.PausedInQueue,
                                    e.NotYourTurn),
             response_model=TicketOut)
async def pickup_ticket(ticket_id: RowId, ctx: Ctx, who: AgentOnly, run: Run) -> TicketOut:
    """An agent takes a queued ticket of one of its queues by hand (the desk's old "Pick Up"
    button), within its capacity and the queue's `max_per_agent` (409 `capacity_exceeded`).
    409 `pickup_disabled` when the queue's pick-up is off, `paused_in_queue` when the agent is
    paused there, `not_your_turn` (naming who is next) when the queue's claims go by turn and
    it is another member's turn; of concurrent claims exactly one wins."""
    return await shown(ctx, run, await run.write(manual.pickup, ctx, who, ticket_id))


@router.post("/{ticket_id}/reassign",
             openapi_extra=refusals(e.NotFound, e.AgentInactive, e.InvalidTransition,
                                 e.NotAMember, e.CapacityExceeded),
             response_model=TicketOut)
async def reassign_ticket(
    ticket_id: RowId, body: Reassign, ctx: Ctx, who: Supervisor, run: Run
) -> TicketOut:
    """Move a queued or active ticket to a named agent. Without `force` the agent must serve the
    ticket's queue and have room, overall and within the queue's `max_per_agent` (409
    `not_a_member` / `capacity_exceeded`); with `force` these may be overruled and the history
    says `forced`."""
    return await shown(ctx, run, await run.write(manual.reassign, ctx, who, ticket_id,
                                                 body.agent_id, force=body.force))


@router.post("/{ticket_id}/unassign", openapi_extra=refusals(e.NotFound, e.InvalidTransition),
             response_model=TicketOut)
async def unassign_ticket(ticket_id: RowId, ctx: Ctx, who: Supervisor, run: Run) -> TicketOut:
    """Back to the queue at its original place; dispatched again at once, but not
    automatically to the agent it was taken from."""
    return await shown(ctx, run, await run.write(manual.unassign, ctx, who, ticket_id))


@router.get("/{ticket_id}/colleagues",
            openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.NotYourQueue),
            response_model=ColleaguePage)
def ticket_colleagues(ticket_id: RowId, ctx: Ctx, who: AdminOrAgent) -> ColleaguePage:
    """Whom the ticket may be transferred to: the other active agents serving its queue, in
    turn order, each `available` or not with `why_not` (full, at the queue's limit per agent).
    For whoever may transfer it: its holder (403 `not_your_ticket` for another agent) or a
    supervisor of its queue."""
    return ColleaguePage(items=[
        ColleagueOut(agent_id=c.agent.id, name=c.agent.name, presence=c.agent.presence,
                     active_tickets=c.agent.active_tickets, max_tickets=c.agent.max_tickets,
                     available=c.why_not is None, why_not=c.why_not)
        for c in transfer.colleagues(ctx, who, ticket_id)])


@router.post("/{ticket_id}/transfer",
             openapi_extra=refusals(e.NotFound, e.NotYourTicket, e.InvalidTransition,
                                 e.AgentInactive, e.NotAMember, e.AgentFull,
                                 e.QueueInactive),
             response_model=TicketOut)
async def transfer_ticket(
    ticket_id: RowId, body: TransferIn, ctx: Ctx, who: AdminOrAgent, run: Run
) -> TicketOut:
    """Hand an active ticket on, saying why: to a colleague (`agent_id`: active, serving the
    ticket's queue, with room overall and within the queue's `max_per_agent`, else 409
    `agent_inactive` / `not_a_member` / `agent_full`; they must accept it), to another queue
    (`queue`: queued there at its priority), or with neither back to its own queue. The
    holder, or a supervisor of its queue (403 `not_your_ticket` for another agent). The
    history says `transferred` with the reason and who; the new holder is told (its event,
    and its Telegram chat if linked)."""
    return await shown(ctx, run, await run.write(
        transfer.transfer, ctx, who, ticket_id,
        transfer.Transfer(reason=body.reason, agent_id=body.agent_id, queue=body.queue)))


@router.patch("/{ticket_id}", openapi_extra=refusals(e.NotFound, e.InvalidTransition),
              response_model=TicketOut)
async def update_ticket(
    ticket_id: RowId, body: TicketPatch, ctx: Ctx, who: Supervisor, run: Run
) -> TicketOut:
    """Change the priority. A queued ticket moves to its new place in line; an assigned one
    stays with its agent."""
    ticket = await run.write(manual.set_priority, ctx, who, ticket_id, body.priority_value)
    return await shown(ctx, run, ticket)


@router.post("/{ticket_id}/front", openapi_extra=refusals(e.NotFound, e.InvalidTransition),
             response_model=TicketOut)
async def move_to_front(ticket_id: RowId, ctx: Ctx, who: Supervisor, run: Run) -> TicketOut:
    """First in line (as urgent, ahead of every other queued ticket). It still waits for an
    eligible agent; no ticket already assigned is taken away."""
    return await shown(ctx, run, await run.write(manual.move_to_front, ctx, who, ticket_id))
