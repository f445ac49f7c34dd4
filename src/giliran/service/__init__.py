"""Use cases: one small function per command, each one transaction through a UnitOfWork.

Sliced by feature, one package each: `tickets`, `assignment`, `agents`, `queues`,
`conversations`, `notices`, `reports`, `events`. The shared kernel stays here: `context`
(what every use case receives), `ports` (the Protocols the adapters implement, and the roster
of repositories), `lookups`, `recording` and `audit_log` (what a use case writes about its
change), `runtime` (settings changed while running), `limits` (rate limits). Features import
one way only (the import contract in pyproject.toml).
"""
