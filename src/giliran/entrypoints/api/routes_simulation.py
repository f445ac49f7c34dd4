"""What if: simulations on request (admins). A scenario, or the desk's own last days with one
setting changed, run through the real service layer in a separate process (so the API keeps
answering), one at a time per server process, and answered with the report."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from giliran.domain import errors as e
from giliran.domain.errors import InvalidInput, SimulationRunning, SimulationTooLong
from giliran.entrypoints.api.deps import ApiRoute, Ctx, Run, Supervisor
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.root import Parts
from giliran.entrypoints.api.schemas import QueueName, Strict
from giliran.service.reports.recorded import recorded
from giliran.simulation import history, report, runner, scenario
from giliran.simulation.driver import TooLong
from giliran.simulation.scenario import Hours, Policy, ScenarioError, Sla

router = APIRouter(route_class=ApiRoute, tags=["what if"])
# What one request may ask for: arrivals times policies times replications, roughly.
LARGEST_RUN = 400_000
LONGEST_TARGET = 30 * 86_400


class Change(Strict):
    """One thing changed against the desk as it is: a queue's policy field, every agent's
    capacity, a queue's opening hours, or the first-response target."""

    queue: QueueName | None = None
    setting: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    value: bool | int | str | None = None
    max_tickets: Annotated[int, Field(ge=0, le=1000)] | None = None
    hours: Hours | None = Field(default=None, description="The queue's opening hours instead, "
                                "as POST /schedules takes them (timezone, hours, exceptions)")
    first_response_seconds: Annotated[int, Field(gt=0, le=LONGEST_TARGET)] | None = Field(
        default=None, description="The first-response target instead (in business time as "
        "`sla` says, else business)")

    @model_validator(mode="after")
    def _one(self) -> Change:
        given = [self.setting, self.max_tickets, self.hours, self.first_response_seconds]
        if sum(v is not None for v in given) != 1:
            raise ValueError("change either a queue's setting (queue, setting, value), "
                             "max_tickets, a queue's hours (queue, hours) or "
                             "first_response_seconds")
        if self.setting is not None and (self.queue is None or self.value is None):
            raise ValueError("a queue's setting needs queue, setting and value")
        if self.hours is not None and self.queue is None:
            raise ValueError("a queue's hours need queue and hours")
        return self


class SimulationIn(Strict):
    days: Literal[7, 30] | None = Field(default=None, description="Replay the desk's last 7 "
                                        "or 30 days, as it is and with `change`")
    change: Change | None = None
    scenario: dict[str, Any] | None = Field(default=None, description="Or a whole scenario, "
                                            "as in a scenario file (docs/what-if.md); no "
                                            "replays of files or databases")
    replications: Annotated[int, Field(ge=1, le=10)] = 3
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 1
    hours: dict[QueueName, Hours] = Field(default_factory=dict, description="A replay: "
                                          "queues' opening hours as they are (default: the "
                                          "schedule each keeps; none: always open); with "
                                          "hours, agents work the open hours of the days "
                                          "they worked")
    sla: Sla | None = Field(default=None, description="A replay: the first-response target "
                            "to report met and breached against")

    @model_validator(mode="after")
    def _what(self) -> SimulationIn:
        if (self.scenario is None) == (self.days is None):
            raise ValueError("send either days (with change) or scenario")
        if self.days is not None and self.change is None:
            raise ValueError("a replay of the desk compares it with one change")
        return self


class SimulationOut(BaseModel):
    report: dict[str, Any] = Field(description="As `giliran simulate --json` prints it")
    simulated_tickets: int
    wall_seconds: float
    recorded: dict[str, float | None] | None = Field(
        default=None, description="A replay of the desk's days only: what the desk really did "
        "over them, in the report's figures and by the dashboard's definitions, beside the "
        "simulated policies (how far the model is from the record)")


@router.post("/simulations", openapi_extra=refusals(e.InvalidInput, e.SimulationTooLong,
                                                    e.SimulationRunning),
             response_model=SimulationOut)
async def simulate(root: Parts, body: SimulationIn, ctx: Ctx, who: Supervisor,
                   run: Run) -> SimulationOut:
    """Run a what-if: the desk's last 7 or 30 days replayed as it is and with one setting
    changed, side by side on the same traffic; or a whole scenario. Bounded in size and in
    time (`GILIRAN_SIMULATION_SECONDS`, 20 by default): 422 `invalid_input` for a run too
    large to start, 422 `simulation_too_long` for one stopped at the limit (run `giliran
    simulate` for more). 409 `simulation_running` while this server process runs another."""
    found, replayed, period = await run.read(_scenario, ctx, body)
    if _size(found, replayed) > LARGEST_RUN:
        raise InvalidInput(f"that is more than {LARGEST_RUN:,} simulated tickets; use "
                           "`giliran simulate` for runs this large")
    figures = None
    if period is not None:
        figures = await run.read(recorded, ctx, who, *period)
    pool = root.simulations
    return SimulationOut(**await pool.run(found, replayed), recorded=figures)


Period = tuple[datetime, datetime]


def _scenario(ctx: Any, body: SimulationIn
              ) -> tuple[scenario.Scenario, list[Any] | None, Period | None]:
    try:
        if body.scenario is not None:
            found = scenario.parse({**body.scenario, "replications": body.replications,
                                    "seed": body.seed})
            if found.arrivals.kind != "poisson":
                raise InvalidInput("the API runs Poisson arrivals only: replays of files or "
                                   "databases are for `giliran simulate`")
            return found, None, None
        assert body.days is not None and body.change is not None
        until = ctx.clock.now()
        since = until - timedelta(days=body.days)
        desk = history.from_history(ctx.uow, since, until, replications=body.replications,
                                    seed=body.seed)
        base = _with_hours(desk.scenario, body)
        changed = _changed(base, body.change)
        return base.model_copy(update={"policies": [Policy(name="as it is"), changed]}), \
            desk.arrivals, (since, until)
    except ScenarioError as exc:
        raise InvalidInput(str(exc).replace("\n", "; ")) from None


def _with_hours(base: scenario.Scenario, body: SimulationIn) -> scenario.Scenario:
    """The replayed desk with its queues' hours and the target; with hours in play anywhere,
    its people follow them."""
    names = {q.name for q in base.queues}
    for queue in body.hours:
        if queue not in names:
            raise ScenarioError(f"no queue named {queue!r}")
    queues = [q.model_copy(update={"hours": body.hours.get(q.name, q.hours)})
              for q in base.queues]
    follows = any(q.hours is not None for q in queues) or (
        body.change is not None and body.change.hours is not None)
    return base.model_copy(update={
        "sla": body.sla, "queues": queues,
        "agents": [a.model_copy(update={"follows_hours": follows}) for a in base.agents]})


def _changed(base: scenario.Scenario, change: Change) -> Policy:
    if change.max_tickets is not None:
        return Policy(name=f"max_tickets {change.max_tickets}", max_tickets=change.max_tickets)
    if change.first_response_seconds is not None:
        business = base.sla.business_hours if base.sla is not None else True
        return Policy(name=f"first response {change.first_response_seconds} s",
                      sla=Sla(first_response_seconds=change.first_response_seconds,
                              business_hours=business))
    if change.queue not in {q.name for q in base.queues}:
        raise ScenarioError(f"no queue named {change.queue!r}")
    assert change.queue is not None
    if change.hours is not None:
        return Policy(name=f"{change.queue}: hours {_text(change.hours)}",
                      hours={change.queue: change.hours})
    assert change.setting is not None
    settings = {change.setting: change.value}
    try:
        scenario.check_settings(settings, f"queue {change.queue!r}")
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    return Policy(name=f"{change.queue}: {change.setting} {change.value}",
                  queues={change.queue: settings})


def _text(hours: Hours) -> str:
    """The hours in a few words: the first open day's ("08:00-17:00"), or "closed"."""
    for intervals in hours.hours.values():
        if intervals:
            return ", ".join(f"{a}-{b}" for a, b in intervals)[:60]
    return "closed"


def _size(found: scenario.Scenario, replayed: list[Any] | None) -> float:
    from giliran.simulation.traffic import peak_rate

    arrivals = len(replayed) if replayed is not None else peak_rate(found) * found.days * 86_400
    return arrivals * len(found.policies) * found.replications


def _run(data: dict[str, Any], replayed: list[Any] | None, seconds: float) -> dict[str, Any]:
    """In the worker process."""
    found = scenario.Scenario.model_validate(data)
    outcome = runner.simulate(found, replayed=replayed, seconds=seconds)
    return {"report": report.as_dict(outcome), "simulated_tickets": outcome.simulated_tickets,
            "wall_seconds": round(outcome.wall_seconds, 3)}


class Simulations:
    """One worker process per server process, started when first needed."""

    def __init__(self, seconds: float = 20.0) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._busy = asyncio.Lock()
        self.seconds = seconds

    async def run(self, found: scenario.Scenario,
                  replayed: list[Any] | None) -> dict[str, Any]:
        if self._busy.locked():
            raise SimulationRunning("a simulation is running on this server; try again when "
                                    "it has finished")
        async with self._busy:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=runner.die_with_parent, initargs=(os.getpid(),))
            loop = asyncio.get_running_loop()
            try:
                result: dict[str, Any] = await loop.run_in_executor(
                    self._pool, _run, found.model_dump(mode="json"), replayed, self.seconds)
            except TooLong:
                raise SimulationTooLong(
                    f"this what-if would run longer than the {self.seconds:g} s a request may "
                    "take here; ask for fewer days or replications, or run `giliran "
                    "simulate`") from None
            return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
