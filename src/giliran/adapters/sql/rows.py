"""Rows to domain dataclasses and back, derived from the dataclass fields.

A field is stored in the column of the same name; how it converts follows from its type: an
enum as its value, a frozenset as a sorted JSON list, anything else as it is (the column types
handle datetimes and JSON). So a new field needs a column (and a migration), not edits to field
lists in several places; a field without a column fails at import, unless it is declared not
stored. A field whose shape needs more (an agent's per-queue state) brings its own pair of
converters; one kept in several columns (an actor: its key, user, name...) brings a pair that
writes those columns and reads them back from the row (`spread`).

The converters are worked out once per class, at import, and compiled into plain functions
(a dict display to save, one constructor call to load), as fast as the hand-written ones they
replace: a loop over (name, converter) pairs cost ~10 µs more per saved ticket, on a path that
runs a few times per request.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

T = TypeVar("T")
Convert = Callable[[Any], Any]
Spread = Callable[[Any], dict[str, Any]]


def decoded(value: Any) -> Any:
    """JSON columns come back decoded; a raw string only from a hand-written INSERT."""
    return json.loads(value) if isinstance(value, str) else value


class RowMap(Generic[T]):
    """How one dataclass is stored in one table."""

    def __init__(self, cls: type[T], table: Table, *, key: str = "id",
                 not_stored: Iterable[str] = (), insert_only: Iterable[str] = (),
                 custom: dict[str, tuple[Convert, Convert]] | None = None,
                 spread: dict[str, tuple[tuple[str, ...], Spread, Convert]] | None = None,
                 ) -> None:
        """`key`: the field that names a row (never in an UPDATE's SET); `insert_only`: fields
        written once, when the row is added; `custom`: (to the column, from the column);
        `spread`: (its columns, to a dict of them, from the whole row)."""
        self.cls = cls
        custom = custom or {}
        spread = spread or {}
        skipped = set(not_stored)
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                 if f.name not in skipped]
        wide = {n: columns for n, (columns, _, _) in spread.items()}
        missing = [c for n in names for c in wide.get(n, (n,)) if c not in table.c]
        if missing:
            raise TypeError(f"{cls.__name__} fields without a column in {table.name}: "
                            f"{missing} (add the column, or list them as not stored)")
        pairs: dict[str, tuple[Convert | None, Convert | None]] = {
            n: (spread[n][1], spread[n][2]) if n in spread
            else custom.get(n) or _converters(hints[n]) for n in names}
        self.key = key
        self.loaded = tuple(names)  # what a row is read into, key included
        self.added = tuple(n for n in names if n != key)  # what an INSERT writes
        self.saved = tuple(n for n in self.added if n not in set(insert_only))  # an UPDATE
        # The columns an INSERT writes (a spread field's several in its place).
        self.added_columns = tuple(c for n in self.added for c in wide.get(n, (n,)))
        spreads = frozenset(spread)
        self._saved_fn = _compile_values(tuple((n, pairs[n][0]) for n in self.saved), spreads)
        self._added_fn = _compile_values(tuple((n, pairs[n][0]) for n in self.added), spreads)
        self._load_fn = _compile_load(cls, tuple((n, pairs[n][1]) for n in names), spreads)

    def values(self, obj: T) -> dict[str, Any]:
        """What an UPDATE of `obj` sets."""
        found: dict[str, Any] = self._saved_fn(obj)
        return found

    def insert_values(self, obj: T) -> dict[str, Any]:
        """What an INSERT of `obj` writes (its key comes from the database, or is given)."""
        found: dict[str, Any] = self._added_fn(obj)
        return found

    def load(self, row: Any) -> T:
        result: T = self._load_fn(row)
        return result


def _compile_values(pairs: tuple[tuple[str, Convert | None], ...],
                    spread: frozenset[str] = frozenset()) -> Callable[[Any], Any]:
    """def values(o): return {"title": o.title, "status": _c1(o.status) if ... , ...}"""
    names: dict[str, Any] = {}
    items = []
    for i, (name, convert) in enumerate(pairs):
        if name in spread:
            names[f"_c{i}"] = convert
            items.append(f"**_c{i}(o.{name})")
        elif convert is None:
            items.append(f"{name!r}: o.{name}")
        else:
            names[f"_c{i}"] = convert
            items.append(f"{name!r}: None if o.{name} is None else _c{i}(o.{name})")
    return _define("values", "o", "{" + ", ".join(items) + "}", names)


def _compile_load(cls: type, pairs: tuple[tuple[str, Convert | None], ...],
                  spread: frozenset[str] = frozenset()) -> Callable[[Any], Any]:
    """def load(r): return cls(title=r.title, status=_c1(r.status), ...)"""
    names: dict[str, Any] = {"_cls": cls}
    items = []
    for i, (name, convert) in enumerate(pairs):
        if name in spread:
            names[f"_c{i}"] = convert
            items.append(f"{name}=_c{i}(r)")
        elif convert is None:
            items.append(f"{name}=r.{name}")
        else:
            names[f"_c{i}"] = convert
            items.append(f"{name}=None if r.{name} is None else _c{i}(r.{name})")
    return _define("load", "r", "_cls(" + ", ".join(items) + ")", names)


def _define(name: str, arg: str, expression: str, names: dict[str, Any]) -> Callable[[Any], Any]:
    """Field names are Python identifiers (dataclass fields), so the source is safe to build."""
    namespace = dict(names)
    exec(f"def {name}({arg}):\n    return {expression}\n", namespace)
    found: Callable[[Any], Any] = namespace[name]
    return found


def _converters(hint: Any) -> tuple[Convert | None, Convert | None]:
    """By the field's type, with `X | None` read as X (None is stored as NULL either way)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = inner[0] if len(inner) == 1 else Any
    if isinstance(hint, type) and issubclass(hint, Enum):
        enum = hint
        return (lambda v: v.value), enum
    origin = typing.get_origin(hint)
    if origin is frozenset:
        return sorted, (lambda v: frozenset(decoded(v)))
    if origin in (dict, list) or hint is Any:
        return None, decoded
    return None, None
