"""The WebSocket frames that are not events (events: domain/event_types.py), as types: what
the hub sends to say hello, to give a fresh picture, to carry a page's views, and to refuse.
`python -m giliran.entrypoints.event_schema` publishes their JSON Schema beside the events'
(docs/events/frames.schema.json), and the views are built through these models, so the schema
says what is sent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from giliran.entrypoints.api.schemas import (
    AgentOut,
    ListedTicketPage,
    MyQueue,
    TicketOut,
    TicketPage,
)
from giliran.entrypoints.api.schemas_floor import QueueOut, WorkloadOut


class Hello(BaseModel):
    """First frame after a good `auth`: where the live feed starts, and whether the events
    missed since `since` follow (resumed) or a snapshot does."""

    type: Literal["hello"] = "hello"
    last_event_id: int
    resumed: bool


class SnapshotQueue(BaseModel):
    name: str
    pending: int
    flagged: int
    next_agent_id: int | None
    members: int
    online_members: int
    free_slots: int


class AgentSnapshot(BaseModel):
    """To an agent that could not resume: itself and the tickets it holds."""

    type: Literal["snapshot"] = "snapshot"
    last_event_id: int
    agent: AgentOut
    tickets: list[TicketOut]


class FloorSnapshot(BaseModel):
    """To a supervisor that could not resume: the agents, each queue's figures, the flagged."""

    type: Literal["snapshot"] = "snapshot"
    last_event_id: int
    agents: list[AgentOut]
    queues: list[SnapshotQueue]
    flagged: list[TicketOut]


class Desk(BaseModel):
    """To an agent, after events that may change them: what GET /agent/me, /agent/my-queue and
    /agent/available (its first page) answer now."""

    type: Literal["desk"] = "desk"
    me: AgentOut
    queue: MyQueue
    available: TicketPage


class Floor(BaseModel):
    """To a supervisor, after events that may change them: what GET /workload, /agents and
    /queues answer now."""

    type: Literal["floor"] = "floor"
    workload: WorkloadOut
    agents: list[AgentOut]
    queues: list[QueueOut]


class Tickets(BaseModel):
    """To a supervisor that sent {"type": "watch", "tickets": query}: what GET /tickets?query
    answers now."""

    type: Literal["tickets"] = "tickets"
    query: str
    page: ListedTicketPage


class Pong(BaseModel):
    type: Literal["pong"] = "pong"


class Refusal(BaseModel):
    """A message the server did not understand, or why it closes the socket (then the close
    code: 4400, 4401, 4408, 4429)."""

    type: Literal["error"] = "error"
    code: str = Field(description="unknown_message, bad_request, unauthorized, forbidden, "
                      "csrf_failed, too_many_requests, too_slow")
    message: str


FRAMES = (Hello, AgentSnapshot, FloorSnapshot, Desk, Floor, Tickets, Pong, Refusal)
