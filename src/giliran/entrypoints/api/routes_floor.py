"""The floor: workload for supervisors, queue policy, and health probes."""

from __future__ import annotations

import asyncio
import hmac
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from giliran.bootstrap import exposition
from giliran.domain import errors as e
from giliran.domain.errors import Unauthorized
from giliran.domain.model import Agent
from giliran.entrypoints.api.deps import ApiRoute, Configurer, Ctx, Run, Supervisor
from giliran.entrypoints.api.errors import ERRORS_KEY, error_body, refusals
from giliran.entrypoints.api.root import Parts
from giliran.entrypoints.api.schemas import QueueName
from giliran.entrypoints.api.schemas_desk import BandOut, PausedOut, RolloutOut
from giliran.entrypoints.api.schemas_floor import (
    FlaggedTicket,
    QueueCreate,
    QueueOut,
    QueuePatch,
    QueuePolicy,
    RotationIn,
    RotationOut,
    RuntimeSettingsOut,
    RuntimeSettingsPatch,
    ServiceLevelOut,
    WorkloadAgent,
    WorkloadOut,
    WorkloadPerQueue,
    WorkloadQueue,
)
from giliran.service import runtime
from giliran.service.context import Context
from giliran.service.queues import admin as queue_admin
from giliran.service.queues import rotation
from giliran.service.reports import floor, rollout_report
from giliran.service.reports.floor import FloorGauges
from giliran.service.reports.floor_day import AgentToday

router = APIRouter(route_class=ApiRoute, tags=["floor"])
probes = APIRouter(route_class=ApiRoute, tags=["health"])


@router.get("/workload", response_model=WorkloadOut)
def workload(ctx: Ctx, who: Supervisor) -> WorkloadOut:
    w = floor.workload(ctx, who)
    return WorkloadOut(
        agents=[_agent_row(a, w.agents_today.get(a.id), w.agents_now[a.id]) for a in w.agents],
        queue=WorkloadQueue(pending=w.pending, online_agents=w.online_agents,
                            total_agents=w.total_agents, free_slots=w.free_slots,
                            unreachable=w.unreachable),
        queues=[
            WorkloadPerQueue(name=q.queue.name, strategy=q.queue.strategy, active=q.queue.active,
                             pending=q.pending, flagged=q.flagged, next_agent_id=q.next_agent_id,
                             max_per_agent=q.queue.max_per_agent, claim=q.queue.claim,
                             pickup=q.queue.pickup, members=q.members,
                             online_members=q.online_members, free_slots=q.free_slots,
                             unreachable=q.unreachable,
                             oldest_waiting_since=q.oldest_waiting_since,
                             open=q.hours.open,
                             open_until=q.hours.until if q.hours.open else None,
                             closed_until=None if q.hours.open else q.hours.until,
                             service_level=ServiceLevelOut.of(q.service_level)
                             if q.service_level else None)
            for q in w.queues
        ],
        flagged=[
            FlaggedTicket(id=t.id, number=t.number, queue=t.queue, status=t.status,
                          flag=t.flag, flag_reason=t.flag_reason, flagged_at=t.flagged_at,
                          escalations=t.escalations)
            for t in w.flagged if t.flag is not None
        ],
        utilization_band=BandOut(low=w.band[0], high=w.band[1]),
        failed_replies=w.failed_replies,
    )


def _agent_row(a: Agent, today: AgentToday | None, now: floor.AgentNow) -> WorkloadAgent:
    pauses = sorted((s.paused_at, s.pause_reason) for s in a.queue_state.values()
                    if s.paused_at is not None)
    return WorkloadAgent(
        id=a.id, name=a.name, online=a.online, presence=a.presence, auto_assign=a.auto_assign,
        active_tickets=a.active_tickets, max_tickets=a.max_tickets, utilization=now.load,
        full=now.full, room=now.room, last_assigned_at=a.last_assigned_at,
        last_reply_at=a.last_reply_at,
        queues=sorted(a.queues), missed_in_row=a.missed_in_row, paused=PausedOut.all_of(a),
        assigned_today=today.assigned if today else 0,
        completed_today=today.completed if today else 0,
        missed_today=today.missed if today else 0,
        presence_since=today.presence_since if today else None, last_seen_at=a.last_seen_at,
        away_reason=pauses[0][1] if pauses else None,
        first_response_median_today=today.response_median if today else None,
        handle_time_median_today=today.handle_median if today else None,
        utilization_online_today=today.utilization if today else None,
    )


@router.post("/queues", openapi_extra=refusals(e.Conflict, e.InvalidInput, e.UnknownSchedule),
             status_code=201,
             response_model=QueueOut)
async def create_queue(body: QueueCreate, ctx: Ctx, who: Configurer, run: Run) -> QueueOut:
    """A new mailbox or channel with its own policy (a `preset`, then the fields given). Add
    agents with PATCH /agents/{id} {"queues": [...]}."""
    changes = _changes(body, exclude={"name", "preset"})
    return QueueOut.of(await run.write(queue_admin.create_queue, ctx, who, body.name, changes,
                                       body.preset))


def _changes(body: QueuePolicy, exclude: set[str]) -> queue_admin.QueueChanges:
    fields = body.model_dump(exclude=exclude)
    if "schedule" in body.model_fields_set and not body.schedule:
        fields["schedule"] = ""  # null or "": no schedule, always open
    if body.calendar_clocks is not None:
        fields["calendar_clocks"] = frozenset(c.value for c in body.calendar_clocks)
    return queue_admin.QueueChanges(**fields)


@router.get("/queues", response_model=list[QueueOut])
def list_queues(ctx: Ctx, who: Supervisor) -> list[QueueOut]:
    return [QueueOut.of(q) for q in queue_admin.list_queues(ctx, who)]


@router.get("/queues/{name}", openapi_extra=refusals(e.NotFound), response_model=QueueOut)
def get_queue(name: QueueName, ctx: Ctx, who: Supervisor) -> QueueOut:
    return QueueOut.of(queue_admin.get_queue(ctx, who, name))


@router.patch("/queues/{name}",
              openapi_extra=refusals(e.NotFound, e.DefaultQueueRequired, e.AgentInactive,
                                     e.NotAMember, e.InvalidInput, e.UnknownSchedule),
              response_model=QueueOut)
async def update_queue(
    name: QueueName, body: QueuePatch, ctx: Ctx, who: Supervisor, run: Run
) -> QueueOut:
    """Change the queue's policy: a `preset` first, then the fields given. New timers apply at
    once to tickets already assigned (their deadlines derive from when they were assigned).
    `default` cannot be switched off. Every change is in the audit log."""
    changes = _changes(body, exclude={"next_agent_id", "preset"})
    queue = await run.write(queue_admin.update_queue, ctx, who, name, changes, body.next_agent_id,
                            body.preset)
    return QueueOut.of(queue)


@router.put("/queues/{name}/rotation",
            openapi_extra=refusals(e.NotFound, e.NotYourQueue, e.InvalidInput),
            response_model=RotationOut)
async def set_rotation(
    name: QueueName, body: RotationIn, ctx: Ctx, who: Supervisor, run: Run
) -> RotationOut:
    """Put the queue's members in a new turn order in one change: `agent_ids` names each
    active member once. The agents who serve other queues too keep their places among the
    rest (the order is one list; each queue reads its members from it). Who is next in turn
    stays who it was. Each agent whose place changes is in the audit log, and the queue's
    entry (`rotation`) gives the order before and after."""
    members = await run.write(rotation.set_rotation, ctx, who, name, body.agent_ids)
    return RotationOut(queue=name, agent_ids=[a.id for a in members])


@router.get("/queues/{name}/rollout", openapi_extra=refusals(e.NotFound),
            response_model=RolloutOut)
def queue_rollout(name: QueueName, ctx: Ctx, who: Supervisor) -> RolloutOut:
    """The migration's progress in the last day: new tickets dispatched automatically against
    those left for a pick-up, and how the latter ended (picked up, still waiting, other)."""
    return RolloutOut.of(rollout_report.rollout_report(ctx, who, name))


@router.get("/settings", response_model=RuntimeSettingsOut)
def get_settings(ctx: Ctx, who: Supervisor) -> RuntimeSettingsOut:
    return RuntimeSettingsOut(**runtime.get_settings(ctx, who).__dict__)


@router.patch("/settings", openapi_extra=refusals(e.InvalidInput),
              response_model=RuntimeSettingsOut)
async def update_settings(
    body: RuntimeSettingsPatch, ctx: Ctx, who: Configurer, run: Run
) -> RuntimeSettingsOut:
    """Settings shared by every process and replica, changed without a restart."""
    current = await run.write(runtime.update_settings, ctx, who,
                              presence_grace_seconds=body.presence_grace_seconds)
    return RuntimeSettingsOut(**current.__dict__)


class GaugeCache:
    """The floor's gauges for /metrics, read from the database at most every `seconds` per
    process, however often (and by however many scrapers) /metrics is called."""

    def __init__(self, ctx: Context, seconds: float) -> None:
        self._ctx = ctx
        self._seconds = seconds
        self._value: FloorGauges | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> FloorGauges:
        async with self._lock:
            now = time.monotonic()
            if self._value is None or now - self._read_at >= self._seconds:
                self._value = await run_in_threadpool(floor.gauges, self._ctx)
                self._read_at = now
            return self._value


@probes.get("/metrics", response_class=Response,
            openapi_extra=refusals(e.Unauthorized, e.TooManyRequests),
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(request: Request, root: Parts) -> Response:
    """Prometheus text format: queue depth, presence, utilization and flagged tickets (read
    from the database, at most every GILIRAN_METRICS_CACHE_SECONDS per process), and
    assignments by reason, escalations, assignment latency and queue wait histograms
    (counted by the server processes). With GILIRAN_METRICS_TOKEN set, only with
    `Authorization: Bearer <that token>`."""
    settings = root.settings
    if settings.metrics_token is not None:
        throttle = root.throttle
        throttle.check(request)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), settings.metrics_token.get_secret_value().encode()):
            if given:
                await throttle.failed(request)
            raise Unauthorized("send 'Authorization: Bearer <GILIRAN_METRICS_TOKEN>'")
    gauges = await root.gauges.get()
    body = await run_in_threadpool(exposition, lambda: gauges)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@probes.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@probes.get("/readyz", openapi_extra={ERRORS_KEY: {"503": ["database_unavailable"]}})
async def readyz(root: Parts) -> JSONResponse:
    """Readiness: the database answers."""
    try:
        await run_in_threadpool(root.container.ping)
    except Exception:
        return JSONResponse(error_body("database_unavailable", "database not reachable"), 503)
    return JSONResponse({"status": "ready"})
