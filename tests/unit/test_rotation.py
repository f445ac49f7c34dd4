"""The strict rotation and what goes with it, as pure rules: whom it picks, who follows, how the
history explains it, the queue's per-agent limit, presets, audit entries and the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.domain import audit, eligibility, escalation, explain, lifecycle, presets
from giliran.domain.actor import BREAK_GLASS, SYSTEM, Actor
from giliran.domain.figures import Band, Step, expected_shares, fairness, gini, in_band, usage
from giliran.domain.model import (
    Agent,
    ClaimPolicy,
    Presence,
    Queue,
    QueueState,
    SlotFreedOn,
    StrategyName,
    Ticket,
    TicketStatus,
)
from giliran.domain.strategies import Rotation, in_turn, make_strategy, successor

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def agent(id: int, order: int = 0, **kw: object) -> Agent:
    fields: dict[str, object] = {"name": "ABCDEFGHIJ"[id - 1] if id <= 10 else f"a{id}",
                                 "presence": Presence.ONLINE, "rotation_order": order,
                                 "queues": frozenset({"sales"}), **kw}
    return Agent(id=id, **fields)  # type: ignore[arg-type]


def lead(id: int = 1, **kw: object) -> Ticket:
    return Ticket(id=id, title=f"lead {id}", created_at=NOW, queue="sales", **kw)  # type: ignore[arg-type]


def test_the_rotation_starts_at_the_first_member_and_takes_the_first_at_or_after_the_pointer(
) -> None:
    a, b, c, d, e = (agent(i, order=i) for i in range(1, 6))
    everyone = [e, c, a, d, b]  # the order they come in does not matter
    assert Rotation().select(lead(), everyone) is a
    assert Rotation(c.rotation_key).select(lead(), everyone) is c
    assert Rotation(c.rotation_key).select(lead(), [a, b, d, e]) is d, "C is not a candidate"
    assert Rotation(e.rotation_key).select(lead(), [a, b, c]) is a, "past the end: round again"
    assert Rotation(c.rotation_key).select(lead(), []) is None


def test_who_follows_is_read_from_the_order_at_that_moment() -> None:
    a, b, c = agent(1, order=1), agent(2, order=2), agent(3, order=3)
    assert successor([a, b, c], b) is c
    assert successor([a, b, c], c) is a
    assert successor([a], a) is a
    # Reordered to A, C, B: after A comes C, after C comes B.
    c.rotation_order = 2
    b.rotation_order = 3
    assert successor([a, b, c], a) is c
    assert successor([a, b, c], c) is b
    assert successor([], a) is None


def test_ties_in_rotation_order_are_broken_by_id() -> None:
    x, y = agent(2, order=5), agent(1, order=5)
    assert [m.id for m in in_turn([x, y], None)] == [1, 2]
    assert make_strategy(StrategyName.ROTATION, pointer=x.rotation_key).select(lead(), [y, x]) is x


@given(orders=st.lists(st.integers(0, 4), min_size=1, max_size=8),
       eligible=st.data(), pointer=st.integers(0, 9))
def test_the_rotation_never_skips_an_eligible_member_whose_turn_it_is(
    orders: list[int], eligible: st.DataObject, pointer: int
) -> None:
    members = [agent(i + 1, order=o) for i, o in enumerate(orders)]
    candidates = eligible.draw(st.lists(st.sampled_from(members), unique_by=lambda m: m.id))
    key = members[pointer % len(members)].rotation_key
    chosen = Rotation(key).select(lead(), candidates)
    if not candidates:
        assert chosen is None
        return
    assert chosen is not None
    # Walking the members in turn order from the pointer, the chosen one is the first candidate.
    walk = in_turn(members, key)
    before = walk[:walk.index(chosen)]
    assert not {m.id for m in before} & {c.id for c in candidates}
    assert sorted(m.id for m in walk) == sorted(m.id for m in members)
    assert walk[0].rotation_key == key, "the walk starts at the pointer's member"


def test_the_explanation_names_whose_turn_came_last_and_why_others_were_passed_over() -> None:
    a, b, c, d = agent(1, 1), agent(2, 2, presence=Presence.OFFLINE), agent(3, 3), agent(4, 4)
    ticket = lead(missed_by=frozenset({3}))
    why = explain.in_rotation(ticket, d, [a, b, c, d], b.rotation_key)
    assert why.note == ("rotation: next in turn after A; B skipped: not online; "
                        "C skipped: missed this ticket")
    assert why.detail["after"] == a.id and why.detail["claim"] is False
    assert [s["why"] for s in why.detail["skipped"]] == ["offline", "missed"]
    first = explain.in_rotation(lead(), a, [a, b], None)
    assert first.note == "rotation: next in turn, first in order"
    claim = explain.in_rotation(lead(), c, [a, c], c.rotation_key, claim=True)
    assert claim.note == "rotation: picked up in turn after A"


def test_a_turn_a_supervisor_set_is_explained_as_set_by_a_supervisor() -> None:
    a, b, c = agent(1, 1), agent(2, 2, presence=Presence.OFFLINE), agent(3, 3)
    why = explain.in_rotation(lead(), c, [a, b, c], b.rotation_key, set_by_hand=True)
    assert why.note == "rotation: next in turn, set by a supervisor; B skipped: not online"
    assert (why.detail["set_by_hand"], why.detail["after"]) == (True, None)
    claim = explain.in_rotation(lead(), a, [a, c], a.rotation_key, claim=True, set_by_hand=True)
    assert claim.note == "rotation: picked up in turn, set by a supervisor"
    usual = explain.in_rotation(lead(), c, [a, c], c.rotation_key)
    assert (usual.note, usual.detail["set_by_hand"]) == ("rotation: next in turn after A", False)


def test_the_other_strategies_explain_themselves_against_the_runners_up() -> None:
    chosen = agent(1, active_tickets=1, max_tickets=5)
    others = [agent(2, active_tickets=3, max_tickets=5), agent(3, active_tickets=4, max_tickets=5)]
    missed = agent(4, active_tickets=0, max_tickets=5)
    ticket = lead(missed_by=frozenset({4}))
    least = explain.by_strategy(Queue("sales", StrategyName.LEAST_LOADED), ticket, chosen,
                                [missed, chosen, *others])
    assert least.note == "least loaded: 1/5 against 3/5 and 4/5; D skipped: missed this ticket"
    assert least.detail["load"] == [1, 5]
    rr = explain.by_strategy(Queue("sales"), lead(), chosen, [chosen, others[0]])
    assert rr.note == "round robin: never assigned before, before B"
    chosen.last_assigned_seq = 7
    assert explain.by_strategy(Queue("sales"), lead(), chosen, [chosen]).note == (
        "round robin: longest since their last assignment")
    assert explain.by_strategy(Queue("sales", StrategyName.RANDOM), lead(), chosen,
                               [chosen, *others]).note == "random: 1 of 3 eligible"


@pytest.mark.parametrize(("why", "change"), [
    ("inactive", {"active": False}), ("manual", {"auto_assign": False}),
    ("full", {"active_tickets": 1, "max_tickets": 1}),
    ("paused", {"queue_state": {"sales": QueueState(2, NOW, "missed 2 tickets in a row")}}),
])
def test_each_reason_to_pass_a_member_over_is_named(why: str, change: dict[str, object]) -> None:
    assert explain.skip_reason(agent(1, **change), lead()) == why
    assert explain.skip_reason(agent(1), lead()) == "queue_limit", "nothing else left"


def test_a_queue_counts_tickets_against_its_limit_until_completed_or_until_accepted() -> None:
    held = lead(status=TicketStatus.ASSIGNED)
    working = lead(2, status=TicketStatus.IN_PROGRESS)
    complete = Queue("sales", max_per_agent=1)
    accept = Queue("sales", max_per_agent=1, slot_freed_on=SlotFreedOn.ACCEPT)
    assert complete.counts(held) and complete.counts(working)
    assert accept.counts(held) and not accept.counts(working)
    assert complete.has_room_for(0) and not complete.has_room_for(1)
    assert Queue("sales").has_room_for(100), "0 is no limit"
    a = agent(1)
    assert eligibility.may_receive(lead(), a, complete, 0)
    assert not eligibility.may_receive(lead(), a, complete, 1)
    a.queue_state["sales"] = QueueState(2, NOW, "missed 2 tickets in a row")
    assert not eligibility.may_receive(lead(), a, complete, 0), "paused in the queue"
    assert eligibility.may_receive(Ticket(9, "t", NOW), a, Queue("default"), 0) is False, (
        "it does not serve default")
    a.queues = frozenset({"sales", "default"})
    assert eligibility.may_receive(Ticket(9, "t", NOW), a, Queue("default"), 0), (
        "a pause in sales leaves default alone")


def test_a_turn_may_fall_to_someone_who_picks_up_by_hand() -> None:
    manual = agent(1, auto_assign=False)
    queue = Queue("sales", claim=ClaimPolicy.TURN)
    assert not eligibility.may_receive(lead(), manual, queue)
    assert eligibility.could_take_now(lead(), manual, queue, 0)
    assert not eligibility.could_take_now(lead(missed_by=frozenset({1})), manual, queue, 0)


@pytest.mark.parametrize(("misses", "reason"), [
    (1, "missed 1 ticket in a row"), (3, "missed 3 tickets in a row")])
def test_a_pause_says_how_many_tickets_were_missed_in_good_english(
    misses: int, reason: str
) -> None:
    a = agent(1, queues=frozenset({"sales"}), max_tickets=5)
    for i in range(1, misses + 1):
        t = lead(i)
        lifecycle.assign(t, a, seq=i, now=NOW, reason=lifecycle.Reason.AUTO, actor=SYSTEM)
        lifecycle.escalate(t, a, now=NOW)
    lifecycle.pause(a, "sales", now=NOW)
    assert a.state_in("sales").pause_reason == reason


def test_misses_pause_an_agent_in_that_queue_only_and_an_accept_starts_the_count_afresh() -> None:
    sales = Queue("sales", away_after_misses=2)
    a = agent(1, queues=frozenset({"sales", "default"}), max_tickets=5)
    for i in (1, 2):
        t = lead(i)
        lifecycle.assign(t, a, seq=i, now=NOW, reason=lifecycle.Reason.AUTO, actor=SYSTEM)
        lifecycle.escalate(t, a, now=NOW)
        assert escalation.pauses(a, sales) is (i == 2)
    lifecycle.pause(a, "sales", now=NOW)
    assert a.paused_in("sales") and not a.paused_in("default")
    assert a.state_in("sales").pause_reason == "missed 2 tickets in a row"
    assert not escalation.pauses(a, sales), "paused once"
    assert lifecycle.resume(a, "sales") and a.state_in("sales").plain
    t = lead(3)
    lifecycle.assign(t, a, seq=3, now=NOW, reason=lifecycle.Reason.AUTO, actor=SYSTEM)
    lifecycle.escalate(t, a, now=NOW)
    t4 = lead(4)
    lifecycle.assign(t4, a, seq=4, now=NOW, reason=lifecycle.Reason.AUTO, actor=SYSTEM)
    lifecycle.accept(t4, a, now=NOW, actor=Actor.of_key("agent:1"))
    assert a.state_in("sales").missed_in_row == 0


def test_presence_changes_are_reported_once_for_the_log() -> None:
    a = agent(1, presence=Presence.OFFLINE)
    assert lifecycle.set_presence(a, Presence.ONLINE, now=NOW) is not None
    assert lifecycle.set_presence(a, Presence.ONLINE, now=NOW) is None, "no change, no line"


def test_presets_set_the_lead_desk_and_give_the_defaults_back() -> None:
    lead_desk = presets.apply(Queue("sales", accept_timeout_seconds=60, max_wait_seconds=900),
                              presets.Preset.LEAD_ROTATION)
    assert (lead_desk.strategy, lead_desk.max_per_agent, lead_desk.slot_freed_on,
            lead_desk.accept_timeout_seconds, lead_desk.claim) == (
        StrategyName.ROTATION, 1, SlotFreedOn.ACCEPT, 300, ClaimPolicy.TURN)
    assert lead_desk.max_wait_seconds == 900, "the rest of the policy is left alone"
    back = presets.apply(lead_desk, presets.Preset.TICKET_DESK)
    default = Queue("sales")
    assert [getattr(back, f) for f in presets.FIELDS] == [getattr(default, f)
                                                          for f in presets.FIELDS]


def test_an_audit_entry_holds_only_what_changed() -> None:
    a = agent(1)
    before = audit.agent_fields(a)
    assert audit.change(at=NOW, actor=BREAK_GLASS, kind=audit.AuditKind.AGENT, subject="1",
                        action="changed", before=before, after=audit.agent_fields(a)) is None
    a.max_tickets = 2
    entry = audit.change(at=NOW, actor=BREAK_GLASS, kind=audit.AuditKind.AGENT, subject="1",
                         action="changed", before=before, after=audit.agent_fields(a))
    assert entry is not None and (entry.before, entry.after) == ({"max_tickets": 5},
                                                                  {"max_tickets": 2})
    created = audit.change(at=NOW, actor=BREAK_GLASS, kind=audit.AuditKind.QUEUE, subject="sales",
                           action="created", before=None, after=audit.queue_fields(Queue("s")))
    assert created is not None and created.before is None
    assert created.after is not None and created.after["strategy"] == "round_robin"


def test_utilization_counts_only_time_online() -> None:
    hour = timedelta(hours=1)
    steps = [Step(NOW + hour, online=True), Step(NOW + 2 * hour, held=1),
             Step(NOW + 3 * hour, held=-1), Step(NOW + 4 * hour, online=False)]
    used = usage(False, 0, steps, NOW, NOW + 8 * hour, capacity=2)
    assert used.online_seconds == 3 * 3600
    assert used.utilization == pytest.approx(1 / 3)
    assert used.load == pytest.approx(1 / 6)
    assert usage(False, 0, [], NOW, NOW + hour, 2).utilization is None, "never online"
    assert in_band(0.8, (0.7, 0.9)) is Band.WITHIN and in_band(0.5, (0.7, 0.9)) is Band.BELOW


@given(st.lists(st.integers(0, 50), min_size=1, max_size=10))
def test_gini_is_zero_for_equal_shares_and_grows_with_inequality(values: list[int]) -> None:
    found = gini(values)
    if sum(values) == 0:
        assert found is None
        return
    assert found is not None and -1e-9 <= found < 1
    if len(set(values)) == 1:
        assert found == pytest.approx(0)
    assert gini([0] * (len(values) - 1) + [sum(values)]) == pytest.approx(
        (len(values) - 1) / len(values)), "one agent received everything"


def test_fairness_is_received_over_the_share_of_online_time() -> None:
    expected = expected_shares(9, {1: 3600.0, 2: 7200.0})
    assert expected == {1: 3.0, 2: 6.0}
    assert fairness(3, expected[1]) == 1.0
    assert fairness(2, 0.0) is None
