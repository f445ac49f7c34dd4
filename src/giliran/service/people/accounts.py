"""Users: admins invite, change and deactivate people; everyone changes their own password,
name and language. Every change is in the audit log (without passwords).

Who may change whom: a user with the people capability (owner, admin) gives only roles no
higher than their own, and only an owner changes an owner. The last active owner stays.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from giliran.domain import audit
from giliran.domain.errors import (
    EmailTaken,
    Forbidden,
    InvalidInput,
    LastOwner,
    NotConfigured,
    NotFound,
)
from giliran.domain.model import DEFAULT_QUEUE, Agent, Language, Reason
from giliran.domain.people import (
    USER_ROLES,
    Can,
    Role,
    User,
    check_password,
    may_grant,
    normal_email,
    users_left_to_own,
)
from giliran.service.agents.agents import retire
from giliran.service.assignment import reach
from giliran.service.assignment.dispatch import dispatch
from giliran.service.audit_log import append_entry, record_agent
from giliran.service.context import Context, Principal, hash_token
from giliran.service.keys import end_access
from giliran.service.ports import Passwords, UnitOfWork
from giliran.service.recording import record_user_change


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    role: Role
    password: str | None = None  # None: a one-time password is made, unless token_only
    token_only: bool = False  # an integration: no password, it signs in with tokens
    language: Language | None = None
    queues: frozenset[str] = frozenset()  # a supervisor's queues; empty: all


@dataclass(frozen=True)
class UserChanges:
    """Only the fields that are not None change."""

    email: str | None = None
    name: str | None = None
    role: Role | None = None
    language: Language | None = None
    queues: frozenset[str] | None = None
    active: bool | None = None


@dataclass(frozen=True)
class Created:
    user: User
    one_time_password: str | None  # shown once, to give to the person


@dataclass(frozen=True)
class UserView:
    user: User
    sessions: int  # open now
    tokens: int  # usable now


def one_time_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


def passwords_of(ctx: Context) -> Passwords:
    if ctx.passwords is None:
        raise NotConfigured("this server has no password hashing configured")
    return ctx.passwords


@dataclass(frozen=True)
class Hashed:
    """A password, hashed before the write (Argon2id takes tens of milliseconds of CPU by
    design: the server does it on its readers' pool, not on the writer path)."""

    hash: str | None
    given: str | None = None  # a one-time password we chose, to show once


def prepare(ctx: Context, who: Principal, new: NewUser) -> Hashed:
    """Checks what needs no storage, and hashes the password (or a one-time one)."""
    who.require(Can.PEOPLE)
    _may_give(who, new.role)
    if new.role not in USER_ROLES:
        raise InvalidInput(f"a user's role is one of {', '.join(USER_ROLES)}")
    email = normal_email(new.email)
    hashes = passwords_of(ctx)
    chosen = new.password
    if chosen is not None:
        check_password(chosen, hashes.common, email=email, name=new.name)
    given = None if chosen is not None or new.token_only else one_time_password()
    password = chosen or given
    return Hashed(hashes.hash(password) if password is not None else None, given)


def create_user(ctx: Context, who: Principal, new: NewUser,
                hashed_as: Hashed | None = None) -> Created:
    """`hashed_as`: from `prepare` (made here when not given)."""
    prepared = hashed_as or prepare(ctx, who, new)
    who.require(Can.PEOPLE)
    _may_give(who, new.role)
    email = normal_email(new.email)
    hashed, given = prepared.hash, prepared.given
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        if uow.users.by_email(email) is not None:
            raise EmailTaken(f"{email} already has an account")
        _require_queues(uow, new.queues, new.role)
        user = User(0, email, new.name.strip(), new.role, hashed,
                    new.language or ctx.default_language, queues=new.queues,
                    must_change_password=given is not None, created_at=now,
                    password_changed_at=now if hashed else None)
        if new.role is Role.AGENT:
            agent = uow.agents.add(Agent(0, user.name, language=user.language,
                                         language_chosen=new.language is not None,
                                         queues=frozenset({DEFAULT_QUEUE})),
                                   # an agent token nobody is shown: this agent signs in
                                   # with its password, or makes personal tokens
                                   hash_token(secrets.token_urlsafe(32)))
            user.agent_id = agent.id
            record_agent(uow, now, who.by, agent, None, action="created")
        uow.users.add(user)
        audit_user(uow, now, who, user, None, "created")
        uow.commit()
    return Created(user, given)


def list_users(ctx: Context, who: Principal) -> list[UserView]:
    who.require(Can.PEOPLE)
    now = ctx.clock.now()
    with ctx.uow(write=False) as uow:
        users = uow.users.all()
        idle = ctx.sessions.idle
        open_ = uow.sessions.of_users([u.id for u in users], now)
        sessions = [s for s in open_ if s.alive(now, idle)]
        tokens = [t for t in uow.api_tokens.all() if t.usable(now)]
    return [UserView(u, sum(s.user_id == u.id for s in sessions),
                     sum(t.user_id == u.id for t in tokens)) for u in users]


def get_user(ctx: Context, who: Principal, user_id: int) -> User:
    who.require(Can.PEOPLE)
    with ctx.uow(write=False) as uow:
        return user_or_404(uow, user_id)


def update_user(ctx: Context, who: Principal, user_id: int, changes: UserChanges) -> User:
    """An email, a name, a role, a language, a supervisor's queues; `active` False
    deactivates (as deactivate_user), True lets a deactivated user sign in again."""
    who.require(Can.PEOPLE)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        user = user_or_404(uow, user_id)
        _may_change(who, user)
        before = audit.user_fields(user)
        if changes.email is not None:
            email = normal_email(changes.email)
            taken = uow.users.by_email(email)
            if taken is not None and taken.id != user.id:
                raise EmailTaken(f"{email} already has an account")
            user.email = email
        if changes.role is not None and changes.role is not user.role:
            _change_role(uow, who, user, changes.role)
        if changes.name is not None:
            user.name = changes.name.strip()
        if changes.language is not None:
            user.language = changes.language
        if changes.queues is not None:
            _require_queues(uow, changes.queues, user.role)
            user.queues = changes.queues
        action = "changed"
        if changes.active is not None and changes.active != user.active:
            action = _switch(ctx, uow, who, user, changes.active, now)
        uow.users.save(user)
        audit_user(uow, now, who, user, before, action)
        uow.commit()
    return user


def deactivate_user(ctx: Context, who: Principal, user_id: int) -> User:
    """They can no longer sign in; their sessions end and their tokens are revoked at once,
    and an agent's tickets go back to their queues."""
    return update_user(ctx, who, user_id, UserChanges(active=False))


def one_time(ctx: Context) -> Hashed:
    given = one_time_password()
    return Hashed(passwords_of(ctx).hash(given), given)


def reset_password(ctx: Context, who: Principal, user_id: int,
                   hashed_as: Hashed | None = None) -> str:
    """A one-time password for the user (shown once); their sessions end, and their next
    sign-in must choose a password of their own. `hashed_as`: from `one_time`."""
    who.require(Can.PEOPLE)
    prepared = hashed_as or one_time(ctx)
    hashed, given = prepared.hash, prepared.given or ""
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        user = user_or_404(uow, user_id)
        _may_change(who, user)
        before = audit.user_fields(user)
        user.password_hash, user.must_change_password = hashed, True
        user.password_changed_at = now
        uow.users.save(user)
        uow.sessions.end_all(user.id, now)
        audit_user(uow, now, who, user, before, "password reset")
        uow.commit()
    return given


def ensure_owner(ctx: Context, who: Principal, email: str) -> tuple[User, str | None]:
    """The first start's owner: made with a one-time password (returned, to print once)
    when nobody can manage people yet; otherwise the existing owner and None."""
    with ctx.uow(write=False) as uow:
        owners = [u for u in uow.users.all() if u.role is Role.OWNER and u.active]
    if owners:
        return owners[0], None
    try:
        created = create_user(ctx, who, NewUser(email, "Owner", Role.OWNER))
    except EmailTaken:  # another host starting at the same moment made it: theirs prints it
        with ctx.uow(write=False) as uow:
            found = uow.users.by_email(normal_email(email))
        if found is None:
            raise
        return found, None
    return created.user, created.one_time_password


def user_or_404(uow: UnitOfWork, user_id: int) -> User:
    found = uow.users.get(user_id)
    if found is None:
        raise NotFound(f"no user with id {user_id}")
    return found


def by_email_or_404(ctx: Context, who: Principal, email: str) -> User:
    who.require(Can.PEOPLE)
    with ctx.uow(write=False) as uow:
        found = uow.users.by_email(normal_email(email))
    if found is None:
        raise NotFound(f"no user with email {email}")
    return found


def _may_give(who: Principal, role: Role) -> None:
    if not may_grant(who.role, role):
        raise Forbidden(f"a{'n' if who.role.value[0] in 'aeiou' else ''} {who.role.value} "
                        f"cannot give the {role.value} role")


def _may_change(who: Principal, user: User) -> None:
    if user.role is Role.OWNER and not who.can(Can.OWN):
        raise Forbidden("only an owner changes an owner")


def _change_role(uow: UnitOfWork, who: Principal, user: User, role: Role) -> None:
    _may_give(who, role)
    if role not in USER_ROLES:
        raise InvalidInput(f"a user's role is one of {', '.join(USER_ROLES)}")
    if (user.role is Role.AGENT) != (role is Role.AGENT):
        raise InvalidInput("an agent stays an agent (its agent record and history are "
                           "its); give the person a second account for the other role")
    if user.role is Role.OWNER and users_left_to_own(uow.users.all(), user.id) == 0:
        raise LastOwner("the last active owner keeps the owner role")
    user.role = role


def _switch(ctx: Context, uow: UnitOfWork, who: Principal, user: User, active: bool,
            now: datetime) -> str:
    if not active:
        if user.role is Role.OWNER and users_left_to_own(uow.users.all(), user.id) == 0:
            raise LastOwner("the last active owner cannot be deactivated")
        end_access(uow, user, now)
    user.active = active
    if user.agent_id is not None:
        agent = uow.agents.get(user.agent_id)
        if agent is not None and agent.active != active:
            agent_before = audit.agent_fields(agent)
            if active:
                agent.active = True
            else:
                retire(ctx, uow, agent, who.by)
            uow.agents.save(agent)
            record_agent(uow, now, who.by, agent, agent_before,
                         action="changed" if active else "deactivated")
            reach.reconsider(uow, agent.queues, now)
            dispatch(ctx, uow, Reason.AUTO)  # its tickets went back to their queues
    return "reactivated" if active else "deactivated"


def _require_queues(uow: UnitOfWork, queues: frozenset[str], role: Role) -> None:
    if queues and role is not Role.SUPERVISOR:
        raise InvalidInput("only a supervisor is limited to some queues")
    unknown = sorted(q for q in queues if uow.queues.get(q) is None)
    if unknown:
        raise InvalidInput(f"no queue named {unknown[0]!r}")


def audit_user(uow: UnitOfWork, now: datetime, who: Principal, user: User,
               before: dict[str, object] | None, action: str) -> None:
    append_entry(uow, audit.change(at=now, actor=who.by, kind=audit.AuditKind.USER,
                                   subject=str(user.id), action=action, before=before,
                                   after=audit.user_fields(user)))
    record_user_change(uow, user, action, now, who.by)
