"""A supervisor's own Telegram chat, where SLA warnings and breaches of its queues reach it:
linked as an agent's is, with a one-time code (`/start CODE` to the bot, 15 minutes, only its
hash stored), unlinked by the supervisor itself.

The least that lets a supervisor hear on Telegram: the links and codes are kept in the
settings store every process shares (`sv_chat:<user id>`), not in a table of their
own; a supervisor's chat receives alerts and gives no commands.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from giliran.domain.errors import InvalidInput
from giliran.domain.model import Language
from giliran.domain.people import Can, User, can
from giliran.service.context import Context, Principal, hash_token
from giliran.service.ports import UnitOfWork

CODE_LIFETIME = timedelta(minutes=15)
ANY = "sv_chat.any"  # "1" once any supervisor linked a chat: the notices pass listens


@dataclass(frozen=True)
class SupervisorChat:
    user_id: int
    chat_id: str
    language: str


def _user_of(who: Principal) -> int:
    who.require(Can.SUPERVISE)
    if who.user_id is None:
        raise InvalidInput("only a person's own account links a chat (not the admin token)")
    return who.user_id


def my_link_code(ctx: Context, who: Principal,
                 language: Language | None = None) -> tuple[str, datetime]:
    """`language`: the alerts' language (the console's); None: the chat's own."""
    user_id = _user_of(who)
    code = secrets.token_hex(5).upper()
    expires_at = ctx.clock.now() + CODE_LIFETIME
    with ctx.uow(write=True) as uow:
        uow.settings.put(_code_key(hash_token(code)), json.dumps(
            {"user_id": user_id, "expires_at": expires_at.isoformat(),
             "language": language.value if language else None}))
        uow.commit()
    return code, expires_at


def take_code(uow: UnitOfWork, code_hash: str, now: datetime) -> tuple[User, str | None] | None:
    """The active supervisor a code links and the language it chose, once: the code is used
    up either way."""
    stored = uow.settings.get(_code_key(code_hash))
    if not stored:
        return None
    uow.settings.put(_code_key(code_hash), "")
    found = json.loads(stored)
    if datetime.fromisoformat(found["expires_at"]) <= now:
        return None
    user = uow.users.get(int(found["user_id"]))
    if user is None or not user.active or not can(user.role, Can.SUPERVISE):
        return None
    return user, found.get("language")


def link(uow: UnitOfWork, user: User, chat_id: str, language: str) -> None:
    uow.settings.put(_chat_key(user.id), json.dumps({"chat_id": chat_id,
                                                     "language": language}))
    uow.settings.put(ANY, "1")


def chat_of(uow: UnitOfWork, user_id: int) -> SupervisorChat | None:
    stored = uow.settings.get(_chat_key(user_id))
    if not stored:
        return None
    found = json.loads(stored)
    return SupervisorChat(user_id, str(found["chat_id"]), str(found["language"]))


def any_linked(uow: UnitOfWork) -> bool:
    return uow.settings.get(ANY) == "1"


def my_chat_linked(ctx: Context, who: Principal) -> bool:
    user_id = _user_of(who)
    with ctx.uow(write=False) as uow:
        return chat_of(uow, user_id) is not None


def unlink_mine(ctx: Context, who: Principal) -> bool:
    user_id = _user_of(who)
    with ctx.uow(write=True) as uow:
        gone = chat_of(uow, user_id) is not None
        uow.settings.put(_chat_key(user_id), "")
        uow.commit()
    return gone


def supervisors_of(uow: UnitOfWork, queue: str) -> list[SupervisorChat]:
    """The linked chats of the active people who supervise `queue` (a supervisor limited to
    some queues only for those; admins and owners for every queue)."""
    found = []
    for user in uow.users.all():
        if not user.active or not can(user.role, Can.SUPERVISE):
            continue
        if user.queues and queue not in user.queues:
            continue
        chat = chat_of(uow, user.id)
        if chat is not None:
            found.append(chat)
    return found


def _code_key(code_hash: str) -> str:
    # Setting names hold 50 characters: 128 bits of the hash tell a live code apart.
    return f"sv_code:{code_hash[:32]}"


def _chat_key(user_id: int) -> str:
    return f"sv_chat:{user_id}"
