"""Agents: admins manage them; an agent manages its own presence and reads its queue."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response

from giliran.domain import errors as e
from giliran.entrypoints.api.deps import (
    AgentOnly,
    ApiRoute,
    Configurer,
    Ctx,
    Limit,
    Offset,
    RowId,
    Run,
    Supervisor,
)
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import (
    AgentChanged,
    AgentCreate,
    AgentCreated,
    AgentOut,
    AgentPatch,
    MyQueue,
    QueuedTicket,
    QueueName,
    TicketOut,
    TicketPage,
)
from giliran.entrypoints.api.schemas_desk import AgentSelfPatch, WarningOut
from giliran.entrypoints.api.schemas_floor import HeartbeatOut
from giliran.service.agents import agents
from giliran.service.assignment import pauses, presence
from giliran.service.tickets import manual

router = APIRouter(route_class=ApiRoute, tags=["agents"])


@router.post("/agents", openapi_extra=refusals(e.InvalidInput), status_code=201,
             response_model=AgentCreated)
async def create_agent(body: AgentCreate, ctx: Ctx, who: Configurer, run: Run) -> AgentCreated:
    """Returns the agent's token once; store it, giliran keeps only its hash. A name another
    active agent has is taken, with the warning `duplicate_name`."""
    new = agents.NewAgent(**{**body.model_dump(), "queues": frozenset(body.queues)})
    made = await run.write(agents.create_agent, ctx, who, new)
    return AgentCreated(**AgentOut.of(made.agent).model_dump(), token=made.token,
                        warnings=WarningOut.all_of(made.cautions))


@router.get("/agents", response_model=list[AgentOut])
def list_agents(ctx: Ctx, who: Supervisor) -> list[AgentOut]:
    return [AgentOut.of(a) for a in agents.list_agents(ctx, who)]


@router.get("/agents/{agent_id}", openapi_extra=refusals(e.NotFound), response_model=AgentOut)
def get_agent(agent_id: RowId, ctx: Ctx, who: Supervisor) -> AgentOut:
    return AgentOut.of(agents.get_agent(ctx, who, agent_id))


@router.patch("/agents/{agent_id}", openapi_extra=refusals(e.NotFound, e.InvalidInput),
              response_model=AgentChanged)
async def update_agent(
    agent_id: RowId, body: AgentPatch, ctx: Ctx, who: Supervisor, run: Run
) -> AgentChanged:
    """Raising capacity or re-enabling auto-assignment dispatches waiting tickets at once.
    Deactivating an agent sends its tickets back to the queue at their original place. A new
    name another active agent has is taken, with the warning `duplicate_name`."""
    fields = body.model_dump(exclude_none=True)
    if body.queues is not None:
        fields["queues"] = frozenset(body.queues)
    changes = agents.AgentChanges(**fields)
    changed = await run.write(agents.update_agent, ctx, who, agent_id, changes)
    return AgentChanged(**AgentOut.of(changed.agent).model_dump(),
                        warnings=WarningOut.all_of(changed.cautions))


@router.delete("/agents/{agent_id}", openapi_extra=refusals(e.NotFound), status_code=204)
async def delete_agent(agent_id: RowId, ctx: Ctx, who: Configurer, run: Run) -> Response:
    """Deactivates the agent for good: its token stops working and its active tickets go back
    to the queue at their original place (history reason `agent_deactivated`). The agent stays
    in the records, so the history keeps naming who had what."""
    await run.write(agents.update_agent, ctx, who, agent_id, agents.AgentChanges(active=False))
    return Response(status_code=204)


@router.get("/agent/me", response_model=AgentOut)
def whoami(ctx: Ctx, who: AgentOnly) -> AgentOut:
    """The calling agent, with the queues it is paused in (since when, and why)."""
    return AgentOut.of(agents.whoami(ctx, who))


@router.patch("/agent/me", openapi_extra=refusals(e.AutoAssignLocked), response_model=AgentOut)
async def update_me(body: AgentSelfPatch, ctx: Ctx, who: AgentOnly, run: Run) -> AgentOut:
    """An agent's own switches: opting in or out of automatic assignment (409
    `auto_assign_locked` when an admin decided it), the language of its chat notices, and
    whether its Telegram chat hears of tickets that leave its queue by someone else's hand.
    Opting in brings waiting tickets at once."""
    return AgentOut.of(await run.write(agents.update_me, ctx, who, auto_assign=body.auto_assign,
                                       language=body.language,
                                       telegram_ticket_left=body.telegram_ticket_left))


@router.post("/agent/queues/{name}/resume", openapi_extra=refusals(e.NotYourQueue),
             response_model=AgentOut)
async def resume_mine(name: QueueName, ctx: Ctx, who: AgentOnly, run: Run) -> AgentOut:
    """Lift the calling agent's pause in a queue (set after too many misses there); its
    tickets may come at once."""
    return AgentOut.of(await run.write(pauses.resume_mine, ctx, who, name))


@router.post("/agents/{agent_id}/queues/{name}/resume",
             openapi_extra=refusals(e.NotFound, e.NotAMember), response_model=AgentOut)
async def resume_agent(agent_id: RowId, name: QueueName, ctx: Ctx, who: Supervisor,
                       run: Run) -> AgentOut:
    """A supervisor lifts an agent's pause in a queue."""
    return AgentOut.of(await run.write(pauses.resume_agent, ctx, who, agent_id, name))


@router.post("/agent/go-online", response_model=AgentOut)
async def go_online(ctx: Ctx, who: AgentOnly, run: Run) -> AgentOut:
    """Start receiving work (also the way back from `away`); waiting tickets come at once."""
    return AgentOut.of(await run.write(presence.go_online, ctx, who))


@router.post("/agent/go-offline", response_model=AgentOut)
async def go_offline(ctx: Ctx, who: AgentOnly, run: Run) -> AgentOut:
    """Stop receiving work, at once. Tickets held follow each queue's `offline_policy`."""
    return AgentOut.of(await run.write(presence.go_offline, ctx, who))


@router.post("/agent/heartbeat", response_model=HeartbeatOut)
async def heartbeat(ctx: Ctx, who: AgentOnly, run: Run) -> HeartbeatOut:
    """Keeps the calling agent from expiring to offline; send it more often than
    `grace_seconds`. It never changes presence: an agent that went offline or away comes back
    with go-online."""
    agent, grace = await run.write(presence.heartbeat, ctx, who)
    assert agent.last_seen_at is not None
    expires = agent.last_seen_at + timedelta(seconds=grace) if grace > 0 else None
    return HeartbeatOut(presence=agent.presence, last_seen_at=agent.last_seen_at,
                        grace_seconds=grace, expires_at=expires)


@router.get("/agent/my-queue", response_model=MyQueue)
def my_queue(ctx: Ctx, who: AgentOnly) -> MyQueue:
    view = agents.queue_view(ctx, who)
    items = [
        QueuedTicket(**TicketOut.of(t, accept_deadline=view.deadlines.get(t.id)).model_dump(),
                     position=i)
        for i, t in enumerate(view.tickets, start=1)
    ]
    return MyQueue(queue=items, count=len(items), max=view.most, server_time=view.now)


@router.get("/agent/available", response_model=TicketPage)
def available(
    ctx: Ctx,
    who: AgentOnly,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TicketPage:
    """The pick-up list: the queued tickets the calling agent may take now, in queue order:
    of its queues with pick-up on where it is not paused, while it has room overall and in the
    queue, and in queues whose claims go by turn, only those it is its turn for."""
    found, total = manual.available(ctx, who, limit, offset)
    return TicketPage(items=[TicketOut.of(t) for t in found], total=total, limit=limit,
                      offset=offset)
