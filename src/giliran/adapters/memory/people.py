"""In-memory twins of the users, tokens and sessions (`adapters/sql/people.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from giliran.adapters.memory.journal import clone
from giliran.domain.errors import EmailTaken
from giliran.domain.people import ApiToken, Session, User

if TYPE_CHECKING:
    from giliran.adapters.memory.state import Session as Unit


class InMemoryUserRepository:
    def __init__(self, unit: Unit) -> None:
        self._s = unit.state
        self._j = unit.journal

    def add(self, user: User) -> User:
        self._refuse_taken_email(user)
        user.id = self._s.next_id("users")
        self._j.put(self._s.users, user.id, clone(user))
        return user

    def get(self, user_id: int) -> User | None:
        found = self._s.users.get(user_id)
        return clone(found) if found is not None else None

    def by_email(self, email: str) -> User | None:
        return next((clone(u) for u in self._s.users.values() if u.email == email), None)

    def by_agent(self, agent_id: int) -> User | None:
        return next((clone(u) for u in self._s.users.values() if u.agent_id == agent_id), None)

    def all(self) -> list[User]:
        return [clone(self._s.users[i]) for i in sorted(self._s.users)]

    def save(self, user: User) -> None:
        self._refuse_taken_email(user)
        self._j.put(self._s.users, user.id, clone(user))

    def _refuse_taken_email(self, user: User) -> None:
        """As SQL's unique constraint does."""
        if user.email is not None and any(u.email == user.email and u.id != user.id
                                          for u in self._s.users.values()):
            raise EmailTaken(f"{user.email!r} is someone else's email")


class InMemoryTokenRepository:
    def __init__(self, unit: Unit) -> None:
        self._s = unit.state
        self._j = unit.journal

    def add(self, token: ApiToken) -> ApiToken:
        token.id = self._s.next_id("api_tokens")
        self._j.put(self._s.api_tokens, token.id, clone(token))
        return token

    def get(self, token_id: int) -> ApiToken | None:
        found = self._s.api_tokens.get(token_id)
        return clone(found) if found is not None else None

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((clone(t) for t in self._s.api_tokens.values()
                     if t.token_hash == token_hash), None)

    def of_user(self, user_id: int) -> list[ApiToken]:
        return [t for t in self.all() if t.user_id == user_id]

    def all(self) -> list[ApiToken]:
        return [clone(self._s.api_tokens[i]) for i in sorted(self._s.api_tokens, reverse=True)]

    def save(self, token: ApiToken) -> None:
        self._j.put(self._s.api_tokens, token.id, clone(token))

    def used(self, token_id: int, at: datetime) -> None:
        found = self.get(token_id)
        if found is not None:
            found.last_used_at = at
            self.save(found)


class InMemorySessionRepository:
    def __init__(self, unit: Unit) -> None:
        self._s = unit.state
        self._j = unit.journal

    def add(self, session: Session) -> Session:
        session.id = self._s.next_id("sessions")
        self._j.put(self._s.sessions, session.id, clone(session))
        return session

    def by_hash(self, secret_hash: str) -> Session | None:
        return next((clone(s) for s in self._s.sessions.values()
                     if s.secret_hash == secret_hash), None)

    def get(self, session_id: int) -> Session | None:
        found = self._s.sessions.get(session_id)
        return clone(found) if found is not None else None

    def of_users(self, user_ids: Sequence[int], alive_at: datetime) -> list[Session]:
        wanted = set(user_ids)
        return [clone(s) for i, s in sorted(self._s.sessions.items(), reverse=True)
                if s.user_id in wanted and s.ended_at is None and alive_at < s.expires_at]

    def save(self, session: Session) -> None:
        self._j.put(self._s.sessions, session.id, clone(session))

    def end_all(self, user_id: int, at: datetime) -> int:
        open_ = [s for s in self._s.sessions.values()
                 if s.user_id == user_id and s.ended_at is None]
        for found in open_:
            ended = clone(found)
            ended.ended_at = at
            self.save(ended)
        return len(open_)

    def prune(self, before: datetime) -> int:
        gone = [i for i, s in self._s.sessions.items()
                if (s.ended_at is not None and s.ended_at < before) or s.expires_at < before]
        for i in gone:
            self._j.drop(self._s.sessions, i)
        return len(gone)
