"""The published JSON Schema of every event's wire message (WebSocket frames, webhook bodies),
generated from the registry's payload types (domain/event_types.py), so it cannot say other
than what is sent. `python -m giliran.entrypoints.event_schema` rewrites docs/events/;
`--check` fails when the committed files are not what the types say (CI and a test run it).

Versioning: `schema_version` in the document is the schema version. Adding an event type or an
optional key is not breaking; removing or renaming a key, changing its type or meaning, or
making a key required is, and bumps it (and the `$id`).
"""

from __future__ import annotations

import json
import sys
import types
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any, NewType, Union, get_args, get_origin, get_type_hints, is_typeddict

import typing_extensions
from pydantic import Field, TypeAdapter, create_model

from giliran.domain.event_types import OPTIONAL_KEYS, PAYLOADS, EventType

SCHEMA_VERSION = 1
DOCS = Path("docs/events")
SCHEMA_FILE = "events.schema.json"
FRAMES_FILE = "frames.schema.json"
_REF = "#/$defs/{model}"
_TYPED_DICT: Any = typing_extensions.TypedDict  # made at run time: mypy wants literal names


def event_schemas() -> dict[str, Any]:
    """One `$defs` entry per event type (named as the type), each a whole wire message;
    the objects they carry (as the REST API declares them: TicketOut...) are shared `$defs`
    of their own."""
    shared: dict[str, Any] = {}
    per_type: dict[str, Any] = {}
    for kind in EventType:
        payload = TypeAdapter(_wire(kind.value.partition(".")[0])).json_schema(ref_template=_REF)
        shared.update(payload.pop("$defs", {}))
        per_type[kind.value] = _message(kind, payload)
    for found in shared.values():
        _close(found)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://giliran.dev/schemas/events/v{SCHEMA_VERSION}/{SCHEMA_FILE}",
        "title": "giliran events",
        "description": "Every event giliran publishes, as WebSocket frames and webhook bodies "
                       "carry it. Generated from src/giliran/domain/event_types.py.",
        "schema_version": SCHEMA_VERSION,
        "oneOf": [{"$ref": f"#/$defs/{kind.value}"} for kind in EventType],
        "$defs": {**per_type, **dict(sorted(shared.items()))},
    }


def _message(kind: EventType, payload: dict[str, Any]) -> dict[str, Any]:
    properties = {
        "type": {"const": kind.value},
        "id": {"type": "integer", "minimum": 1,
               "description": "Grows in commit order; resume after the last one seen."},
        "at": {"type": "string", "format": "date-time"},
        **payload["properties"],
    }
    return {
        "title": kind.name.replace("_", " ").capitalize(),
        "description": payload.get("description", ""),
        "type": "object",
        "properties": properties,
        "required": ["type", "id", "at", *payload.get("required", [])],
    }


@cache
def _wire(family: str) -> Any:
    """The payload of a family of types (`ticket`, `agent`...) as pydantic reads it on Python
    3.11: its fields as the keys of a TypedDict (the optional ones may be left out, as the wire
    leaves them out when None)."""
    payload = PAYLOADS[family]
    hints = get_type_hints(payload)
    keys = {}
    for f in fields(payload):
        found = _portable(hints[f.name])
        if f.name in OPTIONAL_KEYS:
            found = typing_extensions.NotRequired[_without_none(found)]
        keys[f.name] = found
    wire = _TYPED_DICT(payload.__name__, keys)
    wire.__doc__ = payload.__doc__
    return wire


def _close(schema: dict[str, Any]) -> None:
    """An object names every key it may have: one with a key its schema does not name is
    refused, so the views and the published schema cannot drift apart unseen (the suite checks
    every event it emits)."""
    if "properties" in schema:
        schema.setdefault("additionalProperties", False)


@cache
def _wires() -> dict[str, Any]:
    """The objects events carry, as the REST API declares them (domain/event_types.py's
    TicketWire... name them; tests/unit/test_views_match_rest.py holds the views to these)."""
    from giliran.entrypoints.api.routes_conversation import MessageOut
    from giliran.entrypoints.api.routes_schedules import ScheduleOut
    from giliran.entrypoints.api.schemas import AgentOut, TicketOut
    from giliran.entrypoints.api.schemas_floor import QueueOut
    from giliran.entrypoints.api.schemas_people import UserOut

    message = create_model("MessageWire", __base__=MessageOut,
                           ticket_id=(int, Field(description="The ticket it belongs to")))
    return {"TicketWire": TicketOut, "AgentWire": AgentOut, "QueueWire": QueueOut,
            "MessageWire": message, "UserWire": UserOut, "ScheduleWire": ScheduleOut}


def _portable(tp: Any) -> Any:
    """`tp` with the wire objects it names made the REST models, and the stdlib TypedDicts it
    names made typing_extensions ones (pydantic needs these before Python 3.12; the domain
    imports the standard library only)."""
    if isinstance(tp, NewType) and tp.__name__ in _wires():
        return _wires()[tp.__name__]
    if is_typeddict(tp):
        return _typed_dict(tp)
    args = get_args(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return Union[tuple(_portable(a) for a in args)]  # noqa: UP007
    if origin in (list, dict):
        return origin[tuple(_portable(a) for a in args)]
    return tp


@cache
def _typed_dict(tp: Any) -> Any:
    found = _TYPED_DICT(tp.__name__, {k: _portable(v) for k, v in get_type_hints(tp).items()})
    found.__doc__ = tp.__doc__
    return found


def _without_none(tp: Any) -> Any:
    rest = tuple(a for a in get_args(tp) if a is not type(None))
    return rest[0] if len(rest) == 1 else tp


def frame_schemas() -> dict[str, Any]:
    """The WebSocket frames that are not events (entrypoints/api/frames.py)."""
    from giliran.entrypoints.api.frames import FRAMES

    frame: Any = Union[FRAMES]  # noqa: UP007
    found = TypeAdapter(frame).json_schema(ref_template=_REF)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://giliran.dev/schemas/events/v{SCHEMA_VERSION}/{FRAMES_FILE}",
        "title": "giliran WebSocket frames besides events",
        "description": "hello, snapshot, the pages' views (desk, floor, tickets), pong and "
                       "error. Generated from src/giliran/entrypoints/api/frames.py.",
        "schema_version": SCHEMA_VERSION,
        "anyOf": found["anyOf"],
        "$defs": dict(sorted(found["$defs"].items())),
    }


def files() -> dict[str, str]:
    """What docs/events/ holds, file by file."""
    return {name: json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            for name, document in ((SCHEMA_FILE, event_schemas()),
                                   (FRAMES_FILE, frame_schemas()))}


def rendered() -> str:
    return files()[SCHEMA_FILE]


def main(argv: list[str]) -> int:
    folder = Path(argv[argv.index("--out") + 1]) if "--out" in argv else DOCS
    wanted = files()
    if "--check" in argv:
        stale = [name for name, text in wanted.items()
                 if not (folder / name).exists()
                 or (folder / name).read_text(encoding="utf-8") != text]
        for name in stale:
            print(f"{folder / name} is not what the types say: run "
                  "python -m giliran.entrypoints.event_schema", file=sys.stderr)
        return 1 if stale else 0
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
