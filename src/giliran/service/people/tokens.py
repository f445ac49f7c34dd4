"""Personal API tokens: a user makes one for a script or an integration (an intake token is
one with the intake role), with a role no higher than their own and an expiry; it is shown
once and kept hashed; its owner or an admin revokes it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from giliran.domain import audit
from giliran.domain.errors import Forbidden, InvalidInput, NotFound
from giliran.domain.people import ApiToken, Can, Role, may_grant
from giliran.service.audit_log import append_entry
from giliran.service.context import Context, Principal, hash_token
from giliran.service.people.access import TOKEN_PREFIX
from giliran.service.people.accounts import user_or_404
from giliran.service.ports import UnitOfWork
from giliran.service.recording import record_user_change

MAX_DAYS = 3650


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once


def create_token(ctx: Context, who: Principal, name: str, role: Role,
                 expires_in_days: int | None) -> NewToken:
    if who.user_id is None:
        raise Forbidden("a personal token belongs to a user: sign in as one to make it")
    who.require(*Can)  # signed in, and not waiting to choose a password
    if not may_grant(who.role, role):
        raise Forbidden(f"a token's role is at most yours ({who.role.value})")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        raise InvalidInput(f"expires_in_days is between 1 and {MAX_DAYS}")
    now = ctx.clock.now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow(write=True, defer_lock=True) as uow:
        user = user_or_404(uow, who.user_id)
        if role is Role.AGENT and user.agent_id is None:
            raise InvalidInput("only an agent's token acts as an agent")
        token = uow.api_tokens.add(ApiToken(
            0, user.id, name.strip(), role, hash_token(secret), now,
            now + timedelta(days=expires_in_days) if expires_in_days else None))
        _audit(uow, who, token, None, "created")
        uow.commit()
    return NewToken(token, secret)


def list_tokens(ctx: Context, who: Principal, *, everyone: bool = False) -> list[ApiToken]:
    """One's own tokens; with `everyone`, an admin's view of all of them."""
    if everyone:
        who.require(Can.PEOPLE)
    elif who.user_id is None:
        return []
    with ctx.uow(write=False) as uow:
        if everyone:
            return uow.api_tokens.all()
        return uow.api_tokens.of_user(who.user_id or 0)


def revoke_token(ctx: Context, who: Principal, token_id: int) -> ApiToken:
    """Its owner's, or an admin's; revoking twice changes nothing."""
    now = ctx.clock.now()
    with ctx.uow(write=True, defer_lock=True) as uow:
        token = uow.api_tokens.get(token_id)
        if token is None or (token.user_id != who.user_id and not who.can(Can.PEOPLE)):
            raise NotFound(f"no token {token_id} you may revoke")
        if token.revoked_at is None:
            before = audit.token_fields(token)
            token.revoked_at = now
            uow.api_tokens.save(token)
            _audit(uow, who, token, before, "revoked")
            if (user := uow.users.get(token.user_id)) is not None:
                record_user_change(uow, user, "token revoked", now, who.by)  # its sockets close
            uow.commit()
    return token


def _audit(uow: UnitOfWork, who: Principal, token: ApiToken,
           before: dict[str, object] | None, action: str) -> None:
    append_entry(uow, audit.change(
        at=token.revoked_at or token.created_at, actor=who.by, kind=audit.AuditKind.TOKEN,
        subject=str(token.id), action=action, before=before, after=audit.token_fields(token)))
