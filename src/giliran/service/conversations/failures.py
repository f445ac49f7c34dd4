"""Replies that failed and are not resolved (issue 23).

A LOCAL STAND-IN, so the inbox can be built beside it: the transfer helper writes the real
rule (a ticket's newest outgoing message failed, or its notice is dead, and nothing later
fixed it). At the merge theirs replaces this file; the signature is the one both agreed on.
"""

from __future__ import annotations

from collections.abc import Collection

from giliran.service.ports import UnitOfWork


def unresolved_failures(uow: UnitOfWork, ticket_ids: Collection[int]) -> set[int]:
    """The tickets among `ticket_ids` whose last reply to the customer failed, unresolved."""
    return set()
