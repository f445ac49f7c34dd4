"""Shapes of the desk's own figures and records: pauses, the audit log, the rollout report,
utilization, load and fairness; and the warnings a change of an agent may carry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool

from giliran.domain.actor import Actor, Via
from giliran.domain.audit import AuditEntry, AuditKind
from giliran.domain.figures import Band, Usage, in_band
from giliran.domain.model import Agent, Language
from giliran.domain.naming import Caution
from giliran.service.reports.rollout_report import RolloutReport
from giliran.service.reports.utilization import Share


class PausedOut(BaseModel):
    """A queue the agent is paused in: it receives nothing of it until the pause is lifted."""

    queue: str
    since: datetime
    reason: str = Field(description='e.g. "missed 2 tickets in a row"')
    missed_in_row: int

    @classmethod
    def all_of(cls, agent: Agent) -> list[PausedOut]:
        return [cls(queue=q, since=s.paused_at, reason=s.pause_reason or "",
                    missed_in_row=s.missed_in_row)
                for q, s in sorted(agent.queue_state.items()) if s.paused_at is not None]


class AgentSelfPatch(BaseModel):
    model_config = {"extra": "forbid"}

    auto_assign: bool | None = Field(default=None, description="Opt in or out of automatic "
                                     "assignment (409 auto_assign_locked when an admin "
                                     "decided it)")
    language: Language | None = Field(default=None, description="Of your chat notices")
    telegram_ticket_left: StrictBool | None = Field(
        default=None, description="Tell your Telegram chat when a ticket leaves your queue by "
        "someone else's hand (escalated, moved, cancelled or completed by a supervisor, sent "
        "back as you went offline); on by default")


class ByOut(BaseModel):
    """Who the actor was at the time."""

    user_id: int | None = Field(description="Their user; null for the admin token, the "
                                "command line, giliran itself, a channel's customer, and "
                                "lines written before users")
    name: str = Field(description="Their name then (the key, for lines written before names "
                              "were kept)")
    via: Via = Field(description="How they came")
    token: str | None = Field(description="The personal API token's name, when through one")

    @classmethod
    def of(cls, actor: Actor) -> ByOut:
        return cls(user_id=actor.user_id, name=actor.name or actor.key, via=actor.via,
                   token=actor.token)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="admin, agent:<id>, user:<id>, cli or system")
    by: ByOut
    kind: AuditKind
    subject: str = Field(description="The agent's id, the queue's name or the setting's name")
    action: str = Field(description="created, changed, deactivated, preset <name>, pointer, "
                                    "paused, resumed, rotation")
    before: dict[str, Any] | None = Field(description="The changed fields as they were; null "
                                          "for a creation")
    after: dict[str, Any] | None

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(id=e.id, at=e.at, actor=e.actor.key, by=ByOut.of(e.actor), kind=e.kind,
                   subject=e.subject, action=e.action, before=e.before, after=e.after)


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int


class RolloutOut(BaseModel):
    """Tickets that arrived in the queue in the last day, by the way the rollout sent them."""

    queue: str
    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    auto_assign_percent: int
    automatic: int = Field(description="Dispatched automatically")
    manual: int = Field(description="Left for a pick-up")
    manual_picked_up: int
    manual_waiting: int = Field(description="Still waiting in the queue")
    manual_other: int = Field(description="Cancelled, or moved by a supervisor")

    @classmethod
    def of(cls, r: RolloutReport) -> RolloutOut:
        return cls(**r.__dict__)


class UsageOut(BaseModel):
    online_seconds: float
    utilization: float | None = Field(description="Time online holding at least one ticket, "
                                      "over time online")
    load: float | None = Field(description="Tickets held over capacity, averaged over time "
                               "online")
    band: Band | None = Field(description="Utilization against the target band")

    @classmethod
    def of(cls, u: Usage, band: tuple[float, float]) -> UsageOut:
        return cls(online_seconds=round(u.online_seconds, 1), utilization=_round(u.utilization),
                   load=_round(u.load), band=in_band(u.utilization, band))


class ShareOut(BaseModel):
    agent_id: int
    online_seconds: float
    received: int = Field(description="Assignments in the period")
    expected: float = Field(description="Total x this agent's share of time online")
    ratio: float | None = Field(description="received / expected: 1.0 is exactly its share")

    @classmethod
    def of(cls, s: Share) -> ShareOut:
        return cls(agent_id=s.agent_id, online_seconds=round(s.online_seconds, 1),
                   received=s.received, expected=round(s.expected, 3), ratio=_round(s.ratio))


class BandOut(BaseModel):
    low: float
    high: float


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class WarningCode(StrEnum):
    DUPLICATE_NAME = "duplicate_name"  # another active agent has this name


class WarningOut(BaseModel):
    """Done as asked, but perhaps not what was meant."""

    code: WarningCode = Field(description="Stable. duplicate_name: another active agent has "
                              "this name (compared ignoring case and spacing)")
    message: str = Field(description='In English, e.g. "another active agent is already '
                         "named 'Sari' (id 3)\"")

    @classmethod
    def all_of(cls, cautions: Sequence[Caution]) -> list[WarningOut]:
        return [cls(code=WarningCode(c.code), message=c.message) for c in cautions]


Warnings = Annotated[list[WarningOut], Field(
    default_factory=list, description="What the supervisor may not have meant; the change is "
    "made all the same (empty when there is nothing to say)")]
