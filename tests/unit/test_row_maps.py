"""Rows and dataclasses convert by the dataclass fields: every field has its column, and a value
goes to the database and comes back the same."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.agents import AGENT
from giliran.adapters.sql.history import EVENT, HISTORY
from giliran.adapters.sql.queues import QUEUE
from giliran.adapters.sql.rows import RowMap
from giliran.adapters.sql.tickets import TICKET
from giliran.domain.actor import Actor, Via
from giliran.domain.event_types import HistoryKind
from giliran.domain.events import Event
from giliran.domain.model import (
    Agent,
    HistoryEntry,
    Language,
    Presence,
    Priority,
    Queue,
    QueueState,
    Reason,
    SlotFreedOn,
    StrategyName,
    Ticket,
    TicketFlag,
    TicketStatus,
)

AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def _round_trip(row_map: RowMap, obj: object, key: str = "id") -> object:
    stored = row_map.insert_values(obj)
    stored[key] = getattr(obj, key)
    return row_map.load(SimpleNamespace(**stored))


@pytest.mark.parametrize("row_map, obj", [
    (TICKET, Ticket(7, "t", AT, queue="sales", priority=Priority.HIGH,
                    status=TicketStatus.ASSIGNED, agent_id=3, missed_by=frozenset({5, 2}),
                    flag=TicketFlag.EXHAUSTED, flagged_at=AT, queue_order=-2, contact="wa:1")),
    (AGENT, Agent(3, "A", presence=Presence.ONLINE, queues=frozenset({"b", "a"}),
                  queue_state={"a": QueueState(2, AT, "missed")}, language=Language.ID,
                  last_seen_at=AT)),
    (HISTORY, HistoryEntry(7, AT, HistoryKind.ASSIGNED, Reason.AUTO,
                           Actor("user:3", "Sari", Via.TOKEN, 3, "ci-bot"), None, 3, id=9,
                           note="why", detail={"never": True})),
    (EVENT, Event("ticket.assigned", AT, {"x": 1}, 7, "sales", frozenset({3}), id=4)),
])
def test_what_is_stored_comes_back_the_same(row_map: RowMap, obj: object) -> None:
    assert _round_trip(row_map, obj) == obj


def test_a_queue_is_named_by_its_name() -> None:
    queue = Queue("sales", StrategyName.LEAST_LOADED, max_per_agent=2,
                  slot_freed_on=SlotFreedOn.ACCEPT)
    assert "name" not in QUEUE.saved and _round_trip(QUEUE, queue, key="name") == queue


def test_enums_and_sets_are_stored_as_plain_values() -> None:
    stored = TICKET.values(Ticket(1, "t", AT, missed_by=frozenset({3, 1})))
    assert (stored["priority"], stored["status"], stored["missed_by"]) == (1, "queued", [1, 3])
    assert "created_at" not in stored and "created_at" in TICKET.added


def test_a_field_without_a_column_is_refused_when_the_map_is_made() -> None:
    @dataclasses.dataclass
    class Grown(Ticket):
        mood: str = "calm"

    with pytest.raises(TypeError, match="mood"):
        RowMap(Grown, t.tickets)


def test_a_history_line_from_before_names_reads_back_by_its_key() -> None:
    stored = HISTORY.insert_values(HistoryEntry(7, AT, HistoryKind.ACCEPTED, Reason.ACCEPTED,
                                                Actor("agent:3", "B", Via.AGENT_TOKEN)))
    old = {**stored, "actor_user_id": None, "actor_name": None, "actor_via": None,
           "actor_token": None, "id": 1}
    assert HISTORY.load(SimpleNamespace(**old)).actor == Actor("agent:3", "agent:3",
                                                               Via.AGENT_TOKEN)
