"""The shapes of POST /tickets/bulk: the tickets (ids, or the ticket list's filter), the action
with exactly its own arguments (one model per action, told apart by `action`), the answer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic import Strict as PydanticStrict
from pydantic_core import PydanticCustomError

from giliran.domain.errors import GiliranError
from giliran.domain.model import Priority, TicketStatus
from giliran.entrypoints.api.schemas import (
    ChannelName,
    Flag,
    PriorityLabel,
    QueueName,
    RowRef,
    Strict,
)
from giliran.service.ports import TicketFilter
from giliran.service.tickets.bulk import Bulk, BulkAction, Outcome

MOST_BY_IDS = 500


class BulkFilter(Strict):
    """The ticket list's filters (GET /tickets), with the same meaning."""

    status: TicketStatus | None = None
    agent_id: RowRef | None = None
    queue: QueueName | None = None
    flagged: Flag | None = None
    q: Annotated[str, Field(max_length=100)] | None = None
    priority: PriorityLabel | None = None
    channel: ChannelName | None = None
    open: Flag = False
    waiting_longer_than: Annotated[int, PydanticStrict(), Field(ge=0, le=366 * 86400)] | None \
        = None

    def query(self) -> TicketFilter:
        return TicketFilter(
            status=self.status, agent_id=self.agent_id, queue=self.queue, flagged=self.flagged,
            text=self.q, channel=self.channel, open_only=self.open,
            priority=Priority.from_label(self.priority) if self.priority else None)


class _Tickets(Strict):
    ids: Annotated[list[RowRef], Field(min_length=1, max_length=MOST_BY_IDS)] | None = Field(
        default=None, description=f"The tickets, 1 to {MOST_BY_IDS} distinct ids")
    filter: BulkFilter | None = Field(default=None, description="Every ticket the list "
                                      "shows with these filters (at most 1000)")
    dry_run: Flag = Field(default=False, description="Only say which tickets would be "
                          "acted on: nothing changes")

    @model_validator(mode="after")
    def _one_way(self) -> _Tickets:
        if (self.ids is None) == (self.filter is None):
            raise PydanticCustomError("ids_or_filter", "give ids or filter, exactly one")
        if self.ids is not None and len(set(self.ids)) != len(self.ids):
            raise PydanticCustomError("duplicate_ids", "each id once")
        return self

    def bulk(self) -> Bulk:
        raise NotImplementedError  # each action's own model says


class BulkReassign(_Tickets):
    action: Literal["reassign"]
    agent_id: RowRef
    force: Flag = Field(default=False, description="Past the agent's capacity or queues")

    def bulk(self) -> Bulk:
        return Bulk(BulkAction.REASSIGN, agent_id=self.agent_id, force=self.force)


class BulkRequeue(_Tickets):
    action: Literal["requeue"]

    def bulk(self) -> Bulk:
        return Bulk(BulkAction.REQUEUE)


class BulkPriority(_Tickets):
    action: Literal["priority"]
    priority: PriorityLabel

    def bulk(self) -> Bulk:
        return Bulk(BulkAction.PRIORITY, priority=Priority.from_label(self.priority))


class BulkMove(_Tickets):
    action: Literal["move"]
    queue: QueueName

    def bulk(self) -> Bulk:
        return Bulk(BulkAction.MOVE, queue=self.queue)


class BulkCancel(_Tickets):
    action: Literal["cancel"]

    def bulk(self) -> Bulk:
        return Bulk(BulkAction.CANCEL)


class BulkClearFlag(_Tickets):
    action: Literal["clear_flag"]

    def bulk(self) -> Bulk:
        return Bulk(BulkAction.CLEAR_FLAG)


BulkIn = Annotated[BulkReassign | BulkRequeue | BulkPriority | BulkMove | BulkCancel
                   | BulkClearFlag, Field(discriminator="action")]


class BulkError(BaseModel):
    code: str
    message: str


class BulkResult(BaseModel):
    id: int
    number: str | None = Field(description="null for an id no ticket has")
    ok: bool
    error: BulkError | None = Field(default=None, description="Why not, when not ok")

    @classmethod
    def of(cls, o: Outcome) -> BulkResult:
        return cls(id=o.ticket_id, number=o.number, ok=o.error is None, error=_error(o.error))


def _error(refused: GiliranError | None) -> BulkError | None:
    return BulkError(code=refused.code, message=refused.message) if refused else None


class BulkOut(BaseModel):
    action: BulkAction
    results: list[BulkResult] = Field(description="In the order acted on")
    succeeded: int
    failed: int

    @classmethod
    def of(cls, action: BulkAction, outcomes: list[Outcome]) -> BulkOut:
        results = [BulkResult.of(o) for o in outcomes]
        ok = sum(r.ok for r in results)
        return cls(action=action, results=results, succeeded=ok, failed=len(results) - ok)


class BulkPreview(BaseModel):
    """A dry run: the tickets the action would be tried on, in that order."""

    count: int
    ids: list[int]
