"""Reading a backlog file for `giliran import`: CSV with a header row, or JSON lines.

Each row is checked by the same rules as `POST /api/v1/tickets`, plus a required external_id
(what makes an import safe to run again); priorities are read in any case (`HIGH`). Rows
that break a rule are reported by line number and skipped; the others are imported. Only a
file that cannot be read (not UTF-8, a CSV header naming unknown columns) stops an import,
and `check_readable` finds that before anything is imported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from giliran.domain.words import noun
from giliran.entrypoints.api.schemas import TicketCreate
from giliran.service.tickets.tickets import NewTicket

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
    """The rows in the file, after checking that it can be read as a whole (UTF-8, and for
    CSV a header of known columns): ValueError otherwise, before anything is imported."""
    lines = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"line {number} is not UTF-8 text") from None
            lines += bool(raw.strip())
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return lines
    with path.open(newline="", encoding="utf-8-sig") as f:
        _columns(csv.DictReader(f))
    return lines - 1


def _columns(reader: csv.DictReader[str]) -> None:
    unknown = set(reader.fieldnames or ()) - set(FIELDS)
    if not reader.fieldnames:
        raise ValueError("the CSV file has no header row")
    if unknown:
        raise ValueError(f"unknown {noun(len(unknown), 'column', 'columns')} "
                         f"{sorted(unknown)}; expected some of {FIELDS}")


def _csv_rows(path: Path) -> Iterator[tuple[int, NewTicket | BadRow]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        _columns(reader)
        for row in reader:
            if None in row:
                yield reader.line_num, BadRow(reader.line_num, "more values than columns")
                continue
            values = {k: v for k, v in row.items() if v not in (None, "")}
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
    if isinstance(values.get("priority"), str):
        values = {**values, "priority": str(values["priority"]).strip().lower()}
    try:
        body = TicketCreate.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return BadRow(line, f"{where}: {first['msg']}")
    return NewTicket(title=body.title, queue=body.queue, priority=body.priority_value,
                     category=body.category, description=body.description,
                     external_id=body.external_id)
