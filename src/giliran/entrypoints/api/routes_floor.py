"""The floor: workload for supervisors, queue policy, and health probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from giliran.adapters.sql.uow import ping
from giliran.entrypoints.api.deps import Ctx, Run, Who
from giliran.entrypoints.api.errors import error_body
from giliran.entrypoints.api.schemas import (
    QueueName,
    QueueOut,
    QueuePatch,
    WorkloadAgent,
    WorkloadOut,
    WorkloadQueue,
)
from giliran.service import floor

router = APIRouter(tags=["floor"])
probes = APIRouter(tags=["health"])


@router.get("/workload", response_model=WorkloadOut)
def workload(ctx: Ctx, who: Who) -> WorkloadOut:
    w = floor.workload(ctx, who)
    return WorkloadOut(
        agents=[
            WorkloadAgent(id=a.id, name=a.name, online=a.online, auto_assign=a.auto_assign,
                          active_tickets=a.active_tickets, max_tickets=a.max_tickets)
            for a in w.agents
        ],
        queue=WorkloadQueue(pending=w.pending, online_agents=w.online_agents,
                            total_agents=w.total_agents, free_slots=w.free_slots),
    )


@router.get("/queues/{name}", response_model=QueueOut)
def get_queue(name: QueueName, ctx: Ctx, who: Who) -> QueueOut:
    return QueueOut.of(floor.get_queue(ctx, who, name))


@router.patch("/queues/{name}", response_model=QueueOut)
async def update_queue(
    name: QueueName, body: QueuePatch, ctx: Ctx, who: Who, run: Run
) -> QueueOut:
    return QueueOut.of(await run.write(floor.update_queue, ctx, who, name, body.strategy))


@probes.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@probes.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers."""
    try:
        await run_in_threadpool(ping, request.app.state.container.db)
    except Exception:
        return JSONResponse(error_body("database_unavailable", "database not reachable"), 503)
    return JSONResponse({"status": "ready"})
