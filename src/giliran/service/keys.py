"""Ending a person's access: their sessions end and their tokens are revoked, at once, in the
transaction that deactivates them (by their user, or by their agent record)."""

from __future__ import annotations

from datetime import datetime

from giliran.domain.people import User
from giliran.service.ports import UnitOfWork


def end_access(uow: UnitOfWork, user: User, now: datetime) -> tuple[int, int]:
    """Sessions ended and tokens revoked."""
    sessions = uow.sessions.end_all(user.id, now)
    revoked = 0
    for token in uow.api_tokens.of_user(user.id):
        if token.revoked_at is None:
            token.revoked_at = now
            uow.api_tokens.save(token)
            revoked += 1
    return sessions, revoked
