"""Reading a backlog file for `giliran import`: CSV with a header row, or JSON lines.

Each row is checked by the same rules as `POST /api/v1/tickets`, plus a required external_id
(what makes an import safe to run again). Rows that break a rule are reported by line number
and skipped; the others are imported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from giliran.entrypoints.api.schemas import TicketCreate
from giliran.service.tickets import NewTicket

FIELDS = ("title", "category", "description", "priority", "queue", "external_id")


@dataclass(frozen=True)
class BadRow:
    line: int
    problem: str


def read_rows(path: Path) -> Iterator[tuple[int, NewTicket | BadRow]]:
    """(line number, ticket or problem) for every row, in file order."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        yield from _json_lines(path)
    else:
        yield from _csv_rows(path)


def count_rows(path: Path) -> int:
    with path.open("rb") as f:
        lines = sum(1 for line in f if line.strip())
    return lines - (0 if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else 1)


def _csv_rows(path: Path) -> Iterator[tuple[int, NewTicket | BadRow]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        unknown = set(reader.fieldnames or ()) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown column(s) {sorted(unknown)}; expected some of {FIELDS}")
        for row in reader:
            values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
            yield reader.line_num, _ticket(reader.line_num, values)


def _json_lines(path: Path) -> Iterator[tuple[int, NewTicket | BadRow]]:
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                values = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, BadRow(number, f"not JSON: {exc.msg}")
                continue
            if not isinstance(values, dict):
                yield number, BadRow(number, "not a JSON object")
                continue
            yield number, _ticket(number, values)


def _ticket(line: int, values: dict[str, object]) -> NewTicket | BadRow:
    if not values.get("external_id"):
        return BadRow(line, "external_id is required")
    try:
        body = TicketCreate.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return BadRow(line, f"{where}: {first['msg']}")
    return NewTicket(title=body.title, queue=body.queue, priority=body.priority_value,
                     category=body.category, description=body.description,
                     external_id=body.external_id)
