"""Every event the suite emits is checked against its published schema (docs/events/): the
memory and SQL event stores are wrapped for the whole session, and a test that emitted an
event its schema refuses fails (checked when it ends, so events emitted on a server's threads
count too). A server in another process (tests/e2e) is not watched."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs

from giliran.adapters.memory.records import InMemoryEventRepository
from giliran.adapters.sql.history import SqlEventRepository
from giliran.domain.events import Event

SCHEMA = Path(__file__).parents[2] / "docs" / "events" / "events.schema.json"


class Watch:
    def __init__(self) -> None:
        document = json.loads(SCHEMA.read_text(encoding="utf-8"))
        self.validators = {  # one per event type, each resolving the shared $defs
            name: jsonschema_rs.Draft202012Validator(
                {"$schema": document["$schema"], "$defs": document["$defs"],
                 "$ref": f"#/$defs/{name}"})
            for name in document["$defs"] if "." in name
        }
        self.refused: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    def check(self, event: Event) -> None:
        message = event.message()
        if message["id"] == 0:  # not yet written: the store gives it its id
            message["id"] = 1
        validator = self.validators.get(message["type"])
        errors = (["no schema for this type"] if validator is None
                  else [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(message)])
        with self._lock:
            self.checked += 1
            if errors:
                self.refused.append(f"{message['type']}: {errors[:3]}")

    def take(self) -> list[str]:
        with self._lock:
            found, self.refused = self.refused, []
        return found


def wrapped(original: Callable[[Any, Event], None],
            watch: Watch) -> Callable[[Any, Event], None]:
    def append(self: Any, event: Event) -> None:
        watch.check(event)
        original(self, event)
    return append


def watching() -> Iterator[Watch]:
    """Wrap both stores' append for as long as the generator is suspended."""
    watch = Watch()
    stores: list[Any] = [InMemoryEventRepository, SqlEventRepository]
    originals = [store.append for store in stores]
    for store, original in zip(stores, originals, strict=True):
        store.append = wrapped(original, watch)
    try:
        yield watch
    finally:
        for store, original in zip(stores, originals, strict=True):
            store.append = original
