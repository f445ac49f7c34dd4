"""Fakes kept honest: the same random sequence of commands, run on the in-memory store and on
SQL, must leave the same complete state step by step: tickets (with priorities), agents,
queues, the history, the events (ticket, agent, queue and message events, in order, with their
payloads and whom they concern), the chat notices, the conversations and their customers, and
the day's figures."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giliran.adapters.clock import FakeClock
from giliran.adapters.memory import InMemoryStore
from giliran.adapters.sql.database import connect
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.domain.errors import GiliranError
from giliran.domain.event_types import EventType
from giliran.domain.model import (
    ClaimPolicy,
    HoldExpiry,
    Language,
    OfflinePolicy,
    PickupPolicy,
    Priority,
    SlotFreedOn,
    StrategyName,
)
from giliran.service.agents import agents
from giliran.service.assignment import pauses, presence, timers
from giliran.service.context import ADMIN, Context, Principal, Role
from giliran.service.conversations import chat, chat_links, conversation
from giliran.service.notices import notify
from giliran.service.ports import HistoryFilter, UnitOfWorkFactory
from giliran.service.queues import admin as queue_admin
from giliran.service.tickets import hold, manual, tickets
from tests.support.invariants import snapshot
from tests.support.postgres import Cluster
from tests.support.sqlite_template import migrated_sqlite

Command = tuple[str, int, int]
DAY = FakeClock().now().date()
QUEUES = ("default", "sales", "support")
SENDING = frozenset({"telegram"})  # the desk may answer Telegram customers
_CHANNEL_IDS: dict[int, Any] = {}  # per context, the ids the channel gives what it took
commands = st.lists(st.tuples(
    st.sampled_from(["agent", "ticket", "online", "offline", "complete", "accept", "capacity",
                     "strategy", "policy", "heartbeat", "tick", "tick", "queue", "member",
                     "pickup", "reassign", "unassign", "front", "desk", "pointer", "reorder",
                     "resume", "opt", "link", "notify", "customer", "blocked", "reply",
                     "delivered", "edit", "hold", "hold", "unhold", "holding"]),
    st.integers(0, 9), st.integers(0, 3),
), min_size=5, max_size=40)


def apply(ctx: Context, cmd: Command) -> None:
    kind, a, b = cmd
    try:
        if kind == "agent":
            new = agents.NewAgent(f"a{a}", max_tickets=b, rotation_order=a)
            agents.create_agent(ctx, ADMIN, new)
        elif kind == "ticket":
            queue = QUEUES[a % len(QUEUES)]
            tickets.create_ticket(ctx, ADMIN, tickets.NewTicket("t", queue, Priority(b)))
        elif kind == "queue":
            queue_admin.create_queue(ctx, ADMIN, QUEUES[1 + b % 2], queue_admin.QueueChanges())
        elif kind == "member":
            queues = frozenset(q for i, q in enumerate(QUEUES) if (b + 1) >> i & 1)
            agents.update_agent(ctx, ADMIN, a + 1, agents.AgentChanges(queues=queues))
        elif kind in ("online", "offline"):
            fn = presence.go_online if kind == "online" else presence.go_offline
            fn(ctx, Principal(Role.AGENT, a + 1))
        elif kind == "complete":
            tickets.complete_ticket(ctx, ADMIN, a + 1)
        elif kind == "accept":
            holder = tickets.get_ticket(ctx, ADMIN, a + 1).ticket.agent_id
            tickets.accept_ticket(ctx, Principal(Role.AGENT, holder or 0), a + 1)
        elif kind == "capacity":
            agents.update_agent(ctx, ADMIN, a + 1, agents.AgentChanges(max_tickets=b + 1))
        elif kind == "policy":
            queue_admin.update_queue(ctx, ADMIN, "default", queue_admin.QueueChanges(
                accept_timeout_seconds=(0, 30, 60, 300)[b], max_escalations=a % 3,
                away_after_misses=b % 3, offline_policy=list(OfflinePolicy)[a % 3],
                max_wait_seconds=(0, 60)[a % 2]))
        elif kind == "pickup":
            manual.pickup(ctx, Principal(Role.AGENT, a + 1), b + 1)
        elif kind == "reassign":
            manual.reassign(ctx, ADMIN, b + 1, a + 1, force=a % 2 == 0)
        elif kind == "unassign":
            manual.unassign(ctx, ADMIN, a + 1)
        elif kind == "front":
            manual.move_to_front(ctx, ADMIN, a + 1)
        elif kind == "heartbeat":
            presence.heartbeat(ctx, Principal(Role.AGENT, a + 1))
        elif kind == "desk":
            queue_admin.update_queue(ctx, ADMIN, "default", queue_admin.QueueChanges(
                max_per_agent=b % 3, slot_freed_on=list(SlotFreedOn)[a % 2],
                claim=list(ClaimPolicy)[(a // 2) % 2], pickup=list(PickupPolicy)[b % 2]))
        elif kind == "pointer":
            queue_admin.update_queue(ctx, ADMIN, "default", queue_admin.QueueChanges(),
                                     next_agent_id=a + 1)
        elif kind == "reorder":
            agents.update_agent(ctx, ADMIN, a + 1, agents.AgentChanges(rotation_order=b))
        elif kind == "resume":
            pauses.resume_mine(ctx, Principal(Role.AGENT, a + 1), "default")
        elif kind == "opt":
            agents.update_me(ctx, Principal(Role.AGENT, a + 1), auto_assign=b % 2 == 0,
                             language=Language.EN if b == 3 else None,
                             telegram_ticket_left=b != 1)
        elif kind == "link":  # agent a links its Telegram chat (from its page, in Indonesian)
            code, _ = (chat_links.link_code_for(ctx, ADMIN, a + 1) if b % 2 else
                       chat_links.my_link_code(ctx, Principal(Role.AGENT, a + 1), Language.ID))
            chat.on_message(ctx, _said(f"agent{a}", 0, f"/start {code}", ctx), "default")
        elif kind == "customer":  # a Telegram customer writes (a new ticket, or joins theirs)
            chat.on_message(ctx, _said(f"customer{a}", 10 * a + b, f"hello {b}", ctx),
                            "default")
        elif kind == "edit":  # a Telegram customer edits what they wrote
            said = _said(f"customer{a}", 10 * a + b, f"hello {b}, edited", ctx)
            chat.on_message(ctx, replace(said, edited=True), "default")
        elif kind == "reply":  # the desk answers a ticket's customer
            conversation.reply(ctx, ADMIN, a + 1, conversation.Reply(text=f"answer {b}"))
        elif kind == "delivered":  # the channel took every due notice (message.status)
            for notice in notify.claim(ctx, 10):
                # The channel's id for it, not the notice's row id: PostgreSQL spends a sequence
                # value on an insert its unique key refuses (a chat linked twice), the twin
                # does not, and the row id is no behaviour anyone sees.
                sent = _CHANNEL_IDS.setdefault(id(ctx), iter(range(10**6)))
                notify.record(ctx, notice.id, notify.Sent(channel_id=f"m{next(sent)}"), 3)
        elif kind == "notify":
            notify.fan_out(ctx)
        elif kind == "blocked":  # every due notice meets a person who blocked the bot
            for notice in notify.claim(ctx, 10):
                notify.record(ctx, notice.id, notify.Sent("Forbidden: bot was blocked by the "
                                                          "user", permanent=True,
                                                          blocked=True), 3)
        elif kind == "hold":  # the holder parks ticket a+1 (for 1, 2, 5 minutes, or the most)
            holder = tickets.get_ticket(ctx, ADMIN, a + 1).ticket.agent_id
            hold.hold_ticket(ctx, Principal(Role.AGENT, holder or 0), a + 1,
                             minutes=(1, 2, 5, None)[b])
        elif kind == "unhold":
            hold.unhold_ticket(ctx, ADMIN, a + 1)
        elif kind == "holding":
            queue_admin.update_queue(ctx, ADMIN, "default", queue_admin.QueueChanges(
                hold_frees_slot=b % 2 == 0, hold_minutes=(1, 3, 10, 1440)[a % 4],
                hold_expiry=list(HoldExpiry)[(a + b) % 2]))
        elif kind == "tick":
            clock = ctx.clock
            assert isinstance(clock, FakeClock)
            clock.advance(20 * (a + 1))
            timers.tick(ctx)
        else:
            strategy = list(StrategyName)[(a + b) % 4]
            queue_admin.update_queue(ctx, ADMIN, "default",
                                     queue_admin.QueueChanges(strategy=strategy))
    except GiliranError:
        pass  # the same refusal must happen on both sides; the snapshots will tell


def _said(chat_id: str, message_id: int, text: str, ctx: Context) -> chat.ChatMessage:
    return chat.ChatMessage(update_id=message_id, chat_id=chat_id, message_id=message_id,
                            text=text, sender=chat_id, language=None, at=ctx.clock.now())


def state(uow: UnitOfWorkFactory) -> Any:
    f = snapshot(uow)
    with uow(write=False) as read:
        notes = [(e.ticket_id, e.event, e.note, e.detail) for e in read.history.search(
            HistoryFilter(limit=10**6))]
        events = [(e.type, e.at, e.ticket_id, e.queue, sorted(e.agents), e.payload)
                  for e in read.events.after(0, 10**6)]
        notices = [(n.channel, n.chat_id, n.text, n.key, n.status, n.ticket_id, n.message_id)
                   for n in read.notices.search(None, 10**6, 0)[0]]
        messages = [(m.ticket_id, m.direction, m.body, m.state)
                    for t in sorted(f.tickets) for m in read.messages.for_ticket(t)]
        day = read.daybook.day(DAY)  # the commands stay within DAY
        figures = (sorted((k, round(v, 6)) for k, v in day.sums.items() if v),
                   sorted((k, h.counts) for k, h in day.histograms.items()))
        contacts = sorted({t.contact for t in f.tickets.values() if t.contact is not None})
        customers = [(c.key, c.last_incoming_at, c.blocked_at) for c in
                     (read.customers.get(k) for k in contacts) if c is not None]
    return (
        sorted((t.id, t.status.value, t.agent_id, t.escalations, t.flag, t.flag_reason,
                t.missed_by, t.priority, t.effective_priority, t.queue_order, t.auto_dispatch,
                t.answered_at, t.hold_until, t.hold_keeps_slot)
               for t in f.tickets.values()),
        sorted((a.id, a.presence, a.active_tickets, a.max_tickets, a.missed_in_row,
                sorted(a.queue_state.items()), a.auto_assign, a.usage_state, a.usage_since,
                a.language, a.language_chosen, a.telegram_ticket_left)
               for a in f.agents.values()),
        sorted((q.name, q.next_agent_id, q.pointer_set_by_hand, q.strategy)
               for q in f.queues.values()),
        notes,
        events,
        notices,
        messages,
        figures,
        customers,
    )


def test_in_memory_store_behaves_like_sql(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    twins = Twins(backend, tmp_path, request)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
              HealthCheck.function_scoped_fixture])
    @given(commands)
    def run(cmds: list[Command]) -> None:
        twins.run(cmds)

    run()


def test_both_tell_a_conversation_with_the_same_events(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A customer writes, the desk answers, the channel takes the answer, the customer edits:
    every kind of message event, alongside ticket, agent and queue events, the same on both."""
    cmds: list[Command] = [
        ("agent", 0, 3), ("online", 0, 0), ("queue", 0, 1), ("link", 0, 1), ("customer", 0, 1),
        ("reply", 0, 0), ("hold", 0, 3), ("customer", 0, 2), ("hold", 0, 3),
        ("unhold", 0, 0), ("notify", 0, 0), ("delivered", 0, 0), ("edit", 0, 1),
        ("accept", 0, 0), ("complete", 0, 0), ("policy", 1, 2), ("offline", 0, 0)]
    seen = Twins(backend, tmp_path, request).run(cmds)
    assert set(EventType) - seen <= {  # the rest come from timers and supervisors' moves
        EventType.TICKET_ESCALATED, EventType.TICKET_UNASSIGNED, EventType.TICKET_FLAGGED,
        EventType.TICKET_RELEASED, EventType.TICKET_PRIORITY, EventType.TICKET_CANCELLED,
        EventType.USER_CHANGED,  # people's changes: tests/integration/test_ws_people.py
        EventType.MESSAGE_CREATED,  # notes: tests/integration/test_api_inbox.py
        EventType.TICKET_TRANSFERRED,  # tests/integration/test_transfer.py
        EventType.SLA_WARNING, EventType.SLA_BREACHED,  # tests/integration/test_sla_timers.py
        EventType.SCHEDULE_CHANGED}  # opening hours: tests/integration/test_frames_match_rest.py


class Twins:
    """The same commands on the in-memory store and on SQL, compared after each one."""

    def __init__(self, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.backend, self.tmp_path, self.request = backend, tmp_path, request
        self.counter = iter(range(10**6))

    def fresh_sql(self, clock: FakeClock) -> SqlUnitOfWorkFactory:
        if self.backend == "postgres":
            cluster: Cluster = self.request.getfixturevalue("pg_cluster")
            return SqlUnitOfWorkFactory(connect(cluster.fresh_database(), pool_size=2),
                                        clock=clock)
        db = connect(migrated_sqlite(self.tmp_path / f"twin-{next(self.counter)}.db"),
                     pool_size=2)
        return SqlUnitOfWorkFactory(db, clock=clock)

    def run(self, cmds: list[Command]) -> set[EventType]:
        """The types of the events both told."""
        mem_clock, sql_clock = FakeClock(), FakeClock()
        _CHANNEL_IDS.clear()  # both contexts count from 0 (an old context's id may be reused)
        sql = self.fresh_sql(sql_clock)
        try:
            mem_ctx = Context(InMemoryStore(mem_clock), mem_clock, "a" * 20,
                              rng=random.Random(5), presence_grace_seconds=90,
                              sending=SENDING)
            sql_ctx = Context(sql, sql_clock, "a" * 20, rng=random.Random(5),
                              presence_grace_seconds=90, sending=SENDING)
            for cmd in cmds:
                apply(mem_ctx, cmd)
                apply(sql_ctx, cmd)
                assert state(mem_ctx.uow) == state(sql_ctx.uow), f"diverged after {cmd}"
            with sql(write=False) as read:
                return {e.type for e in read.events.after(0, 10**6)}
        finally:
            sql.db.dispose()
