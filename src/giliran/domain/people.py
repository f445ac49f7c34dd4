"""People: who may sign in, with which role, and what each role may do.

A user is a person (or an integration) with a name, an email, a role and a password or none.
Their keys are sessions (a browser signed in with email and password) and personal API
tokens (a role no higher than their own). An agent is a user with the agent role and their
agent record; the agent's old token still works as that agent's API token.

Roles rank owner > admin > supervisor > agent; `intake` is a role for tokens only (an
integration that posts tickets). What a role may do is a set of capabilities (`Can`), so a
use case asks for what it needs ("supervise"), not for a list of roles.

Every change names its person: `Actor` is who did it, as the history, the audit log and the
webhooks keep it (the key as before, "admin", "agent:5", "system"; and now the user, their
name at the time and how they came).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from giliran.domain.actor import BREAK_GLASS as BREAK_GLASS
from giliran.domain.actor import CLI as CLI
from giliran.domain.actor import SYSTEM as SYSTEM
from giliran.domain.actor import Actor as Actor
from giliran.domain.actor import Via as Via
from giliran.domain.actor import channel_actor as channel_actor
from giliran.domain.errors import InvalidInput
from giliran.domain.model import Language


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    INTAKE = "intake"  # tokens only: an integration that posts tickets


USER_ROLES = (Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
RANK = {Role.OWNER: 4, Role.ADMIN: 3, Role.SUPERVISOR: 2, Role.AGENT: 1, Role.INTAKE: 1}


class Can(StrEnum):
    """What a use case needs of its caller."""

    OWN = "own"  # owners: give or take the owner role
    PEOPLE = "people"  # users, their roles, passwords and tokens
    CONFIGURE = "configure"  # agents' settings, queues' policy, settings, webhooks
    SUPERVISE = "supervise"  # tickets, agents' work, rotation and pointer, reports, what-if
    INTAKE = "intake"  # post tickets
    WORK = "work"  # an agent's own work


CAPABILITIES: dict[Role, frozenset[Can]] = {
    Role.OWNER: frozenset(Can) - {Can.WORK},
    Role.ADMIN: frozenset({Can.PEOPLE, Can.CONFIGURE, Can.SUPERVISE, Can.INTAKE}),
    Role.SUPERVISOR: frozenset({Can.SUPERVISE, Can.INTAKE}),
    Role.AGENT: frozenset({Can.WORK}),
    Role.INTAKE: frozenset({Can.INTAKE}),
}


def can(role: Role, need: Can) -> bool:
    return need in CAPABILITIES[role]


def may_grant(granter: Role, role: Role) -> bool:
    """A user gives (to another user or a token) only a role no higher than their own; the
    owner role only an owner."""
    return RANK[role] <= RANK[granter] and (role is not Role.OWNER or granter is Role.OWNER)


@dataclass
class User:
    id: int
    email: str | None  # None only for agents carried over from before users, until given one
    name: str
    role: Role
    password_hash: str | None = None  # None: signs in with tokens only
    language: Language = Language.EN
    active: bool = True
    # A supervisor's queues: empty means every queue.
    queues: frozenset[str] = frozenset()
    agent_id: int | None = None  # the agent record of a user with the agent role
    # Set with a password someone else chose (bootstrap, an invite, a reset): until the user
    # chooses their own, a session may only do that (and read who it is, and sign out).
    must_change_password: bool = False
    created_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    password_changed_at: datetime | None = None

    @property
    def actor_key(self) -> str:
        return f"agent:{self.agent_id}" if self.agent_id is not None else f"user:{self.id}"


@dataclass
class ApiToken:
    id: int
    user_id: int
    name: str
    role: Role
    token_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass
class Session:
    """A signed-in browser. The cookie holds a secret; only its hash is kept."""

    id: int
    user_id: int
    secret_hash: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # absolute: the session ends then however busy it is
    ended_at: datetime | None = None
    address: str = ""
    user_agent: str = ""

    def alive(self, now: datetime, idle: timedelta) -> bool:
        return (self.ended_at is None and now < self.expires_at
                and now < self.last_seen_at + idle)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(hours=8)  # a shift without a request ends the session
    absolute: timedelta = timedelta(days=7)
    touch_every: timedelta = timedelta(minutes=1)  # how often "last seen" is written


# Passwords -------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # Argon2 takes any length; a limit keeps a request cheap


def password_problem(password: str, common: frozenset[str], *,
                     email: str | None = None, name: str | None = None) -> str | None:
    """Why a password may not be used, or None. NIST 800-63B: a minimum length, no list of
    common passwords, no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    if lowered in common or len(set(lowered)) < 4:
        return "this password is too common; choose another"
    for own in (email, email.split("@")[0] if email else None, name):
        if own and len(own) >= 4 and own.lower() in lowered:
            return "a password may not contain your email or name"
    return None


def check_password(password: str, common: frozenset[str], **own: str | None) -> None:
    problem = password_problem(password, common, **own)
    if problem is not None:
        raise InvalidInput(problem)


def normal_email(email: str) -> str:
    """Emails are unique case-insensitively: kept and compared in lower case."""
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or not domain or " " in cleaned or len(cleaned) > 254:
        raise InvalidInput("an email looks like name@example.com")
    return cleaned


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins: slowed from the `slow_after`th, refused from the `refuse_after`th
    in a window, per account and per address."""

    slow_after: int = 3
    refuse_after: int = 10
    window: timedelta = timedelta(minutes=15)
    per_address: int = 30

    def delay(self, failures: int) -> float:
        """Seconds to wait before answering a failed sign-in (doubling, at most 4)."""
        extra = failures - self.slow_after
        return 0.0 if extra < 0 else min(4.0, 0.25 * 2 ** extra)


def users_left_to_own(users: list[User], without: int) -> int:
    """Active owners other than user `without`: the last owner cannot be demoted or
    deactivated, or nobody could manage people."""
    return sum(1 for u in users if u.role is Role.OWNER and u.active and u.id != without)

