"""The SQL repositories, one module per aggregate, over SQLAlchemy Core (no ORM on the hot path).

- `agents`: agents, their queue memberships, who is eligible;
- `tickets`: tickets, the queue's head, a ticket's place in its queue, the timers' reads;
- `queues`: queues and runtime settings;
- `history`: the record of moves, and the events watchers read;
- `outbox` (webhooks, deliveries), `chat` (Telegram links, notices), `conversation`
  (messages, customers), `ledger` (audit, presence log), `limits` (rate limits).

Rows and dataclasses convert by the dataclass fields (`rows.RowMap`). Statements are built
once, at import, with bind parameters: building a Core statement per call cost ~70 µs against
~15 µs to execute a prebuilt one, and intake runs about ten of them. Each repository keeps an
identity map for its unit of work, so a row loaded twice is one object.
"""

from __future__ import annotations

from giliran.adapters.sql.agents import SqlAgentRepository
from giliran.adapters.sql.history import SqlEventRepository, SqlHistoryRepository
from giliran.adapters.sql.queues import SqlQueueRepository, SqlSettingsRepository
from giliran.adapters.sql.tickets import SqlTicketRepository

__all__ = ["SqlAgentRepository", "SqlEventRepository", "SqlHistoryRepository",
           "SqlQueueRepository", "SqlSettingsRepository", "SqlTicketRepository"]
