"""What every use case receives: how to open a unit of work, the clock, and randomness."""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field

from giliran.domain.conversation import TELEGRAM
from giliran.domain.errors import Forbidden, NotYourQueue, PasswordChangeRequired
from giliran.domain.figures import DEFAULT_BAND
from giliran.domain.model import Language, StrategyName
from giliran.domain.people import CLI, Actor, Can, Role, SessionPolicy, Via, can
from giliran.domain.strategies import SelectionStrategy, make_strategy
from giliran.service.ports import Clock, DestinationCheck, Passwords, UnitOfWorkFactory
from giliran.service.ports.floor import HolidaySource


@dataclass(frozen=True)
class Principal:
    """Who is calling, and through what: a user's session or token, an agent's token, the
    break-glass admin token, an intake token, the command line, or giliran itself."""

    role: Role
    agent_id: int | None = None
    user_id: int | None = None
    name: str = ""
    via: Via = Via.SYSTEM
    token_name: str | None = None  # the personal token's name, when it came through one
    session_id: int | None = None
    # A supervisor limited to some queues; empty: every queue.
    queues: frozenset[str] = frozenset()
    # Signed in with a password someone else chose: only choosing one's own is allowed.
    password_change_required: bool = False

    @property
    def actor(self) -> str:
        """How the history names whoever did something."""
        if self.agent_id is not None:
            return f"agent:{self.agent_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return _KEYS.get(self.via, self.role.value)

    @property
    def by(self) -> Actor:
        """The actor, with the name it had and how it came."""
        return Actor(self.actor, self.name or self.actor, self.via, self.user_id,
                     self.token_name)

    def can(self, need: Can) -> bool:
        return can(self.role, need) and not self.password_change_required

    def require(self, *needs: Can) -> None:
        """Any one of `needs` will do."""
        if self.password_change_required:
            raise PasswordChangeRequired("choose your own password first (POST /api/v1/me/"
                                         "password)")
        if not any(can(self.role, need) for need in needs):
            raise Forbidden(f"this action needs a role that may {' or '.join(needs)} "
                            f"(you are {self.role.value})")

    def sees_queue(self, queue: str) -> bool:
        return not self.queues or queue in self.queues

    def require_queue(self, queue: str) -> None:
        if not self.sees_queue(queue):
            raise NotYourQueue(f"you supervise {', '.join(sorted(self.queues))}, "
                               f"not queue {queue!r}")


_KEYS = {Via.ADMIN_TOKEN: "admin", Via.INTAKE_TOKEN: "intake", Via.CLI: CLI.key,
         Via.SYSTEM: "system"}
# The break-glass owner: GILIRAN_ADMIN_TOKEN, and the use cases run on the server's behalf.
ADMIN = Principal(Role.OWNER, name="admin token", via=Via.ADMIN_TOKEN)
CLI_PRINCIPAL = Principal(Role.OWNER, name="command line", via=Via.CLI)


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
    # People: how passwords are hashed (bootstrap wires Argon2id; contexts built by hand for
    # the floor alone have none, and signing in then says so), and how long sessions last.
    passwords: Passwords | None = None
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    # Where a schedule's holidays are imported from (bootstrap wires the `holidays` library;
    # contexts built by hand have none, and an import then says so).
    holidays: HolidaySource | None = None

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
        return Principal(Role.INTAKE, name="intake token", via=Via.INTAKE_TOKEN)
    return None

