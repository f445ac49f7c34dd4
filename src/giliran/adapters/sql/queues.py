"""SQL storage of queues (their settings and the rotation's pointer) and runtime settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, false, insert, select, update

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.direct import Direct
from giliran.adapters.sql.rows import RowMap
from giliran.domain.model import Queue

QUEUE = RowMap(Queue, t.queues, key="name")
_QUEUE_BY_NAME = Direct(select(t.queues).where(t.queues.c.name == bindparam("name")))
_QUEUES = select(t.queues).order_by(t.queues.c.name)
_QUEUE_SAVE = (
    update(t.queues).where(t.queues.c.name == bindparam("v_name"))
    .values({f: bindparam(f"v_{f}") for f in QUEUE.saved})
)
_QUEUE_POINTER = Direct(update(t.queues).where(t.queues.c.name == bindparam("v_name"))
                        .values(next_agent_id=bindparam("v_next"), pointer_set_by_hand=false()))
_SETTING = select(t.runtime_settings.c.value).where(t.runtime_settings.c.name == bindparam("name"))


class SqlQueueRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[str, Queue] = {}
        self._all: list[Queue] | None = None

    def add(self, queue: Queue) -> Queue:
        values = QUEUE.insert_values(queue)
        values.update(name=queue.name, created_at=datetime.now(UTC))
        self._conn.execute(insert(t.queues).values(values))
        self._seen[queue.name] = queue
        self._all = None
        return queue

    def get(self, name: str) -> Queue | None:
        if name in self._seen:
            return self._seen[name]
        row = _QUEUE_BY_NAME.first(self._conn, {"name": name})
        return self._load(row) if row is not None else None

    def all(self) -> list[Queue]:
        if self._all is None:
            self._all = [self._load(r) for r in self._conn.execute(_QUEUES)]
        return list(self._all)

    def save(self, queue: Queue) -> None:
        params = {f"v_{f}": v for f, v in QUEUE.values(queue).items()}
        params["v_name"] = queue.name
        self._conn.execute(_QUEUE_SAVE, params)
        self._seen[queue.name] = queue
        self._all = None

    def move_pointer(self, name: str, agent_id: int | None) -> None:
        _QUEUE_POINTER.rows(self._conn, {"v_name": name, "v_next": agent_id})
        known = self._seen.get(name)
        if known is not None:
            known.next_agent_id, known.pointer_set_by_hand = agent_id, False

    def _load(self, row: Row[Any]) -> Queue:
        known = self._seen.get(row.name)
        if known is not None:
            return known
        queue = self._seen[row.name] = QUEUE.load(row)
        return queue


class SqlSettingsRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, name: str) -> str | None:
        value = self._conn.execute(_SETTING, {"name": name}).scalar_one_or_none()
        return str(value) if value is not None else None

    def put(self, name: str, value: str) -> None:
        updated = self._conn.execute(
            update(t.runtime_settings).where(t.runtime_settings.c.name == name)
            .values(value=value)
        )
        if updated.rowcount == 0:
            self._conn.execute(insert(t.runtime_settings).values(name=name, value=value))
