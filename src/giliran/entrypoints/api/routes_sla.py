"""SLA policies: an ordered list of promises (first response, next response, resolution), the
first active one whose conditions match a ticket applies (docs/sla.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints

from giliran.domain import errors as e
from giliran.domain.sla import Policy
from giliran.entrypoints.api.deps import ApiRoute, Configurer, Ctx, RowId, Run
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import PriorityLabel, Strict
from giliran.service.sla import policies

router = APIRouter(route_class=ApiRoute, tags=["sla policies"])
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Word = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Pausing = Literal["on_hold", "assigned", "queued"]
TARGETS = ("Seconds per target: {\"first_response_seconds\", \"next_response_seconds\", "
           "\"resolution_seconds\"} (any of them), or per priority {\"urgent\": {...}, "
           "\"high\": {...}, \"normal\": {...}, \"low\": {...}}")


class ConditionsIn(Strict):
    """Absent: any."""

    queues: list[Word] | None = Field(default=None, min_length=1, max_length=100)
    priorities: list[PriorityLabel] | None = Field(default=None, min_length=1, max_length=4)
    channels: list[Word] | None = Field(default=None, min_length=1, max_length=20,
                                        description="whatsapp, telegram, email, api")


class ActionIn(Strict):
    action: Literal["raise_priority", "reassign", "move"]
    queue: Word | None = Field(default=None, description="move: the queue it goes to")


class PolicyIn(Strict):
    name: Name
    active: bool = True
    conditions: ConditionsIn | None = None
    targets: dict[str, Any] = Field(description=TARGETS)
    business_hours: bool = Field(default=False, description="Count only the open hours of "
                                 "the ticket's queue's schedule")
    warn_percent: int = Field(default=80, ge=1, le=99)
    pause_statuses: list[Pausing] = Field(default=["on_hold"], max_length=3)
    breach_actions: list[ActionIn] = Field(default=[], max_length=3)


class PolicyPatch(Strict):
    name: Name | None = None
    active: bool | None = None
    conditions: ConditionsIn | None = None
    targets: dict[str, Any] | None = Field(default=None, description=TARGETS)
    business_hours: bool | None = None
    warn_percent: int | None = Field(default=None, ge=1, le=99)
    pause_statuses: list[Pausing] | None = Field(default=None, max_length=3)
    breach_actions: list[ActionIn] | None = Field(default=None, max_length=3)


class PolicyOut(BaseModel):
    id: int
    name: str
    position: int = Field(description="Policies are tried in this order (1 first)")
    active: bool
    conditions: dict[str, list[str]]
    targets: dict[str, Any]
    business_hours: bool
    warn_percent: int
    pause_statuses: list[str]
    breach_actions: list[dict[str, str]]
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, p: Policy) -> PolicyOut:
        return cls(**policies.wire(p), created_at=p.created_at, updated_at=p.updated_at)


class Policies(BaseModel):
    items: list[PolicyOut]


class Order(Strict):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(max_length=1000)


def _fields(body: Strict, unset: bool) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=unset)
    if fields.get("conditions") is not None:
        fields["conditions"] = {k: v for k, v in fields["conditions"].items() if v is not None}
    for key in ("name", "active", "targets", "business_hours", "warn_percent",
                "pause_statuses", "breach_actions"):
        if key in fields and fields[key] is None:
            raise e.InvalidInput(f"{key} may not be null")
    if fields.get("breach_actions"):
        fields["breach_actions"] = [{k: v for k, v in a.items() if v is not None}
                                    for a in fields["breach_actions"]]
    return fields


CHANGE = refusals(e.InvalidInput, e.SlaPolicyNameTaken)


@router.get("/sla-policies", response_model=Policies)
def list_policies(ctx: Ctx, who: Configurer) -> Policies:
    """Every policy, in the order they are tried."""
    return Policies(items=[PolicyOut.of(p) for p in policies.listed(ctx, who)])


@router.post("/sla-policies", status_code=201, response_model=PolicyOut, openapi_extra=CHANGE)
async def create_policy(body: PolicyIn, ctx: Ctx, who: Configurer, run: Run) -> PolicyOut:
    """A new policy, tried last."""
    return PolicyOut.of(await run.write(policies.create, ctx, who, _fields(body, False)))


@router.put("/sla-policies/order", response_model=Policies,
            openapi_extra=refusals(e.InvalidInput))
async def order_policies(body: Order, ctx: Ctx, who: Configurer, run: Run) -> Policies:
    """The order policies are tried in: every policy's id, once each."""
    found = await run.write(policies.reorder, ctx, who, body.ids)
    return Policies(items=[PolicyOut.of(p) for p in found])


@router.get("/sla-policies/{policy_id:int}", response_model=PolicyOut,
            openapi_extra=refusals(e.NotFound))
def get_policy(policy_id: RowId, ctx: Ctx, who: Configurer) -> PolicyOut:
    return PolicyOut.of(policies.get(ctx, who, policy_id))


@router.patch("/sla-policies/{policy_id:int}", response_model=PolicyOut,
              openapi_extra=refusals(e.NotFound, e.InvalidInput, e.SlaPolicyNameTaken))
async def change_policy(policy_id: RowId, body: PolicyPatch, ctx: Ctx, who: Configurer,
                        run: Run) -> PolicyOut:
    """Changes the fields sent; tickets already under it keep their due times."""
    return PolicyOut.of(await run.write(policies.change, ctx, who, policy_id,
                                        _fields(body, True)))


@router.delete("/sla-policies/{policy_id:int}", status_code=204,
               openapi_extra=refusals(e.NotFound))
async def delete_policy(policy_id: RowId, ctx: Ctx, who: Configurer, run: Run) -> Response:
    await run.write(policies.remove, ctx, who, policy_id)
    return Response(status_code=204)
