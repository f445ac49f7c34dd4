"""Who did something, as the history, the audit log and the events keep it.

Its own module, with only the standard library, so the model (a history entry names its
actor) and people (where a principal's actor comes from) can both import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Via(StrEnum):
    """How a change came."""

    SESSION = "session"  # a browser signed in with email and password
    TOKEN = "token"  # a personal API token (its name is kept beside)
    AGENT_TOKEN = "agent_token"  # an agent's token from before users (or POST /agents)
    ADMIN_TOKEN = "admin_token"  # GILIRAN_ADMIN_TOKEN, the break-glass owner key
    INTAKE_TOKEN = "intake_token"  # GILIRAN_INTAKE_TOKENS, kept for integrations set up so
    CLI = "cli"  # a command on the server
    SYSTEM = "system"  # giliran itself (timers, dispatch, escalation)
    CHANNEL = "channel"  # a customer's message on WhatsApp, Telegram...


@dataclass(frozen=True)
class Actor:
    """Who did something. `key` is what the history always said ("admin", "agent:5",
    "user:3", "system", "whatsapp"); the rest says who that was at the time."""

    key: str
    name: str = ""
    via: Via = Via.SYSTEM
    user_id: int | None = None
    token: str | None = None  # the personal token's name, when it came through one

    def __str__(self) -> str:
        return self.key

    @classmethod
    def of_key(cls, key: str) -> Actor:
        """An actor known only by its key: a line written before actors had names. How it
        came follows from the key ("agent:5" had an agent's token, "whatsapp" is a channel)."""
        return cls(key, key, _via_of_key(key))


_VIA_OF_KEY = {"admin": Via.ADMIN_TOKEN, "system": Via.SYSTEM, "cli": Via.CLI,
               "intake": Via.INTAKE_TOKEN, "import": Via.CLI}


def _via_of_key(key: str) -> Via:
    if key.startswith("agent:"):
        return Via.AGENT_TOKEN
    return _VIA_OF_KEY.get(key, Via.CHANNEL)


SYSTEM = Actor("system", "giliran", Via.SYSTEM)
CLI = Actor("cli", "command line", Via.CLI)
BREAK_GLASS = Actor("admin", "admin token", Via.ADMIN_TOKEN)


def channel_actor(channel: str) -> Actor:
    return Actor(channel, channel, Via.CHANNEL)
