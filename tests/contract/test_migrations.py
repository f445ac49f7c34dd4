"""Migrations that change data, run from the revision before them on SQLite and PostgreSQL
(`empty_db`: tests/contract/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from giliran.adapters.sql import migrate
from giliran.adapters.sql.database import Database
from giliran.adapters.sql.uow import SqlUnitOfWorkFactory
from giliran.domain.actor import Actor, Via
from giliran.service.ports import AuditFilter


def test_a_switched_off_default_queue_is_switched_back_on(empty_db: Database) -> None:
    migrate.upgrade(empty_db, "0010")
    with empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE queues SET active = :off WHERE name = 'default'"),
                     {"off": False})
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        active = conn.execute(text("SELECT active FROM queues WHERE name = 'default'")).scalar()
    assert active is True or active == 1
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    empty_db.dispose()


def test_desks_keep_a_linked_chats_language_and_start_the_presence_log(
    empty_db: Database,
) -> None:
    migrate.upgrade(empty_db, "0013")
    with empty_db.engine.begin() as conn:
        for agent_id, presence in ((1, "online"), (2, "offline")):
            conn.execute(text(
                "INSERT INTO agents (id, name, token_hash, max_tickets, auto_assign, active, "
                "presence, rotation_order, active_tickets, last_assigned_seq, missed_in_row, "
                "queues, created_at) VALUES (:id, :name, :hash, 5, :yes, :yes, :presence, 0, 0, "
                "0, 0, '[\"default\"]', CURRENT_TIMESTAMP)"),
                {"id": agent_id, "name": f"a{agent_id}", "hash": f"h{agent_id}", "yes": True,
                 "presence": presence})
        conn.execute(text("INSERT INTO chat_links (agent_id, chat_id, language, linked_at) "
                          "VALUES (1, '7001', 'id', CURRENT_TIMESTAMP)"))
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        languages = dict(conn.execute(text("SELECT id, language FROM agents")).all())
        logged = dict(conn.execute(text("SELECT agent_id, presence FROM presence_log")).all())
    assert languages == {1: "id", 2: "en"}, "a linked agent keeps the language its chat had"
    assert logged == {1: "online", 2: "offline"}, "time online counts from the upgrade on"
    empty_db.dispose()


def test_conversations_keep_every_ticket_and_know_the_customers_they_had(
    empty_db: Database,
) -> None:
    """0012 on a desk with tickets (which refer to their queue, so the queues table cannot be
    rebuilt under SQLite's foreign keys): every contact becomes a customer, named as they
    signed their latest message; messages become incoming text; queues accept by reply."""
    migrate.upgrade(empty_db, "0011")
    with empty_db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO tickets (id, title, queue, priority, status, assigned_seq, created_at, "
            "escalations, missed_by, auto_dispatch, queue_order, contact) VALUES (1, 'Halo', "
            "'default', 1, 'queued', 0, CURRENT_TIMESTAMP, 0, '[]', :yes, 0, "
            "'whatsapp:6281234567890')"), {"yes": True})
        for message_id, sender in ((1, "Budi"), (2, "Budi Santoso")):
            conn.execute(text(
                "INSERT INTO ticket_messages (id, ticket_id, channel, external_id, sender, body, "
                "at) VALUES (:id, 1, 'whatsapp', :ext, :sender, 'hi', CURRENT_TIMESTAMP)"),
                {"id": message_id, "ext": f"whatsapp:wamid.{message_id}", "sender": sender})
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        customer = conn.execute(text(
            "SELECT key, channel, address, name FROM customers")).one()
        kinds = conn.execute(text(
            "SELECT DISTINCT direction, kind FROM ticket_messages")).all()
        accepts = conn.execute(text("SELECT reply_accepts FROM queues")).scalars().all()
        tickets = conn.execute(text("SELECT count(*) FROM tickets")).scalar()
    assert tuple(customer) == ("whatsapp:6281234567890", "whatsapp", "6281234567890",
                               "Budi Santoso")
    assert [tuple(k) for k in kinds] == [("in", "text")]
    assert all(a in (True, 1) for a in accepts) and tickets == 1
    empty_db.dispose()


def test_every_queue_gets_a_five_minute_service_level_target(empty_db: Database) -> None:
    migrate.upgrade(empty_db, "0014")
    with empty_db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO queues (name, strategy, accept_timeout_seconds, max_escalations, "
            "away_after_misses, offline_policy, max_wait_seconds, auto_assign_percent, active, "
            "priority_aging_seconds, created_at, reply_accepts) VALUES ('sales', 'rotation', "
            "60, 0, 0, 'keep', 0, 100, :yes, 600, CURRENT_TIMESTAMP, :yes)"), {"yes": True})
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        targets = dict(conn.execute(text("SELECT name, service_level_seconds FROM queues")).all())
        kept = conn.execute(text("SELECT strategy, accept_timeout_seconds FROM queues "
                                 "WHERE name = 'sales'")).one()
    assert targets == {"default": 300, "sales": 300}
    assert tuple(kept) == ("rotation", 60), "the queue's policy is kept"
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    empty_db.dispose()


def test_queue_depths_start_from_the_tickets_queued_and_follow_every_change(
    empty_db: Database,
) -> None:
    """0016 counts the queued tickets per queue and priority, and its triggers keep the count
    through inserts, status, priority and queue changes, and deletes, by whatever writer."""
    migrate.upgrade(empty_db, "0014")
    insert = text(
        "INSERT INTO tickets (id, title, queue, priority, status, assigned_seq, created_at, "
        "escalations, missed_by, auto_dispatch, queue_order) VALUES (:id, 't', 'default', "
        ":priority, :status, 0, CURRENT_TIMESTAMP, 0, '[]', :yes, 0)")
    with empty_db.engine.begin() as conn:
        for ticket_id, priority, status in ((1, 1, "queued"), (2, 1, "queued"),
                                            (3, 2, "queued"), (4, 1, "completed")):
            conn.execute(insert, {"id": ticket_id, "priority": priority, "status": status,
                                  "yes": True})
    migrate.upgrade(empty_db)

    def depths() -> dict[tuple[str, int], int]:
        with empty_db.engine.connect() as conn:
            rows = conn.execute(text("SELECT queue, priority, queued FROM queue_depth"))
            return {(q, p): n for q, p, n in rows if n}

    assert depths() == {("default", 1): 2, ("default", 2): 1}
    insert = text(  # since 0018 the depths follow the priority a ticket is served at
        "INSERT INTO tickets (id, title, queue, priority, effective_priority, status, "
        "assigned_seq, created_at, escalations, missed_by, auto_dispatch, queue_order) VALUES "
        "(:id, 't', 'default', :priority, :priority, :status, 0, CURRENT_TIMESTAMP, 0, '[]', "
        ":yes, 0)")
    with empty_db.engine.begin() as conn:
        conn.execute(insert, {"id": 5, "priority": 0, "status": "queued", "yes": True})
        conn.execute(text("UPDATE tickets SET status = 'assigned' WHERE id = 1"))
        conn.execute(text("UPDATE tickets SET effective_priority = 3 WHERE id = 2"))
        conn.execute(text("UPDATE tickets SET priority = 0 WHERE id = 3"))  # not served by it
        conn.execute(text("UPDATE tickets SET status = 'queued' WHERE id = 4"))
        conn.execute(text("UPDATE tickets SET title = 'renamed' WHERE id = 3"))
        conn.execute(text("DELETE FROM tickets WHERE id = 5"))
    assert depths() == {("default", 1): 1, ("default", 2): 1, ("default", 3): 1}
    empty_db.dispose()


def test_customers_with_several_open_tickets_keep_them_all_and_get_one_more_never(
    empty_db: Database,
) -> None:
    """0017 on a desk whose writers once slipped: a customer with two open tickets keeps both
    (the newest stays the conversation), and from then on the database refuses a third."""
    migrate.upgrade(empty_db, "0016")
    insert = text(
        "INSERT INTO tickets (id, title, queue, priority, status, assigned_seq, created_at, "
        "escalations, missed_by, auto_dispatch, queue_order, contact) VALUES (:id, 't', "
        "'default', 1, :status, 0, CURRENT_TIMESTAMP, 0, '[]', :yes, 0, :contact)")
    rows = ((1, "completed", "whatsapp:62811"), (2, "assigned", "whatsapp:62811"),
            (3, "queued", "whatsapp:62811"), (4, "queued", "telegram:7"), (5, "queued", None))
    with empty_db.engine.begin() as conn:
        for ticket_id, status, contact in rows:
            conn.execute(insert, {"id": ticket_id, "status": status, "contact": contact,
                                  "yes": True})
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        kept = conn.execute(text(
            "SELECT id, status, contact, contact_shared FROM tickets ORDER BY id")).all()
    assert [(i, s, c, bool(shared)) for i, s, c, shared in kept] == [
        (1, "completed", "whatsapp:62811", False), (2, "assigned", "whatsapp:62811", True),
        (3, "queued", "whatsapp:62811", False), (4, "queued", "telegram:7", False),
        (5, "queued", None, False)]
    with pytest.raises(IntegrityError), empty_db.engine.begin() as conn:
        conn.execute(insert, {"id": 6, "status": "queued", "contact": "whatsapp:62811",
                              "yes": True})
    with empty_db.engine.begin() as conn:  # a closed one, or none, is no customer's second
        conn.execute(insert, {"id": 7, "status": "cancelled", "contact": "whatsapp:62811",
                              "yes": True})
        conn.execute(insert, {"id": 8, "status": "queued", "contact": None, "yes": True})
    empty_db.dispose()


def test_the_priority_asked_for_is_worked_back_from_the_history(empty_db: Database) -> None:
    """0018 on a desk where aging overwrote priorities: each ticket is still served at the
    level it had reached (so the queue's order and depths do not move), and its priority is
    what was asked: the level a supervisor set last, else one below the first aging step."""
    migrate.upgrade(empty_db, "0017")
    stored = {1: 3, 2: 2, 3: 3, 4: 1, 5: 3}  # what aging had overwritten them with
    history = {
        1: [("priority_normal", "aging"), ("priority_high", "aging"),
            ("priority_urgent", "aging")],  # asked low
        2: [("priority_low", "priority"), ("priority_normal", "aging"),
            ("priority_high", "aging")],  # a supervisor set low, then it aged twice
        3: [("priority_high", "aging"), ("moved to front", "front")],  # asked normal
        4: [],  # never changed: normal
        5: [("moved to front", "front")],  # its level before the move was never recorded
    }
    with empty_db.engine.begin() as conn:
        for ticket_id, level in stored.items():
            conn.execute(text(
                "INSERT INTO tickets (id, title, queue, priority, status, assigned_seq, "
                "created_at, escalations, missed_by, auto_dispatch, queue_order) VALUES (:id, "
                "'t', 'default', :level, 'queued', 0, CURRENT_TIMESTAMP, 0, '[]', :yes, 0)"),
                {"id": ticket_id, "level": level, "yes": True})
            for event, reason in history[ticket_id]:
                conn.execute(text(
                    "INSERT INTO assignment_history (ticket_id, at, event, reason, actor) "
                    "VALUES (:id, CURRENT_TIMESTAMP, :event, :reason, 'system')"),
                    {"id": ticket_id, "event": event, "reason": reason})
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, priority, effective_priority FROM tickets"))
        found = {r.id: (r.priority, r.effective_priority) for r in rows}
        depths = {(q, p): n for q, p, n in conn.execute(
            text("SELECT queue, priority, queued FROM queue_depth")) if n}
    assert found == {1: (0, 3), 2: (0, 2), 3: (1, 3), 4: (1, 1), 5: (3, 3)}
    assert depths == {("default", 3): 3, ("default", 2): 1, ("default", 1): 1}, (
        "the depths follow the level each ticket is served at, as before")
    empty_db.dispose()


def test_a_pointer_that_stood_before_counts_as_moved_on_by_an_assignment(
    empty_db: Database,
) -> None:
    migrate.upgrade(empty_db, "0017")
    with empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE queues SET strategy = 'rotation', next_agent_id = 7"))
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        found = conn.execute(text("SELECT next_agent_id, pointer_set_by_hand FROM queues "
                                  "WHERE name = 'default'")).one()
    assert (found[0], bool(found[1])) == (7, False)
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    empty_db.dispose()


def test_only_agents_given_another_language_than_english_count_as_having_chosen_it(
    empty_db: Database,
) -> None:
    """0023: an English agent may still take its dashboard's language when it next links
    Telegram; one given Indonesian (by itself, an admin, or its chat) keeps it."""
    migrate.upgrade(empty_db, "0022")
    with empty_db.engine.begin() as conn:
        for agent_id, language in ((1, "en"), (2, "id")):
            conn.execute(text(
                "INSERT INTO agents (id, name, token_hash, max_tickets, auto_assign, active, "
                "presence, rotation_order, active_tickets, last_assigned_seq, missed_in_row, "
                "queues, created_at, language, auto_assign_locked, queue_state) VALUES (:id, "
                ":name, :hash, 5, :yes, :yes, 'offline', 0, 0, 0, 0, '[\"default\"]', "
                "CURRENT_TIMESTAMP, :language, :no, '{}')"),
                {"id": agent_id, "name": f"a{agent_id}", "hash": f"h{agent_id}", "yes": True,
                 "no": False, "language": language})
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        chosen = dict(conn.execute(text("SELECT id, language_chosen FROM agents")).all())
    assert {k: bool(v) for k, v in chosen.items()} == {1: False, 2: True}
    empty_db.dispose()


def test_changes_recorded_before_names_read_back_by_their_key(empty_db: Database) -> None:
    """0025: lines written before actors had names keep nulls beside their key, and read back
    as an actor known by the key alone (how it came worked out from the key)."""
    migrate.upgrade(empty_db, "0024")
    with empty_db.engine.begin() as conn:
        for actor in ("admin", "agent:5", "system"):
            conn.execute(text(
                "INSERT INTO audit_log (at, actor, kind, subject, action) VALUES "
                "(CURRENT_TIMESTAMP, :actor, 'queue', 'sales', 'changed')"), {"actor": actor})
    migrate.upgrade(empty_db)
    with SqlUnitOfWorkFactory(empty_db)(write=False) as r:
        found = [e.actor for e in r.audit.search(AuditFilter())]
    assert found == [Actor("system", "system", Via.SYSTEM),
                     Actor("agent:5", "agent:5", Via.AGENT_TOKEN),
                     Actor("admin", "admin", Via.ADMIN_TOKEN)]
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    empty_db.dispose()
