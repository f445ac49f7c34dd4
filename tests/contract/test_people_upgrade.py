"""A desk upgraded from the release before users (revision 0023) keeps its agents, and every
agent's token keeps working, now as that agent's user; on SQLite and PostgreSQL. The agents
are written as that release wrote them: raw SQL on its tables, the token's SHA-256 as the
hash."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import inspect, text

from giliran.adapters.clock import FakeClock
from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import Database
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.domain.errors import Unauthorized
from giliran.domain.model import Language
from giliran.domain.people import Role
from giliran.service.context import Context
from giliran.service.people.access import authenticate

# (id, name, token, language, active), as a desk of the previous release had them.
AGENTS = ((3, "Sari", "old-token-of-sari-" + "a" * 40, "id", True),
          (7, "Budi", "old-token-of-budi-" + "b" * 40, "en", True),
          (9, "Lama", "old-token-of-lama-" + "c" * 40, "en", False))


def desk_of_the_previous_release(db: Database) -> None:
    migrate.upgrade(db, "0023")
    with db.engine.begin() as conn:
        for agent_id, name, token, language, active in AGENTS:
            conn.execute(text(
                "INSERT INTO agents (id, name, token_hash, max_tickets, auto_assign, active, "
                "presence, rotation_order, active_tickets, last_assigned_seq, missed_in_row, "
                "queues, created_at, language, auto_assign_locked, queue_state) VALUES (:id, "
                ":name, :hash, 5, :yes, :active, 'offline', 0, 0, 0, 0, '[\"default\"]', "
                "CURRENT_TIMESTAMP, :language, :no, '{}')"),
                {"id": agent_id, "name": name, "hash": hashlib.sha256(token.encode()).hexdigest(),
                 "yes": True, "no": False, "active": active, "language": language})


def test_every_agent_of_the_previous_release_signs_in_with_its_old_token_as_its_user(
    empty_db: Database,
) -> None:
    desk_of_the_previous_release(empty_db)
    migrate.upgrade(empty_db)
    ctx = Context(uow=SqlUnitOfWorkFactory(empty_db), clock=FakeClock(),
                  admin_token="break-glass-" + "z" * 40)
    try:
        for agent_id, name, token, language, active in AGENTS:
            with ctx.uow(write=False) as r:
                user = r.users.by_agent(agent_id)
            assert user is not None, f"agent {name} became a user"
            assert (user.name, user.role, user.language, user.active, user.email,
                    user.password_hash, user.queues) == (
                name, Role.AGENT, Language(language), active, None, None, frozenset())
            if not active:
                with pytest.raises(Unauthorized):
                    authenticate(ctx, token)
                continue
            who = authenticate(ctx, token)
            assert (who.role, who.agent_id, who.actor) == (Role.AGENT, agent_id,
                                                           f"agent:{agent_id}")
            # Until the service finds the user of an agent's token, the principal carries
            # the agent alone; from then on it must carry this user.
            assert who.user_id == user.id
        with ctx.uow(write=False) as r:
            assert len(r.users.all()) == len(AGENTS), "one user per agent, no more"
            assert len(r.agents.all()) == len(AGENTS)
    finally:
        empty_db.dispose()


def test_the_upgrade_rolls_back_to_the_previous_release_and_forward_again(
    empty_db: Database,
) -> None:
    """A release rolled back leaves the previous one its tables as it had them (its agents and
    their tokens); upgrading again makes the users afresh, still one per agent."""
    desk_of_the_previous_release(empty_db)
    migrate.upgrade(empty_db)
    migrate.downgrade(empty_db, "0023")
    try:
        with empty_db.engine.connect() as conn:
            kept = conn.execute(text("SELECT id, token_hash FROM agents ORDER BY id")).all()
            tables = set(inspect(conn).get_table_names())
        assert [tuple(k) for k in kept] == [
            (i, hashlib.sha256(token.encode()).hexdigest()) for i, _, token, _, _ in AGENTS]
        assert not tables & {"users", "api_tokens", "sessions"} and "agents" in tables
        migrate.upgrade(empty_db)
        with SqlUnitOfWorkFactory(empty_db)(write=False) as r:
            assert sorted(u.agent_id or 0 for u in r.users.all()) == [a[0] for a in AGENTS]
        assert migrate.current_revision(empty_db) == migrate.head_revision()
    finally:
        empty_db.dispose()
