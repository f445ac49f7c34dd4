"""Users, personal API tokens and sessions are stored alike in memory, on SQLite and on
PostgreSQL, so the in-memory twin stays an honest stand-in for the sign-in and the people
pages built on it."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pwdlib.hashers.argon2 import Argon2Hasher

from giliran.adapters.clock import FakeClock
from giliran.adapters.passwords import Argon2Passwords
from giliran.domain.errors import EmailTaken
from giliran.domain.model import Agent, Language
from giliran.domain.people import USER_ROLES, ApiToken, Role, Session, User
from giliran.service.context import CLI_PRINCIPAL, Context
from giliran.service.people.accounts import ensure_owner
from giliran.service.ports import UnitOfWorkFactory

CHEAP = Argon2Passwords(Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1))

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
FOR_EVER = datetime(2200, 1, 1, tzinfo=UTC)
_serial = itertools.count(1)  # examples share a store: each brings emails and hashes of its own
# Each example of a property shares the test's store, so fixtures are per test, not example.
EXAMPLES = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=200)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC))
queue_sets = st.frozensets(st.sampled_from(["default", "sales", "support", "vip"]))


@st.composite
def users(draw: st.DrawFn) -> User:
    n = next(_serial)
    return User(
        0, draw(st.sampled_from([f"person{n}@example.com", f"ops.{n}@desk.co.id", None])),
        draw(names), draw(st.sampled_from(USER_ROLES)),
        password_hash=draw(st.sampled_from([None, f"$argon2id$v=19$m=65536,t=3,p=4${n}"])),
        language=draw(st.sampled_from(list(Language))), active=draw(st.booleans()),
        queues=draw(queue_sets), must_change_password=draw(st.booleans()),
        created_at=draw(st.none() | moments), last_sign_in_at=draw(st.none() | moments),
        password_changed_at=draw(st.none() | moments))


def a_user(email: str | None = None, role: Role = Role.ADMIN, agent_id: int | None = None) -> User:
    return User(0, email, f"user {next(_serial)}", role, agent_id=agent_id, created_at=T0)


@given(user=users(), changed=users())
@EXAMPLES
def test_a_user_comes_back_as_it_was_stored_and_saved(uow: UnitOfWorkFactory, user: User,
                                                      changed: User) -> None:
    with uow(write=True, defer_lock=True) as w:
        added = w.users.add(replace(user))
        w.commit()
    assert added.id > 0
    with uow(write=False) as r:
        assert r.users.get(added.id) == added
        if user.email is not None:
            assert r.users.by_email(user.email) == added
        assert added in r.users.all()
    changed = replace(changed, id=added.id)
    with uow(write=True, defer_lock=True) as w:
        w.users.save(changed)
        w.commit()
    with uow(write=False) as r:
        assert r.users.get(added.id) == changed
        if user.email is not None and user.email != changed.email:
            assert r.users.by_email(user.email) is None


def test_users_are_listed_by_id_and_an_agent_has_one(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as w:
        agent = w.agents.add(Agent(0, "Sari"), "hash-sari")
        owner = w.users.add(a_user("owner@example.com", Role.OWNER))
        sari = w.users.add(a_user(None, Role.AGENT, agent_id=agent.id))
        carried = w.users.add(a_user(None, Role.AGENT))  # several users may have no email
        w.commit()
    with uow(write=False) as r:
        assert [u.id for u in r.users.all()] == [owner.id, sari.id, carried.id]
        assert r.users.by_agent(agent.id) == sari
        assert r.users.by_agent(agent.id + 1) is None
        assert r.users.by_email("nobody@example.com") is None
        assert r.users.get(carried.id + 1) is None
        assert sari.actor_key == f"agent:{agent.id}" and owner.actor_key == f"user:{owner.id}"


def test_an_email_is_one_persons_and_the_storage_refuses_a_second(
    uow: UnitOfWorkFactory
) -> None:
    """Even when a caller missed the check (two invitations at once): the second is refused
    and nothing of it is kept."""
    with uow(write=True, defer_lock=True) as w:
        first = w.users.add(a_user("dewi@example.com"))
        other = w.users.add(a_user("rudi@example.com"))
        w.commit()
    with pytest.raises(EmailTaken), uow(write=True, defer_lock=True) as w:
        w.users.add(a_user("dewi@example.com"))
    with pytest.raises(EmailTaken), uow(write=True, defer_lock=True) as w:
        w.users.save(replace(other, email="dewi@example.com"))
    with uow(write=False) as r:
        assert [(u.id, u.email) for u in r.users.all()] == [
            (first.id, "dewi@example.com"), (other.id, "rudi@example.com")]


def a_token(user_id: int, name: str, n: int, expires_at: datetime | None = None) -> ApiToken:
    return ApiToken(0, user_id, name, Role.SUPERVISOR, f"{n:064x}", T0 + timedelta(minutes=n),
                    expires_at)


def test_tokens_are_found_by_hash_listed_newest_first_and_keep_their_last_use(
    uow: UnitOfWorkFactory
) -> None:
    with uow(write=True, defer_lock=True) as w:
        dewi, rudi = w.users.add(a_user("d@example.com")), w.users.add(a_user("r@example.com"))
        ci = w.api_tokens.add(a_token(dewi.id, "ci", 1, expires_at=T0 + timedelta(days=30)))
        bot = w.api_tokens.add(a_token(rudi.id, "bot", 2))
        report = w.api_tokens.add(a_token(dewi.id, "reports", 3))
        w.commit()
    with uow(write=True, defer_lock=True) as w:
        w.api_tokens.used(ci.id, T0 + timedelta(hours=1))
        w.api_tokens.save(replace(report, revoked_at=T0 + timedelta(hours=2)))
        w.commit()
    with uow(write=False) as r:
        found = r.api_tokens.by_hash(f"{1:064x}")
        assert found == replace(ci, last_used_at=T0 + timedelta(hours=1))
        assert found is not None and found.usable(T0) and not found.usable(T0 + timedelta(days=30))
        assert r.api_tokens.by_hash(f"{9:064x}") is None
        assert [t.name for t in r.api_tokens.of_user(dewi.id)] == ["reports", "ci"], (
            "revoked ones are listed too, newest first")
        assert [t.name for t in r.api_tokens.all()] == ["reports", "bot", "ci"]
        revoked = r.api_tokens.get(report.id)
        assert revoked is not None and not revoked.usable(T0 + timedelta(hours=3))
        assert r.api_tokens.get(bot.id) == bot and r.api_tokens.get(bot.id + 99) is None


def test_what_a_unit_of_work_does_not_commit_is_not_kept(uow: UnitOfWorkFactory) -> None:
    with uow(write=True, defer_lock=True) as w:
        user = w.users.add(a_user("kept@example.com"))
        w.commit()
    with uow(write=True, defer_lock=True) as w:
        w.api_tokens.add(a_token(user.id, "lost", 4))
        w.sessions.add(a_session(user.id, 4, T0))
        w.users.add(a_user("lost@example.com"))
    with uow(write=False) as r:
        assert r.api_tokens.all() == [] and r.sessions.of_users([user.id], T0) == []
        assert [u.email for u in r.users.all()] == ["kept@example.com"]


def a_session(user_id: int, n: int, created: datetime, *, lasts: timedelta = timedelta(days=7),
              ended_after: timedelta | None = None) -> Session:
    return Session(0, user_id, f"s{n:063x}", created, created, created + lasts,
                   None if ended_after is None else created + ended_after,
                   address="203.0.113.7", user_agent="Mozilla/5.0 " + "x" * 600)


def test_sessions_are_found_by_their_hash_and_kept_as_seen(uow: UnitOfWorkFactory) -> None:
    with uow(write=True, defer_lock=True) as w:
        user = w.users.add(a_user("s@example.com"))
        session = w.sessions.add(a_session(user.id, 1, T0))
        w.commit()
    seen = replace(session, last_seen_at=T0 + timedelta(minutes=5))
    with uow(write=True, defer_lock=True) as w:
        w.sessions.save(seen)
        w.commit()
    with uow(write=False) as r:
        assert r.sessions.by_hash(session.secret_hash) == seen
        assert r.sessions.get(session.id) == seen
        assert r.sessions.by_hash("s" + "f" * 63) is None and r.sessions.get(seen.id + 1) is None


# A session as drawn: (its user among three, when it started, how long it lasts, when it
# ended if it did), in minutes on a short day, so that expiries and the moment looked at
# often fall on the same minute (the boundaries are where the backends could differ).
drawn_sessions = st.lists(st.tuples(
    st.integers(0, 2), st.integers(0, 20), st.integers(1, 20),
    st.none() | st.integers(0, 20)), max_size=12)


@given(drawn=drawn_sessions, look_at=st.integers(0, 40), asked=st.sets(st.integers(0, 2)))
@EXAMPLES
def test_sessions_alive_end_together_and_are_pruned_as_the_port_says(
    uow: UnitOfWorkFactory, drawn: list[tuple[int, int, int, int | None]], look_at: int,
    asked: set[int],
) -> None:
    minutes = [T0 + timedelta(minutes=m) for m in range(41)]
    with uow(write=True, defer_lock=True) as w:
        people = [w.users.add(a_user()).id for _ in range(3)]
        made = [w.sessions.add(a_session(
            people[who], next(_serial), minutes[start], lasts=timedelta(minutes=lasts),
            ended_after=None if ended is None else timedelta(minutes=ended)))
            for who, start, lasts, ended in drawn]
        w.commit()
    at = minutes[look_at]
    alive = [s for s in reversed(made) if s.ended_at is None and at < s.expires_at]
    with uow(write=False) as r:
        assert r.sessions.of_users([people[i] for i in asked], at) == [
            s for s in alive if s.user_id in {people[i] for i in asked}]
        assert r.sessions.of_users(people, at) == alive
    # Signing someone out everywhere ends the sessions still open, expired or not.
    with uow(write=True, defer_lock=True) as w:
        assert w.sessions.end_all(people[0], at) == sum(
            1 for s in made if s.user_id == people[0] and s.ended_at is None)
        w.commit()
    ended = [replace(s, ended_at=at) if s.user_id == people[0] and s.ended_at is None else s
             for s in made]
    with uow(write=True, defer_lock=True) as w:
        assert w.sessions.of_users([people[0]], at) == []
        gone = {s.id for s in ended if (s.ended_at is not None and s.ended_at < at)
                or s.expires_at < at}
        assert w.sessions.prune(at) == len(gone)
        w.commit()
    with uow(write=False) as r:
        assert [r.sessions.get(s.id) for s in ended] == [
            None if s.id in gone else s for s in ended]
    with uow(write=True, defer_lock=True) as w:  # the next example starts with none
        w.sessions.prune(FOR_EVER)
        w.commit()


def test_hosts_starting_at_once_make_one_owner_and_print_its_password_once(
        uow: UnitOfWorkFactory) -> None:
    """Several hosts of one deploy start together on an empty database: each sees no owner,
    one makes it and prints its one-time password, the others find it and print none."""
    clock = FakeClock()
    ctx = Context(uow, clock, "a" * 20, passwords=CHEAP)
    barrier = threading.Barrier(3)
    answers: list[tuple[int, str | None]] = []

    def start() -> None:
        barrier.wait()
        user, password = ensure_owner(ctx, CLI_PRINCIPAL, "admin@localhost")
        answers.append((user.id, password))

    hosts = [threading.Thread(target=start) for _ in range(3)]
    for host in hosts:
        host.start()
    for host in hosts:
        host.join(timeout=30)
    assert len(answers) == 3 and len({user_id for user_id, _ in answers}) == 1
    assert sum(password is not None for _, password in answers) == 1
    with uow(write=False) as w:
        assert [u.role for u in w.users.all()] == [Role.OWNER]
