"""The domain rules, each filter and strategy alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from giliran.domain import eligibility, lifecycle
from giliran.domain.actor import BREAK_GLASS, SYSTEM, Actor
from giliran.domain.errors import CapacityExceeded, InvalidTransition, NotYourTicket
from giliran.domain.listing import number_in, phone_digits
from giliran.domain.model import Agent, Presence, Priority, Reason, Ticket, TicketStatus
from giliran.domain.strategies import LeastLoaded, RandomChoice, RoundRobin

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def agent(id: int = 1, **kw: object) -> Agent:
    fields: dict[str, object] = {"name": f"agent{id}", "presence": Presence.ONLINE, **kw}
    return Agent(id=id, **fields)  # type: ignore[arg-type]


def ticket(id: int = 1, **kw: object) -> Ticket:
    return Ticket(id=id, title=f"t{id}", created_at=NOW, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("rule", "breaks_it"), [
    (eligibility.is_online, {"presence": Presence.AWAY}),
    (eligibility.opted_in, {"auto_assign": False}),
    (eligibility.is_active, {"active": False}),
    (eligibility.has_room, {"active_tickets": 5, "max_tickets": 5}),
])
def test_each_eligibility_filter_rejects_exactly_its_case(rule, breaks_it) -> None:  # type: ignore[no-untyped-def]
    assert rule(agent())
    assert not rule(agent(**breaks_it))
    assert not eligibility.is_eligible(agent(**breaks_it))


def test_an_agent_with_zero_capacity_never_receives_work() -> None:
    assert not eligibility.is_eligible(agent(max_tickets=0))


def test_round_robin_picks_the_longest_waiting_then_rotation_order() -> None:
    never_a = agent(1, rotation_order=2)
    never_b = agent(2, rotation_order=1)
    recent = agent(3, rotation_order=0, last_assigned_seq=9)
    assert RoundRobin().select(ticket(), [recent, never_a, never_b]) is never_b
    assert RoundRobin().select(ticket(), [recent, agent(4, last_assigned_seq=3)]).id == 4
    assert RoundRobin().select(ticket(), []) is None


def test_least_loaded_picks_fewest_active_then_rotation() -> None:
    busy = agent(1, active_tickets=3)
    idle_recent = agent(2, active_tickets=1, last_assigned_seq=8)
    idle_waiting = agent(3, active_tickets=1, last_assigned_seq=2)
    assert LeastLoaded().select(ticket(), [busy, idle_recent, idle_waiting]) is idle_waiting


def test_random_is_reproducible_with_a_seed_and_roughly_uniform() -> None:
    pool = [agent(i) for i in range(1, 5)]

    def picks(seed: int) -> list[int]:
        chooser = RandomChoice(random.Random(seed))
        return [chooser.select(ticket(), pool).id for _ in range(20)]  # type: ignore[union-attr]

    assert picks(3) == picks(3)
    assert picks(3) != picks(4)
    # The candidates' order must not matter, or SQL and memory could pick differently.
    assert RandomChoice(random.Random(3)).select(ticket(), pool[::-1]) is \
        RandomChoice(random.Random(3)).select(ticket(), pool)
    rng = RandomChoice(random.Random(11))
    counts = {a.id: 0 for a in pool}
    for _ in range(4000):
        counts[rng.select(ticket(), pool).id] += 1  # type: ignore[union-attr]
    assert all(850 <= c <= 1150 for c in counts.values()), counts


def test_assign_fills_a_slot_and_only_automatic_assignment_moves_the_rotation() -> None:
    a, t = agent(), ticket()
    entry = lifecycle.assign(t, a, seq=7, now=NOW, reason=Reason.AUTO, actor=SYSTEM)
    assert (t.status, t.agent_id, a.active_tickets, a.last_assigned_seq) == (
        TicketStatus.ASSIGNED, a.id, 1, 7)
    assert (entry.event, entry.to_agent_id, entry.reason) == ("assigned", a.id, Reason.AUTO)


def test_assigning_to_a_full_agent_is_refused() -> None:
    with pytest.raises(CapacityExceeded):
        lifecycle.assign(ticket(), agent(active_tickets=1, max_tickets=1), seq=1, now=NOW,
                         reason=Reason.AUTO, actor=SYSTEM)


def test_lifecycle_accept_complete_and_the_moves_it_forbids() -> None:
    a, other, t = agent(1), agent(2), ticket()
    lifecycle.assign(t, a, seq=1, now=NOW, reason=Reason.AUTO, actor=SYSTEM)
    with pytest.raises(NotYourTicket):
        lifecycle.accept(t, other, now=NOW, actor=Actor.of_key("agent:2"))
    lifecycle.accept(t, a, now=NOW, actor=Actor.of_key("agent:1"))
    assert t.status is TicketStatus.IN_PROGRESS
    with pytest.raises(InvalidTransition):
        lifecycle.accept(t, a, now=NOW, actor=Actor.of_key("agent:1"))
    lifecycle.complete(t, a, now=NOW, actor=Actor.of_key("agent:1"))
    assert (t.status, a.active_tickets) == (TicketStatus.COMPLETED, 0)
    with pytest.raises(InvalidTransition):
        lifecycle.complete(t, a, now=NOW, actor=Actor.of_key("agent:1"))
    with pytest.raises(InvalidTransition):
        lifecycle.cancel(t, a, now=NOW, actor=BREAK_GLASS)


def test_unassign_returns_the_ticket_to_its_original_place() -> None:
    a = agent()
    old = ticket(1, priority=Priority.NORMAL)
    newer = ticket(2, priority=Priority.NORMAL)
    lifecycle.assign(old, a, seq=1, now=NOW, reason=Reason.AUTO, actor=SYSTEM)
    lifecycle.unassign(old, a, now=NOW, reason=Reason.AGENT_DEACTIVATED, actor=BREAK_GLASS)
    assert old.status is TicketStatus.QUEUED and a.active_tickets == 0
    assert min([newer, old], key=lambda t: t.queue_key) is old


def test_queue_order_is_priority_then_arrival() -> None:
    tickets = [ticket(1, priority=Priority.LOW), ticket(2, priority=Priority.URGENT),
               ticket(3), ticket(4, priority=Priority.URGENT), ticket(5, priority=Priority.HIGH)]
    assert [t.id for t in sorted(tickets, key=lambda t: t.queue_key)] == [2, 4, 5, 3, 1]


def test_ticket_number_is_derived_from_date_and_id() -> None:
    assert ticket(42).number == "INC20260105000042"


def test_a_search_text_names_a_ticket_by_number_or_id_and_a_phone_number_by_its_digits() -> None:
    assert {number_in(t) for t in ("INC20261202000013", "inc20261202000013",
                                   "20261202000013", "13", "INC13")} == {13}
    for phone in ("6281234567890", "81234567890", "081234567890"):
        assert number_in(phone) is None, f"{phone} is a phone number, not ticket {phone[-5:]}"
    assert phone_digits("+62 812-3456-7890") == phone_digits("00 62 812 3456 7890") == (
        "6281234567890")
    assert phone_digits("0812-3456-7890") == "81234567890", "the trunk prefix goes"
    assert phone_digits("0890") == "0890", "not a whole national number: kept as typed"
    assert phone_digits("printer 2") is None and phone_digits("12") is None
