"""Who a request comes from: a bearer token (the break-glass admin token, an intake token
from the settings, a personal API token, an agent's token) or a session cookie.

Tokens are 256-bit random secrets, so a fast hash finds them; only hashes are kept. A
personal token acts with its own role, never above its user's current one, and stops with
its user. "Last used" is written at most once a minute per token or session, so a busy page
costs reads, not writes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from giliran.domain.errors import Unauthorized
from giliran.domain.people import RANK, ApiToken, Role, Session, User, Via
from giliran.service.context import Context, Principal, authenticate_static, hash_token
from giliran.service.ports import UnitOfWork

TOKEN_PREFIX = "glp_"  # personal API tokens (agents' tokens start gla_)


@dataclass(frozen=True)
class Seen:
    """A token or session whose "last used" is due to be written (at most once a minute):
    the caller writes it on the writer path (`note_use`)."""

    token_id: int | None = None
    session_id: int | None = None


def authenticate(ctx: Context, token: str | None) -> Principal:
    return check_token(ctx, token)[0]


def check_token(ctx: Context, token: str | None) -> tuple[Principal, Seen | None]:
    """Reads only."""
    if not token:
        raise Unauthorized("missing bearer token")
    static = authenticate_static(ctx, token)
    if static is not None:
        return static, None
    now = ctx.clock.now()
    hashed = hash_token(token)
    with ctx.uow(write=False) as uow:
        if token.startswith(TOKEN_PREFIX):
            found = uow.api_tokens.by_hash(hashed)
            user = uow.users.get(found.user_id) if found is not None else None
            if found is None or user is None or not user.active or not found.usable(now):
                raise Unauthorized("invalid, expired or revoked token")
            who = _through_token(found, user)
            stale = _stale(found.last_used_at, now, ctx)
        else:
            who = _through_agent_token(uow, hashed)
            stale, found = False, None
    return who, Seen(token_id=found.id) if stale and found is not None else None


def note_use(ctx: Context, seen: Seen) -> None:
    now = ctx.clock.now()
    with ctx.uow(write=True, defer_lock=True) as uow:
        if seen.token_id is not None:
            uow.api_tokens.used(seen.token_id, now)
        if seen.session_id is not None and (found := uow.sessions.get(seen.session_id)):
            found.last_seen_at = now
            uow.sessions.save(found)
        uow.commit()


def _through_token(token: ApiToken, user: User) -> Principal:
    role = token.role if RANK[token.role] <= RANK[user.role] else user.role
    if role is Role.AGENT and user.agent_id is None:
        raise Unauthorized("this token's agent role has no agent behind it")
    return Principal(role, user.agent_id if role is Role.AGENT else None, user.id, user.name,
                     Via.TOKEN, token_name=token.name, queues=user.queues)


def _through_agent_token(uow: UnitOfWork, hashed: str) -> Principal:
    agent = uow.agents.by_token_hash(hashed)
    if agent is None or not agent.active:
        raise Unauthorized("invalid or revoked token")
    user = uow.users.by_agent(agent.id)
    if user is not None and not user.active:
        raise Unauthorized("invalid or revoked token")
    return Principal(Role.AGENT, agent.id, user.id if user is not None else None,
                     user.name if user is not None else agent.name, Via.AGENT_TOKEN)


def session_principal(ctx: Context, secret: str) -> tuple[Principal, Seen | None]:
    """The signed-in user of a session cookie; 401 once it ended, idled out or expired, or
    its user was deactivated. Reads only."""
    now = ctx.clock.now()
    with ctx.uow(write=False) as uow:
        session = uow.sessions.by_hash(hash_token(secret))
        user = uow.users.get(session.user_id) if session is not None else None
    if (session is None or user is None or not user.active
            or not session.alive(now, ctx.sessions.idle)):
        raise Unauthorized("your session ended; sign in again")
    seen = Seen(session_id=session.id) if _stale(session.last_seen_at, now, ctx) else None
    return principal_of_session(user, session), seen


def principal_of_session(user: User, session: Session) -> Principal:
    return Principal(user.role, user.agent_id, user.id, user.name, Via.SESSION,
                     session_id=session.id, queues=user.queues,
                     password_change_required=user.must_change_password)


def csrf_token(secret: str) -> str:
    """The session's CSRF token: derived from its secret, so nothing more is stored, and a
    page of another site (which cannot read our responses) cannot know it."""
    return hmac.new(secret.encode(), b"giliran csrf", hashlib.sha256).hexdigest()


def csrf_matches(secret: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(secret).encode(), sent.encode())


def _stale(last: datetime | None, now: datetime, ctx: Context) -> bool:
    return last is None or now - last >= ctx.sessions.touch_every

