"""The ports of what is kept about the service itself: the audit log and the rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from giliran.domain.audit import AuditEntry, AuditKind


@dataclass(frozen=True)
class AuditFilter:
    kind: AuditKind | None = None
    subject: str | None = None
    actor: str | None = None  # the actor's key ("admin", "agent:5", "user:3")
    user_id: int | None = None  # changes made by this user, whichever key they came with
    since: datetime | None = None  # at >= since
    until: datetime | None = None  # at < until
    before_id: int | None = None  # keyset paging for exports: only entries with a smaller id
    limit: int = 100
    offset: int = 0


class AuditRepository(Protocol):
    """Changes to agents, queues and settings; never pruned."""

    def append(self, entry: AuditEntry) -> None: ...
    def search(self, query: AuditFilter) -> list[AuditEntry]:
        """Newest first."""
        ...
    def count(self, query: AuditFilter) -> int: ...


class RateLimitRepository(Protocol):
    def hit(self, key: str, window_start: int) -> int:
        """Count a hit for `key` in the window starting at `window_start` (epoch seconds; a
        new window starts again from 1); the hits so far in this window."""

    def hits(self, key: str, window_start: int) -> int:
        """The hits so far in this window, counting none (0 when it is another window)."""

    def prune(self, before: int) -> int:
        """Forget windows that started before `before`."""
