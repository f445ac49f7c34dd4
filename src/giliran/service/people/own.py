"""A user's own account: their password (with the current one), name and language."""

from __future__ import annotations

from giliran.domain import audit
from giliran.domain.errors import Forbidden, InvalidInput, Unauthorized
from giliran.domain.model import Language
from giliran.domain.people import User, check_password
from giliran.service.context import Context, Principal
from giliran.service.people.accounts import Hashed, audit_user, passwords_of, user_or_404


def check_new_password(ctx: Context, who: Principal, current: str, new: str) -> Hashed:
    """The current password must match and the new one pass the rules; the new one hashed.
    Reads only."""
    user_id = _own(who)
    hashes = passwords_of(ctx)
    with ctx.uow(write=False) as uow:
        user = user_or_404(uow, user_id)
    ok, _ = hashes.verify(current, user.password_hash)
    if not ok:
        raise Unauthorized("the current password is wrong")
    check_password(new, hashes.common, email=user.email, name=user.name)
    if new == current:
        raise InvalidInput("choose a password different from the current one")
    return Hashed(hashes.hash(new))


def change_own_password(ctx: Context, who: Principal, hashed_as: Hashed) -> User:
    """With `check_new_password`'s hash. The other sessions end; this one stays."""
    user_id = _own(who)
    hashed = hashed_as.hash
    now = ctx.clock.now()
    with ctx.uow(write=True, defer_lock=True) as uow:
        user = user_or_404(uow, user_id)
        before = audit.user_fields(user)
        user.password_hash, user.must_change_password = hashed, False
        user.password_changed_at = now
        uow.users.save(user)
        for session in uow.sessions.of_users([user.id], now):
            if session.id != who.session_id:
                session.ended_at = now
                uow.sessions.save(session)
        audit_user(uow, now, who, user, before, "password changed")
        uow.commit()
    return user


def me(ctx: Context, who: Principal) -> User | None:
    """The signed-in user (None for the break-glass, intake and command-line keys)."""
    if who.user_id is None:
        return None
    with ctx.uow(write=False) as uow:
        return uow.users.get(who.user_id)


def update_me(ctx: Context, who: Principal, *, name: str | None = None,
              language: Language | None = None) -> User:
    user_id = _own(who)
    now = ctx.clock.now()
    with ctx.uow(write=True, defer_lock=True) as uow:
        user = user_or_404(uow, user_id)
        before = audit.user_fields(user)
        if name is not None:
            user.name = name.strip()
        if language is not None:
            user.language = language
        uow.users.save(user)
        audit_user(uow, now, who, user, before, "changed")
        uow.commit()
    return user


def _own(who: Principal) -> int:
    if who.user_id is None:
        raise Forbidden("only a signed-in user has a password, name and language of their own")
    return who.user_id
