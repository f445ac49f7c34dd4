"""In-memory twins of the SQL repositories, for unit tests and the simulator.

The contract suite runs the same tests against these and the SQL ones, and compares complete
states (tickets, agents, queues, history, events) after random command sequences, which keeps
them honest. Modules: `uow` (the unit of work, its journal and the store), `tickets`,
`agents` (and queues), `records` (history, events, settings, rate limits), `outbox`
(webhooks, deliveries, notices, chat links), `conversation`, `ledger` (audit and presence).
"""

from giliran.adapters.memory.state import MemoryState
from giliran.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork

__all__ = ["InMemoryStore", "InMemoryUnitOfWork", "MemoryState"]
