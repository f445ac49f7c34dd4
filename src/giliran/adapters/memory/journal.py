"""Transactions for the in-memory store: changes are made in place and written down in an
undo journal, which a rollback plays backwards. Nothing is copied wholesale, so a write costs
what it changes, not the size of the store."""

from __future__ import annotations

import bisect
import copy
from typing import Any, TypeVar

from giliran.domain.model import Agent

_MISSING: Any = object()
_PUT, _APPEND, _ATTR, _INSORT, _REMOVE = range(5)
T = TypeVar("T")


class Journal:
    __slots__ = ("_undo",)

    def __init__(self) -> None:
        self._undo: list[tuple[int, Any, Any, Any]] = []

    def put(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        self._undo.append((_PUT, mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def drop(self, mapping: dict[Any, Any], key: Any) -> None:
        old = mapping.pop(key, _MISSING)
        if old is not _MISSING:
            self._undo.append((_PUT, mapping, key, old))

    def append(self, items: list[Any], item: Any) -> None:
        self._undo.append((_APPEND, items, len(items), None))
        items.append(item)

    def set(self, obj: object, name: str, value: Any) -> None:
        self._undo.append((_ATTR, obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def insort(self, items: list[Any], item: Any) -> None:
        """Into a sorted list of distinct items."""
        bisect.insort(items, item)
        self._undo.append((_INSORT, items, item, None))

    def remove(self, items: list[Any], item: Any) -> None:
        """From a sorted list of distinct items."""
        i = bisect.bisect_left(items, item)
        if i < len(items) and items[i] == item:
            del items[i]
            self._undo.append((_REMOVE, items, item, None))

    def undo(self) -> None:
        for op, target, key, old in reversed(self._undo):
            if op == _PUT:
                if old is _MISSING:
                    target.pop(key, None)
                else:
                    target[key] = old
            elif op == _APPEND:
                del target[key:]
            elif op == _ATTR:
                setattr(target, key, old)
            elif op == _INSORT:
                del target[bisect.bisect_left(target, key)]
            else:
                bisect.insort(target, key)
        self._undo.clear()

    def forget(self) -> None:
        """Committed: nothing to undo any more."""
        self._undo.clear()


def clone(obj: T) -> T:
    """A copy of a stored dataclass that its holder may change freely (the store never hands
    out, nor keeps, an object someone else can change). Shallow, except an agent's per-queue
    states, its one mutable field."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    if isinstance(new, Agent) and new.queue_state:
        new.queue_state = {q: copy.copy(s) for q, s in new.queue_state.items()}
    return new


def with_id(row: T, row_id: int) -> T:
    """A frozen row (a history entry, an event) with the id the store gave it."""
    new = object.__new__(type(row))
    new.__dict__.update(row.__dict__)
    object.__setattr__(new, "id", row_id)
    return new
