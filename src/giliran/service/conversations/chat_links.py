"""Linking an agent's own Telegram chat: a one-time code the agent sends the bot
(`/start CODE`, handled by `service.conversations.chat`), issued on its page or by an admin;
unlinking.

Only the code's hash is stored, and it works once, within 15 minutes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from giliran.domain import audit
from giliran.domain.model import Language
from giliran.domain.people import Actor, Can
from giliran.service.audit_log import record_agent
from giliran.service.context import Context, Principal, hash_token
from giliran.service.lookups import agent_or_404

CODE_LIFETIME = timedelta(minutes=15)


def my_link_code(ctx: Context, who: Principal,
                 dashboard: Language | None = None) -> tuple[str, datetime]:
    """A one-time code an agent sends the bot (`/start CODE`) to link its own chat.
    `dashboard`: the language the agent's page is in; an agent who never chose a language
    for its notices gets that one, so the bot's first words (the link's confirmation) are in
    the language the agent reads its page in."""
    who.require(Can.WORK)
    return _issue_code(ctx, who.agent_id, dashboard, who.by)


def link_code_for(ctx: Context, who: Principal, agent_id: int) -> tuple[str, datetime]:
    """The same, issued by an admin for an agent (to pass on)."""
    who.require(Can.CONFIGURE)
    return _issue_code(ctx, agent_id, None, who.by)


def _issue_code(ctx: Context, agent_id: int | None, dashboard: Language | None,
                actor: Actor) -> tuple[str, datetime]:
    """Only the code's hash is stored; it works once, within 15 minutes."""
    code = secrets.token_hex(5).upper()
    now = ctx.clock.now()
    expires_at = now + CODE_LIFETIME
    with ctx.uow(write=True) as uow:
        agent = agent_or_404(uow, agent_id)
        if dashboard is not None and not agent.language_chosen and agent.language != dashboard:
            before = audit.agent_fields(agent)
            agent.language = dashboard  # still not chosen: a later code may change it again
            uow.agents.save(agent)
            record_agent(uow, now, actor, agent, before)
        uow.chat_links.add_code(hash_token(code), agent.id, expires_at)
        uow.commit()
    return code, expires_at


def unlink(ctx: Context, who: Principal, agent_id: int) -> bool:
    who.require(Can.CONFIGURE)
    with ctx.uow(write=True) as uow:
        agent_or_404(uow, agent_id)
        gone = uow.chat_links.unlink(agent_id)
        uow.commit()
    return gone


def my_chat_linked(ctx: Context, who: Principal) -> bool:
    """Whether the calling agent's notices go to a chat."""
    who.require(Can.WORK)
    with ctx.uow(write=False) as uow:
        return uow.chat_links.for_agent(agent_or_404(uow, who.agent_id).id) is not None
