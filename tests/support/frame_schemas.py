"""Checking a WebSocket frame against the published schemas (docs/events/): an event against
its type's, any other frame against the frames'."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

DOCS = Path(__file__).parents[2] / "docs" / "events"


@cache
def _validator(name: str, ref: str | None = None) -> Any:
    document = json.loads((DOCS / name).read_text(encoding="utf-8"))
    if ref is not None:
        document = {"$schema": document["$schema"], "$defs": document["$defs"],
                    "$ref": f"#/$defs/{ref}"}
    return jsonschema_rs.Draft202012Validator(document)


def refusals(frame: dict[str, Any]) -> list[str]:
    """What the schema finds wrong with `frame` (nothing: [])."""
    kind = str(frame.get("type", ""))
    validator = (_validator("events.schema.json", kind) if "." in kind
                 else _validator("frames.schema.json"))
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(frame)]
