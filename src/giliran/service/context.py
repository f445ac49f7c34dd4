"""What every use case receives: how to open a unit of work, the clock, and randomness."""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field
from enum import StrEnum

from giliran.domain.conversation import TELEGRAM
from giliran.domain.errors import Forbidden, Unauthorized
from giliran.domain.figures import DEFAULT_BAND
from giliran.domain.lifecycle import SYSTEM_ACTOR as SYSTEM_ACTOR
from giliran.domain.model import Language, StrategyName
from giliran.domain.strategies import SelectionStrategy, make_strategy
from giliran.service.ports import Clock, DestinationCheck, UnitOfWorkFactory


class Role(StrEnum):
    ADMIN = "admin"
    INTAKE = "intake"
    AGENT = "agent"


@dataclass(frozen=True)
class Principal:
    role: Role
    agent_id: int | None = None

    @property
    def actor(self) -> str:
        """How the history names whoever did something."""
        return f"agent:{self.agent_id}" if self.role is Role.AGENT else self.role.value

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"this action needs the {' or '.join(r.value for r in roles)} role")


ADMIN = Principal(Role.ADMIN)


@dataclass
class Context:
    uow: UnitOfWorkFactory
    clock: Clock
    admin_token: str
    intake_tokens: tuple[str, ...] = ()
    rng: random.Random = field(default_factory=random.Random)
    # Until an admin changes it at run time (stored in the database, shared by replicas).
    presence_grace_seconds: int = 300
    # The channels this deployment can send on (a Telegram bot, a WhatsApp number with its
    # access token), and the approved WhatsApp template ("name:language") that re-opens a
    # conversation after the 24-hour window, if one is configured.
    sending: frozenset[str] = frozenset()
    # The channels whose customers are told that their ticket is resolved: bootstrap reads
    # each channel's `tells_resolved` from the registry; the default keeps the contexts built
    # by hand (the simulator, the contract tests) as they were.
    tells_resolved: frozenset[str] = frozenset({TELEGRAM})
    whatsapp_template: str | None = None
    # Where outgoing webhooks may go (bootstrap wires the real check; in-memory tests take
    # any destination).
    destinations: DestinationCheck = field(default_factory=lambda: AnyDestination())
    # New agents' chat language (GILIRAN_DEFAULT_LANGUAGE), and the utilization a desk aims
    # for (GILIRAN_UTILIZATION_BAND), shown beside the figures.
    default_language: Language = Language.EN
    utilization_band: tuple[float, float] = DEFAULT_BAND

    def strategy(self, name: StrategyName,
                 pointer: tuple[int, int] | None = None) -> SelectionStrategy:
        return make_strategy(name, self.rng, pointer)


class AnyDestination:
    def check(self, url: str) -> None:
        return None


def hash_token(token: str) -> str:
    # Tokens are 256-bit random secrets, so a fast hash is enough; only the hash is stored.
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_static(ctx: Context, token: str) -> Principal | None:
    """Admin and intake tokens live in the settings: no storage needed to check them."""
    if hmac.compare_digest(token.encode(), ctx.admin_token.encode()):
        return ADMIN
    if any(hmac.compare_digest(token.encode(), t.encode()) for t in ctx.intake_tokens):
        return Principal(Role.INTAKE)
    return None


def authenticate(ctx: Context, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("missing bearer token")
    static = authenticate_static(ctx, token)
    if static is not None:
        return static
    with ctx.uow(write=False) as uow:
        agent = uow.agents.by_token_hash(hash_token(token))
    if agent is None or not agent.active:
        raise Unauthorized("invalid or revoked token")
    return Principal(Role.AGENT, agent.id)
