"""Signing in with an email and a password, and out; a user's own sessions.

The password check (Argon2id, tens of milliseconds of CPU by design) runs outside any
transaction; the answer for an unknown email, a deactivated user, a user without a password
and a wrong password is the same, and takes as long. Slowing and refusing repeated failures
is the edge's (entrypoints/api/throttle.py), per account and per address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from giliran.domain.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from giliran.domain.people import Session, User, normal_email
from giliran.service.context import Context, Principal, hash_token
from giliran.service.people.accounts import passwords_of
from giliran.service.recording import record_user_change

WRONG = "wrong email or password"


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session
    secret: str  # the cookie's value; only its hash is kept


def sign_in(ctx: Context, email: str, password: str, *, address: str = "",
            user_agent: str = "") -> SignedIn:
    """Both steps at once (the command line, tests); the server runs the check on its
    readers' pool and the session's write on the writer path."""
    user, rehashed = check_sign_in(ctx, email, password)
    return open_session(ctx, user, rehashed, address=address, user_agent=user_agent)


def check_sign_in(ctx: Context, email: str, password: str) -> tuple[User, str | None]:
    """The user whose password this is, and a new hash if theirs uses old parameters.
    Reads only."""
    hashes = passwords_of(ctx)
    try:
        key = normal_email(email)
    except InvalidInput:
        key = ""
    with ctx.uow(write=False) as uow:
        user = uow.users.by_email(key) if key else None
    usable = user is not None and user.active and user.password_hash is not None
    ok, rehashed = hashes.verify(password, user.password_hash if usable and user else None)
    if not ok or user is None:
        raise Unauthorized(WRONG)
    return user, rehashed


def open_session(ctx: Context, user: User, rehashed: str | None, *, address: str = "",
                 user_agent: str = "") -> SignedIn:
    now = ctx.clock.now()
    secret = secrets.token_urlsafe(32)
    with ctx.uow(write=True, defer_lock=True) as uow:
        current = uow.users.get(user.id)
        if current is None or not current.active:
            raise Unauthorized(WRONG)
        current.last_sign_in_at = now
        if rehashed is not None:
            current.password_hash = rehashed
        uow.users.save(current)
        session = uow.sessions.add(Session(
            0, current.id, hash_token(secret), now, now, now + ctx.sessions.absolute,
            address=address[:100], user_agent=user_agent[:300]))
        uow.commit()
    return SignedIn(current, session, secret)


def sign_out(ctx: Context, who: Principal) -> None:
    if who.session_id is None:
        return
    end_session(ctx, who, who.session_id)


def my_sessions(ctx: Context, who: Principal) -> list[Session]:
    """Open sessions, newest first (the current one among them)."""
    if who.user_id is None:
        return []
    now = ctx.clock.now()
    with ctx.uow(write=False) as uow:
        found = uow.sessions.of_users([who.user_id], now)
    return [s for s in found if s.alive(now, ctx.sessions.idle)]


def end_session(ctx: Context, who: Principal, session_id: int) -> None:
    """One of one's own sessions (signing out elsewhere)."""
    if who.user_id is None:
        raise Forbidden("only a signed-in user has sessions")
    now = ctx.clock.now()
    with ctx.uow(write=True, defer_lock=True) as uow:
        session = uow.sessions.get(session_id)
        if session is None or session.user_id != who.user_id:
            raise NotFound(f"no session {session_id} of yours")
        if session.ended_at is None:
            session.ended_at = now
            uow.sessions.save(session)
            if (user := uow.users.get(session.user_id)) is not None:
                record_user_change(uow, user, "session ended", now, who.by)  # its sockets close
            uow.commit()
