"""Outgoing webhooks: admins register receivers; the outbox delivers every event to them,
signed, with retries, and shows what could not be delivered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AnyHttpUrl, BaseModel, Field, field_validator

from giliran.domain import errors as e
from giliran.domain.delivery import Delivery, DeliveryStatus, Webhook
from giliran.domain.events import EVENT_TYPES
from giliran.entrypoints.api.deps import (
    ApiRoute,
    Configurer,
    Ctx,
    Limit,
    Offset,
    RowId,
    Run,
)
from giliran.entrypoints.api.errors import refusals
from giliran.entrypoints.api.schemas import MAX_INT, Strict
from giliran.service.events import outbox

router = APIRouter(route_class=ApiRoute, tags=["webhooks"])


class WebhookCreate(Strict):
    url: AnyHttpUrl = Field(description="http or https; receives a POST per event")
    secret: Annotated[str, Field(min_length=16, max_length=200,
                                 description="Signs each body: X-Giliran-Signature: "
                                             "sha256=HMAC(secret, body). Never shown again.")]
    events: list[str] = Field(default_factory=list, max_length=50,
                              description="Event types to send; empty: all of them")

    @field_validator("events")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        if not set(value) <= EVENT_TYPES:  # never repeat what was sent: it may be anything
            raise ValueError(f"unknown event type; known: {', '.join(sorted(EVENT_TYPES))}")
        return value


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool

    @classmethod
    def of(cls, w: Webhook) -> WebhookOut:
        return cls(id=w.id, url=w.url, events=sorted(w.event_types), active=w.active)


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    delivered_at: str | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(id=d.id, webhook_id=d.webhook_id, event_id=d.event_id, status=d.status,
                   attempts=d.attempts, last_error=d.last_error,
                   next_attempt_at=d.next_attempt_at.isoformat() if d.next_attempt_at else None,
                   delivered_at=d.delivered_at.isoformat() if d.delivered_at else None)


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int


@router.post("/webhooks", openapi_extra=refusals(e.DestinationNotAllowed), status_code=201,
             response_model=WebhookOut)
async def add_webhook(body: WebhookCreate, ctx: Ctx, who: Configurer, run: Run) -> WebhookOut:
    """Events from now on are POSTed to the URL as JSON, with headers X-Giliran-Signature,
    X-Giliran-Event, X-Giliran-Delivery and Idempotency-Key (the same on every attempt)."""
    hook = await run.write(outbox.add_webhook, ctx, who, str(body.url), body.secret,
                           frozenset(body.events))
    return WebhookOut.of(hook)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(ctx: Ctx, who: Configurer) -> list[WebhookOut]:
    return [WebhookOut.of(w) for w in outbox.list_webhooks(ctx, who)]


@router.delete("/webhooks/{webhook_id:int}", openapi_extra=refusals(e.NotFound), status_code=204)
async def remove_webhook(webhook_id: RowId, ctx: Ctx, who: Configurer, run: Run) -> Response:
    """No new deliveries; those already pending still go out."""
    await run.write(outbox.remove_webhook, ctx, who, webhook_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=DeliveryPage)
def list_deliveries(
    ctx: Ctx, who: Configurer,
    status: DeliveryStatus | None = None,
    webhook_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    """`status=dead`: what could not be delivered after the last attempt."""
    found, total = outbox.list_deliveries(ctx, who, status, webhook_id, limit, offset)
    return DeliveryPage(items=[DeliveryOut.of(d) for d in found], total=total, limit=limit,
                        offset=offset)


@router.post("/deliveries/{delivery_id}/retry",
             openapi_extra=refusals(e.NotFound, e.InvalidTransition), response_model=DeliveryOut)
async def retry_delivery(delivery_id: RowId, ctx: Ctx, who: Configurer, run: Run) -> DeliveryOut:
    """A dead delivery gets a fresh round of attempts."""
    return DeliveryOut.of(await run.write(outbox.retry_delivery, ctx, who, delivery_id))
