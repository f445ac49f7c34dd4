"""SQL storage of people: users, their personal API tokens, their signed-in sessions.

Small tables, written on sign-in, sign-out and by an admin; none of it takes the floor lock
(login opens its unit of work with `defer_lock=True`). Emails are unique in the database too:
the caller checks first under the writer's lock, and a race it could not see still meets the
constraint, as `EmailTaken`. Authentication reads a token or a session by its hash on every
request, so those statements run `Direct`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from giliran.adapters.sql import tables as t
from giliran.adapters.sql.direct import Direct
from giliran.adapters.sql.rows import RowMap
from giliran.domain.errors import EmailTaken
from giliran.domain.people import ApiToken, Session, User

USER = RowMap(User, t.users)
TOKEN = RowMap(ApiToken, t.api_tokens)
SESSION = RowMap(Session, t.sessions)


class _Statements:
    """The statements every table here shares, built once, at import."""

    def __init__(self, table: Table, rows: RowMap[Any]) -> None:
        c = table.c
        self.select = select(*(c[f] for f in rows.loaded))
        self.by_id = Direct(self.select.where(c.id == bindparam("id")))
        self.insert = insert(table).returning(c.id)
        # Bind names must differ from column names in SET clauses, hence the "v_" prefix.
        self.save = Direct(update(table).where(c.id == bindparam("v_id"))
                           .values({f: bindparam(f"v_{f}") for f in rows.saved}))
        self.rows = rows

    def params(self, obj: Any) -> dict[str, Any]:
        params = {f"v_{k}": v for k, v in self.rows.values(obj).items()}
        params["v_id"] = obj.id
        return params


_U = _Statements(t.users, USER)
_USER_BY_EMAIL = Direct(_U.select.where(t.users.c.email == bindparam("email")))
_USER_BY_AGENT = Direct(_U.select.where(t.users.c.agent_id == bindparam("agent_id")))
_USERS = _U.select.order_by(t.users.c.id)

_T = _Statements(t.api_tokens, TOKEN)
_TOKEN_BY_HASH = Direct(_T.select.where(t.api_tokens.c.token_hash == bindparam("token_hash")))
_TOKENS = _T.select.order_by(t.api_tokens.c.id.desc())
_TOKENS_OF = _TOKENS.where(t.api_tokens.c.user_id == bindparam("user_id"))
_TOKEN_USED = Direct(update(t.api_tokens).where(t.api_tokens.c.id == bindparam("v_id"))
                     .values(last_used_at=bindparam("v_at")))

_S = _Statements(t.sessions, SESSION)
_s = t.sessions.c
_SESSION_BY_HASH = Direct(_S.select.where(_s.secret_hash == bindparam("secret_hash")))
_SESSIONS_OF = (_S.select.where(_s.user_id.in_(bindparam("user_ids", expanding=True)),
                                _s.ended_at.is_(None), _s.expires_at > bindparam("at"))
                .order_by(_s.id.desc()))
_END_ALL = (update(t.sessions).where(_s.user_id == bindparam("v_user_id"),
                                     _s.ended_at.is_(None))
            .values(ended_at=bindparam("v_at")))
_PRUNE = delete(t.sessions).where(or_(_s.ended_at < bindparam("before"),
                                      _s.expires_at < bindparam("before")))


def _refuse_taken_email(exc: IntegrityError, email: str | None) -> None:
    """As `EmailTaken` when the email's constraint refused the row. PostgreSQL names the
    constraint; SQLite names the column (`UNIQUE constraint failed: users.email`)."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if name == "uq_users_email" or str(exc.orig).endswith("users.email"):
        raise EmailTaken(f"{email!r} is someone else's email") from exc


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, user: User) -> User:
        try:
            user.id = self._conn.execute(_U.insert, USER.insert_values(user)).scalar_one()
        except IntegrityError as exc:
            _refuse_taken_email(exc, user.email)
            raise
        return user

    def get(self, user_id: int) -> User | None:
        row = _U.by_id.first(self._conn, {"id": user_id})
        return USER.load(row) if row else None

    def by_email(self, email: str) -> User | None:
        row = _USER_BY_EMAIL.first(self._conn, {"email": email})
        return USER.load(row) if row else None

    def by_agent(self, agent_id: int) -> User | None:
        row = _USER_BY_AGENT.first(self._conn, {"agent_id": agent_id})
        return USER.load(row) if row else None

    def all(self) -> list[User]:
        return [USER.load(r) for r in self._conn.execute(_USERS)]

    def save(self, user: User) -> None:
        try:
            _U.save.rows(self._conn, _U.params(user))
        except IntegrityError as exc:
            _refuse_taken_email(exc, user.email)
            raise


class SqlTokenRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, token: ApiToken) -> ApiToken:
        token.id = self._conn.execute(_T.insert, TOKEN.insert_values(token)).scalar_one()
        return token

    def get(self, token_id: int) -> ApiToken | None:
        row = _T.by_id.first(self._conn, {"id": token_id})
        return TOKEN.load(row) if row else None

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = _TOKEN_BY_HASH.first(self._conn, {"token_hash": token_hash})
        return TOKEN.load(row) if row else None

    def of_user(self, user_id: int) -> list[ApiToken]:
        return [TOKEN.load(r) for r in self._conn.execute(_TOKENS_OF, {"user_id": user_id})]

    def all(self) -> list[ApiToken]:
        return [TOKEN.load(r) for r in self._conn.execute(_TOKENS)]

    def save(self, token: ApiToken) -> None:
        _T.save.rows(self._conn, _T.params(token))

    def used(self, token_id: int, at: datetime) -> None:
        _TOKEN_USED.rows(self._conn, {"v_id": token_id, "v_at": at})


class SqlSessionRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, session: Session) -> Session:
        session.id = self._conn.execute(_S.insert, SESSION.insert_values(session)).scalar_one()
        return session

    def by_hash(self, secret_hash: str) -> Session | None:
        row = _SESSION_BY_HASH.first(self._conn, {"secret_hash": secret_hash})
        return SESSION.load(row) if row else None

    def get(self, session_id: int) -> Session | None:
        row = _S.by_id.first(self._conn, {"id": session_id})
        return SESSION.load(row) if row else None

    def of_users(self, user_ids: Sequence[int], alive_at: datetime) -> list[Session]:
        if not user_ids:
            return []
        rows = self._conn.execute(_SESSIONS_OF, {"user_ids": sorted(set(user_ids)),
                                                 "at": alive_at})
        return [SESSION.load(r) for r in rows]

    def save(self, session: Session) -> None:
        _S.save.rows(self._conn, _S.params(session))

    def end_all(self, user_id: int, at: datetime) -> int:
        return int(self._conn.execute(_END_ALL, {"v_user_id": user_id, "v_at": at}).rowcount or 0)

    def prune(self, before: datetime) -> int:
        return int(self._conn.execute(_PRUNE, {"before": before}).rowcount or 0)
