"""Shapes of people: users, sign-in, sessions and personal tokens. No password, hash or
token is ever in a response, except a new token or one-time password, shown once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from giliran.domain.model import Language
from giliran.domain.people import MAX_PASSWORD_LENGTH, ApiToken, Role, Session, User
from giliran.entrypoints.api.schemas import Flag, Name, QueueName, Strict
from giliran.service.context import Principal
from giliran.service.people.tokens import MAX_DAYS

Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=100)]
SupervisedQueues = Annotated[list[QueueName], Field(max_length=100, description=(
    "A supervisor's queues; empty: every queue"))]


class LoginIn(Strict):
    email: Annotated[str, StringConstraints(max_length=254)]
    password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]


class UserOut(BaseModel):
    id: int
    email: str | None = Field(description="null only for an agent carried over from before "
                                          "users, until an admin gives one")
    name: str
    role: Role
    language: Language
    active: bool
    queues: list[str] = Field(description="A supervisor's queues; empty: every queue")
    agent_id: int | None = Field(description="The agent record of a user with the agent role")
    has_password: bool = Field(description="false: signs in with tokens only")
    must_change_password: bool
    created_at: datetime | None
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email, name=user.name, role=user.role,
                   language=user.language, active=user.active, queues=sorted(user.queues),
                   agent_id=user.agent_id, has_password=user.password_hash is not None,
                   must_change_password=user.must_change_password,
                   created_at=user.created_at, last_sign_in_at=user.last_sign_in_at)


class UserListed(UserOut):
    sessions: int = Field(description="Signed in now, on this many browsers")
    tokens: int = Field(description="Usable personal tokens")


class UserCreate(Strict):
    email: Email
    name: Name
    role: Role
    password: Password | None = Field(default=None, description=(
        "At least 10 characters, not a common password. Without one a one-time password is "
        "made and answered once (the user chooses their own at first sign-in), unless "
        "token_only"))
    token_only: Flag = Field(default=False, description="An integration: no password")
    language: Language | None = None
    queues: SupervisedQueues = Field(default_factory=list)


class UserCreated(UserOut):
    one_time_password: str | None = Field(description="Shown once; give it to the person")


class UserPatch(Strict):
    email: Email | None = None
    name: Name | None = None
    role: Role | None = None
    language: Language | None = None
    queues: SupervisedQueues | None = None
    active: Flag | None = Field(default=None, description="false deactivates: sessions end "
                                "and tokens are revoked at once")


class OneTimePassword(BaseModel):
    one_time_password: str = Field(description="Shown once; their sessions ended")


class MeOut(BaseModel):
    """Who is calling, and through what."""

    user: UserOut | None = Field(description="null for the admin token and intake tokens")
    name: str
    role: Role
    via: str = Field(description="session, token, agent_token, admin_token, intake_token")
    token_name: str | None
    agent_id: int | None
    queues: list[str]
    password_change_required: bool
    csrf_token: str | None = Field(description="With a session: send it back as X-CSRF-Token "
                                               "on every change")

    @classmethod
    def of(cls, who: Principal, user: User | None, csrf: str | None) -> MeOut:
        return cls(user=UserOut.of(user) if user is not None else None, name=who.name,
                   role=who.role, via=who.via.value, token_name=who.token_name,
                   agent_id=who.agent_id, queues=sorted(who.queues),
                   password_change_required=who.password_change_required, csrf_token=csrf)


class LoginOut(MeOut):
    expires_at: datetime = Field(description="The session ends then at the latest (it ends "
                                 "sooner after a shift without a request)")


class MePatch(Strict):
    name: Name | None = None
    language: Language | None = None


class PasswordChange(Strict):
    current_password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]
    new_password: Password


class SessionOut(BaseModel):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str
    user_agent: str
    current: bool

    @classmethod
    def of(cls, session: Session, current: int | None) -> SessionOut:
        return cls(id=session.id, created_at=session.created_at,
                   last_seen_at=session.last_seen_at, expires_at=session.expires_at,
                   address=session.address, user_agent=session.user_agent,
                   current=session.id == current)


class TokenCreate(Strict):
    name: TokenName
    role: Role
    expires_in_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=90, description="null: never expires")


class TokenOut(BaseModel):
    id: int
    user_id: int
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(id=token.id, user_id=token.user_id, name=token.name, role=token.role,
                   created_at=token.created_at, expires_at=token.expires_at,
                   last_used_at=token.last_used_at, revoked_at=token.revoked_at)


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once: giliran keeps only its hash")
