"""People on the in-memory store: roles and what they may do, passwords, sign-in, sessions,
personal tokens, deactivation, and supervisors limited to their queues."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pwdlib.hashers.argon2 import Argon2Hasher

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory.uow import InMemoryStore
from giliran.adapters.passwords import Argon2Passwords
from giliran.bootstrap import bootstrap
from giliran.config import Settings
from giliran.domain.errors import (
    EmailTaken,
    Forbidden,
    InvalidInput,
    LastOwner,
    NotYourQueue,
    PasswordChangeRequired,
    Unauthorized,
)
from giliran.domain.model import Presence, TicketStatus
from giliran.domain.people import (
    CAPABILITIES,
    RANK,
    Can,
    Role,
    may_grant,
    password_problem,
)
from giliran.service.agents import agents
from giliran.service.assignment import presence
from giliran.service.context import ADMIN, Context, Principal
from giliran.service.people import access, accounts, own, signin, tokens
from giliran.service.people.accounts import NewUser, UserChanges
from giliran.service.ports import TicketFilter
from giliran.service.queues import admin as queues
from giliran.service.tickets import tickets

# Argon2id all the same, at a cost a unit test can afford.
PASSWORDS = Argon2Passwords(Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1))
GOOD = "correct horse battery"


def desk() -> tuple[Context, FakeClock]:
    clock = FakeClock()
    return Context(InMemoryStore(clock), clock, "a" * 20, passwords=PASSWORDS), clock


def person(ctx: Context, email: str, role: Role,
           queues: frozenset[str] = frozenset()) -> Principal:
    """A user made by the break-glass owner, signed in."""
    accounts.create_user(ctx, ADMIN, NewUser(email, email.split("@")[0], role, GOOD,
                                             queues=queues))
    signed = signin.sign_in(ctx, email, GOOD)
    return access.principal_of_session(signed.user, signed.session)


# Rules -----------------------------------------------------------------------------------

@given(st.sampled_from(list(Role)), st.sampled_from(list(Role)))
def test_a_role_is_given_only_by_someone_at_least_as_high(granter: Role, role: Role) -> None:
    if may_grant(granter, role):
        assert RANK[role] <= RANK[granter]
        assert role is not Role.OWNER or granter is Role.OWNER
    assert may_grant(Role.OWNER, role), "an owner gives any role"
    assert not may_grant(Role.AGENT, Role.SUPERVISOR)
    assert not may_grant(Role.ADMIN, Role.OWNER)
    assert may_grant(Role.ADMIN, Role.ADMIN) and may_grant(Role.SUPERVISOR, Role.INTAKE)


def test_what_each_role_may_do() -> None:
    assert Can.PEOPLE in CAPABILITIES[Role.ADMIN] and Can.OWN not in CAPABILITIES[Role.ADMIN]
    assert CAPABILITIES[Role.SUPERVISOR] == {Can.SUPERVISE, Can.INTAKE}
    assert CAPABILITIES[Role.AGENT] == {Can.WORK}
    assert CAPABILITIES[Role.INTAKE] == {Can.INTAKE}


@given(st.text(max_size=9))
def test_short_passwords_are_refused(password: str) -> None:
    assert password_problem(password, frozenset()) is not None


@pytest.mark.parametrize("password", ["password123", "iloveyou12", "Qwertyuiop",
                                      "aaaaaaaaaaaa", "sari.s@example.com!!"])
def test_common_or_personal_passwords_are_refused(password: str) -> None:
    assert password_problem(password, PASSWORDS.common, email="sari.s@example.com",
                            name="Sari") is not None


def test_a_long_uncommon_password_is_fine() -> None:
    assert password_problem(GOOD, PASSWORDS.common, email="sari@example.com") is None


# Accounts and sign-in --------------------------------------------------------------------

def test_emails_are_unique_whatever_their_case() -> None:
    ctx, _ = desk()
    accounts.create_user(ctx, ADMIN, NewUser("Sari@Example.com", "Sari", Role.SUPERVISOR, GOOD))
    with pytest.raises(EmailTaken):
        accounts.create_user(ctx, ADMIN, NewUser("sari@example.COM", "S", Role.AGENT, GOOD))
    assert signin.sign_in(ctx, "  SARI@example.com ", GOOD).user.name == "Sari"


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer() -> None:
    ctx, _ = desk()
    accounts.create_user(ctx, ADMIN, NewUser("sari@example.com", "Sari", Role.ADMIN, GOOD))
    with pytest.raises(Unauthorized) as wrong:
        signin.sign_in(ctx, "sari@example.com", "not the password")
    with pytest.raises(Unauthorized) as unknown:
        signin.sign_in(ctx, "nobody@example.com", GOOD)
    assert wrong.value.message == unknown.value.message


def test_an_invited_user_must_choose_a_password_before_anything_else() -> None:
    ctx, _ = desk()
    made = accounts.create_user(ctx, ADMIN, NewUser("budi@example.com", "Budi",
                                                    Role.SUPERVISOR))
    assert made.one_time_password and made.user.password_hash != made.one_time_password
    signed = signin.sign_in(ctx, "budi@example.com", made.one_time_password)
    who = access.principal_of_session(signed.user, signed.session)
    with pytest.raises(PasswordChangeRequired):
        tickets.list_tickets(ctx, who, TicketFilter())
    with pytest.raises(InvalidInput):
        own.check_new_password(ctx, who, made.one_time_password, "password123")
    hashed = own.check_new_password(ctx, who, made.one_time_password, GOOD)
    own.change_own_password(ctx, who, hashed)
    again = signin.sign_in(ctx, "budi@example.com", GOOD)
    tickets.list_tickets(ctx, access.principal_of_session(again.user, again.session),
                         TicketFilter())
    with pytest.raises(Unauthorized):  # the one-time password is spent
        signin.sign_in(ctx, "budi@example.com", made.one_time_password)


def test_sessions_end_when_idle_when_old_and_when_signed_out() -> None:
    ctx, clock = desk()
    accounts.create_user(ctx, ADMIN, NewUser("sari@example.com", "Sari", Role.ADMIN, GOOD))
    first = signin.sign_in(ctx, "sari@example.com", GOOD)
    clock.advance(ctx.sessions.idle.total_seconds() - 60)
    _, seen = access.session_principal(ctx, first.secret)
    assert seen is not None  # its "last seen" is due: the caller writes it
    access.note_use(ctx, seen)
    clock.advance(ctx.sessions.idle.total_seconds() - 60)  # alive: it was used
    access.session_principal(ctx, first.secret)
    clock.advance(ctx.sessions.idle.total_seconds() + 1)
    with pytest.raises(Unauthorized):
        access.session_principal(ctx, first.secret)
    second = signin.sign_in(ctx, "sari@example.com", GOOD)
    signin.sign_out(ctx, access.session_principal(ctx, second.secret)[0])
    with pytest.raises(Unauthorized):
        access.session_principal(ctx, second.secret)
    third = signin.sign_in(ctx, "sari@example.com", GOOD)
    for _ in range(int(ctx.sessions.absolute / ctx.sessions.idle) + 1):
        clock.advance(ctx.sessions.idle.total_seconds() - 1)
        access.note_use(ctx, access.Seen(session_id=third.session.id))  # busy all along
    with pytest.raises(Unauthorized):  # past its absolute expiry, however busy
        access.session_principal(ctx, third.secret)


def test_csrf_tokens_belong_to_their_session() -> None:
    assert access.csrf_matches("secret one", access.csrf_token("secret one"))
    assert not access.csrf_matches("secret one", access.csrf_token("secret two"))
    assert not access.csrf_matches("secret one", None)


# Tokens ----------------------------------------------------------------------------------

def test_a_token_acts_with_its_role_never_above_its_user_and_stops_with_them() -> None:
    ctx, clock = desk()
    admin = person(ctx, "ana@example.com", Role.ADMIN)
    with pytest.raises(Forbidden):
        tokens.create_token(ctx, admin, "too high", Role.OWNER, 30)
    made = tokens.create_token(ctx, admin, "ci", Role.SUPERVISOR, 1)
    who = access.authenticate(ctx, made.secret)
    assert (who.role, who.token_name, who.user_id) == (Role.SUPERVISOR, "ci", admin.user_id)
    intake = tokens.create_token(ctx, admin, "form", Role.INTAKE, None)
    assert access.authenticate(ctx, intake.secret).can(Can.INTAKE)
    assert not access.authenticate(ctx, intake.secret).can(Can.SUPERVISE)
    clock.advance(timedelta(days=1).total_seconds())
    with pytest.raises(Unauthorized):  # expired
        access.authenticate(ctx, made.secret)
    tokens.revoke_token(ctx, admin, intake.token.id)
    with pytest.raises(Unauthorized):  # revoked
        access.authenticate(ctx, intake.secret)


def test_deactivating_a_user_ends_their_sessions_and_revokes_their_tokens_at_once() -> None:
    ctx, _ = desk()
    sup = person(ctx, "sup@example.com", Role.SUPERVISOR)
    signed = signin.sign_in(ctx, "sup@example.com", GOOD)
    made = tokens.create_token(ctx, sup, "script", Role.SUPERVISOR, 30)
    accounts.deactivate_user(ctx, ADMIN, sup.user_id or 0)
    for attempt in (lambda: access.session_principal(ctx, signed.secret),
                    lambda: access.authenticate(ctx, made.secret),
                    lambda: signin.sign_in(ctx, "sup@example.com", GOOD)):
        with pytest.raises(Unauthorized):
            attempt()


def test_deactivating_an_agents_user_sends_its_tickets_back_and_its_old_token_stops() -> None:
    ctx, _ = desk()
    made = agents.create_agent(ctx, ADMIN, agents.NewAgent("Rina"))
    agent_token = made.token
    rina = access.authenticate(ctx, agent_token)
    assert rina.user_id is not None and rina.agent_id == made.agent.id
    presence.go_online(ctx, rina)
    ticket = tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("help", queue="default")).ticket
    assert ticket.agent_id == made.agent.id
    accounts.deactivate_user(ctx, ADMIN, rina.user_id)
    with pytest.raises(Unauthorized):
        access.authenticate(ctx, agent_token)
    back = tickets.get_ticket(ctx, ADMIN, ticket.id).ticket
    assert back.status is TicketStatus.QUEUED and back.agent_id is None
    assert agents.get_agent(ctx, ADMIN, made.agent.id).presence is Presence.OFFLINE


def test_the_last_owner_stays_an_owner() -> None:
    ctx, _ = desk()
    owner, _ = accounts.ensure_owner(ctx, ADMIN, "admin@localhost")
    assert accounts.ensure_owner(ctx, ADMIN, "admin@localhost") == (owner, None)
    with pytest.raises(LastOwner):
        accounts.deactivate_user(ctx, ADMIN, owner.id)
    with pytest.raises(LastOwner):
        accounts.update_user(ctx, ADMIN, owner.id, UserChanges(role=Role.ADMIN))


def test_an_admin_may_not_touch_an_owner_nor_make_one() -> None:
    ctx, _ = desk()
    owner, _ = accounts.ensure_owner(ctx, ADMIN, "admin@localhost")
    ana = person(ctx, "ana@example.com", Role.ADMIN)
    with pytest.raises(Forbidden):
        accounts.create_user(ctx, ana, NewUser("x@example.com", "X", Role.OWNER, GOOD))
    with pytest.raises(Forbidden):
        accounts.reset_password(ctx, ana, owner.id)
    agent = person(ctx, "rina@example.com", Role.AGENT)
    with pytest.raises(Forbidden):
        accounts.list_users(ctx, agent)


def test_a_supervisor_of_some_queues_acts_only_on_theirs() -> None:
    ctx, _ = desk()
    queues.create_queue(ctx, ADMIN, "sales", queues.QueueChanges())
    sup = person(ctx, "sup@example.com", Role.SUPERVISOR, queues=frozenset({"sales"}))
    theirs = tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("lead", queue="sales")).ticket
    other = tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("help", queue="default")).ticket
    tickets.cancel_ticket(ctx, sup, theirs.id)
    with pytest.raises(NotYourQueue):
        tickets.cancel_ticket(ctx, sup, other.id)
    listed = tickets.list_tickets(ctx, sup, TicketFilter())
    assert {row.ticket.id for row in listed.rows} == {theirs.id}
    with pytest.raises(NotYourQueue):
        tickets.list_tickets(ctx, sup, TicketFilter(queue="default"))
    with pytest.raises(Forbidden):  # the policy is configuration
        queues.update_queue(ctx, sup, "sales", queues.QueueChanges(max_per_agent=2))


def test_the_password_hash_cost_is_a_setting_and_stays_argon2id(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/people.db", admin_token="b" * 24,
                        password_hash_memory_kib=2048, password_hash_time_cost=2)
    container = bootstrap(settings)
    try:
        hashes = container.ctx.passwords
        assert hashes is not None
        hashed = hashes.hash(GOOD)
        assert hashed.startswith("$argon2id$v=19$m=2048,t=2,")
        assert hashes.verify(GOOD, hashed) == (True, None)
        # Raised since: the next sign-in rehashes it at the new cost.
        ok, rehashed = Argon2Passwords().verify(GOOD, hashed)
        assert ok and rehashed is not None and rehashed.startswith("$argon2id$v=19$m=65536,t=3,")
    finally:
        container.close()
