"""The floor's ports: agents, queues, opening hours, the presence log, the day's figures,
run-time settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from giliran.domain.daybook import Day, DayAdd
from giliran.domain.hours import Holiday, Schedule
from giliran.domain.model import (
    Agent,
    Presence,
    PresenceChange,
    Queue,
)


class AgentRepository(Protocol):
    def add(self, agent: Agent, token_hash: str) -> Agent: ...
    def get(self, agent_id: int) -> Agent | None: ...
    def by_token_hash(self, token_hash: str) -> Agent | None: ...
    def all(self) -> list[Agent]: ...
    def active_names(self) -> list[tuple[int, str]]:
        """Each active agent's id and name, by id: what a new name is checked against,
        without loading every agent."""
        ...
    def save(self, agent: Agent) -> None: ...
    def eligible(self, queue: Queue, ordering: tuple[str, ...], limit: int | None) -> list[Agent]:
        """Eligible members of `queue`, sorted by the Agent fields in `ordering` (ascending):
        not paused there, and within its per-agent limit (their tickets of the queue that still
        count, by its `slot_freed_on`, below `max_per_agent`)."""
        ...
    def members(self, queue: str) -> list[Agent]:
        """Active agents who serve `queue` (paused or not), in turn order: rotation_order,
        then id."""
        ...
    def count_members(self, queue: str, excluding: frozenset[int],
                      opted_in: bool = True) -> int:
        """Active agents who serve `queue` (only those opted in to automatic assignment, unless
        `opted_in` is False), leaving out the ids in `excluding`. Callers ask whether anyone is
        left, so an adapter may stop counting at 1 (a count over every member grows with the
        floor)."""
        ...
    def silent_since(self, cutoff: datetime, limit: int) -> list[Agent]:
        """Agents not offline whose last sign of life is at or before `cutoff`."""
        ...


class QueueRepository(Protocol):
    def add(self, queue: Queue) -> Queue:
        """The caller has checked that the name is free (under the floor lock)."""
        ...
    def get(self, name: str) -> Queue | None: ...
    def all(self) -> list[Queue]:
        """Every queue, by name; read once per unit of work."""
        ...
    def save(self, queue: Queue) -> None: ...
    def move_pointer(self, name: str, agent_id: int | None) -> None:
        """The rotation moved on (an assignment): the pointer is no longer the one a
        supervisor set. Not a change of policy, so no event."""
        ...


class ScheduleRepository(Protocol):
    """Opening hours, by name (domain/hours.py). A schedule is a value: a change saves a new
    one in its place."""

    def get(self, name: str) -> Schedule | None: ...
    def all(self) -> list[Schedule]:
        """Every schedule, by name."""
        ...
    def add(self, schedule: Schedule) -> None:
        """The caller has checked that the name is free (under the floor lock)."""
        ...
    def save(self, schedule: Schedule) -> None: ...
    def delete(self, name: str) -> None: ...


class HolidaySource(Protocol):
    """A country's public holidays in a year (adapters/holidays.py); InvalidInput for a country
    it does not know."""

    def __call__(self, country: str, year: int,
                 language: str | None = None) -> list[Holiday]:
        """Named in `language` where the calendar has it, else in the country's own."""
        ...


class PresenceLogRepository(Protocol):
    """Every presence change, appended with it; kept with the history, never pruned."""

    def append(self, change: PresenceChange) -> None: ...
    def during(self, since: datetime, until: datetime | None = None) -> list[PresenceChange]:
        """Changes at or after `since` (and before `until`), oldest first."""
        ...
    def at(self, when: datetime) -> dict[int, Presence]:
        """Each agent's presence just before `when` (agents with no change before it are
        left out: they were offline, as every agent starts)."""
        ...


class DaybookRepository(Protocol):
    """The day's figures, kept as work happens (domain/daybook.py). The units of work add to
    them at commit, from what they wrote and changed."""

    def add(self, adds: Sequence[DayAdd]) -> None:
        """Added to the day's sums no later than the commit of the unit of work."""
        ...
    def day(self, day: date) -> Day:
        """Every sum and histogram kept for `day`."""
        ...
    def compact(self) -> int:
        """Fold what commits added into the packed rows a day is read from (how many additions
        it folded); reads stay cheap as long as this runs now and then."""
        ...


class SettingsRepository(Protocol):
    """Settings an admin changes at run time; stored so every process and replica agrees."""

    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...
