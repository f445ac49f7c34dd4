"""The published event schemas (docs/events/) are what the types say, and they refuse what
the wire must never carry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from giliran.domain.actor import SYSTEM
from giliran.domain.event_types import EventType, HistoryKind
from giliran.domain.events import Event, presence_event, ticket_event
from giliran.domain.model import Agent, HistoryEntry, Reason, Ticket
from giliran.entrypoints import event_schema
from tests.support.event_schemas import Watch

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_committed_schema_is_what_the_generator_writes(tmp_path: Path) -> None:
    committed = Path(__file__).parents[2] / "docs" / "events" / event_schema.SCHEMA_FILE
    assert committed.read_text(encoding="utf-8") == event_schema.rendered()
    assert event_schema.main(["--out", str(tmp_path)]) == 0
    assert event_schema.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / event_schema.SCHEMA_FILE).write_text("{}", encoding="utf-8")
    assert event_schema.main(["--check", "--out", str(tmp_path)]) == 1


def test_every_event_type_has_its_schema_and_a_version() -> None:
    document = event_schema.event_schemas()
    assert document["schema_version"] == event_schema.SCHEMA_VERSION
    assert {d["$ref"].removeprefix("#/$defs/") for d in document["oneOf"]} == {
        t.value for t in EventType}


def _ticket() -> Ticket:
    return Ticket(id=7, title="no signal", created_at=T0, queued_at=T0, priority_since=T0)


def test_the_schema_takes_real_events_and_refuses_broken_ones() -> None:
    watch = Watch()
    assigned = HistoryEntry(7, T0, HistoryKind.ASSIGNED, Reason.AUTO, SYSTEM, None, 3,
                            load=(1, 5))
    watch.check(ticket_event(assigned, _ticket()))
    watch.check(presence_event(Agent(id=3, name="Sari"), T0))
    assert watch.take() == []
    good = ticket_event(assigned, _ticket())
    no_ticket = {k: v for k, v in good.payload.items() if k != "ticket"}
    watch.check(Event(EventType.TICKET_ASSIGNED, T0, no_ticket))
    wrong = {**good.payload, "agent_load": {"active_tickets": "one", "max_tickets": 5}}
    watch.check(Event(EventType.TICKET_ASSIGNED, T0, wrong))
    assert len(watch.take()) == 2


def test_the_suite_checks_what_the_stores_are_given(event_watch: Watch) -> None:
    from giliran.adapters.memory import InMemoryStore

    before = event_watch.checked
    store = InMemoryStore()
    with store(write=True) as uow:
        uow.record(presence_event(Agent(id=3, name="Sari"), T0))
        uow.commit()
    assert event_watch.checked == before + 1
