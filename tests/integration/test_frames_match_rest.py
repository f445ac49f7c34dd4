"""A WebSocket frame carries its ticket, agent or queue exactly as the REST API shows that
object to the same viewer at that moment, so a page can keep frames in its store in place of
what it read (issue 21, item 3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.integration.test_api_seed import ADMIN, bearer, make_agent, post_ticket
from tests.integration.test_event_stream import connect, next_of
from tests.support import frame_schemas as schemas
from tests.support.server import ADMIN_TOKEN

API = "/api/v1"


def rest(client: TestClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    r = client.get(API + path, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_frames_show_tickets_agents_and_queues_as_rest_does(client: TestClient) -> None:
    r = client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 300},
                     headers=ADMIN)
    assert r.status_code == 200, r.text
    a = make_agent(client, "A", max_tickets=1)
    as_a = bearer(a["token"])
    with connect(client, ADMIN_TOKEN) as (admin, _), connect(client, a["token"]) as (agent, _):
        next_of(admin, "snapshot")
        next_of(agent, "snapshot")

        assert client.post(f"{API}/agent/go-online", headers=as_a).status_code == 200
        for session in (admin, agent):
            frame = next_of(session, "agent.presence")["agent"]
            assert frame == rest(client, f"/agents/{a['id']}", ADMIN)
            assert frame == rest(client, "/agent/me", as_a)

        held = post_ticket(client, "held by A", category="billing")
        for session in (admin, agent):
            frame = next_of(session, "ticket.assigned")["ticket"]
            assert frame["accept_deadline"] is not None  # the queue's timer runs
            assert frame == rest(client, f"/tickets/{held['id']}", ADMIN)
            assert frame == rest(client, f"/tickets/{held['id']}", as_a)
        mine = rest(client, "/agent/my-queue", as_a)["queue"][0]
        assert frame == {k: v for k, v in mine.items() if k != "position"}

        waiting = post_ticket(client, "waits: A is full")
        for session in (admin, agent):  # the agent sees it for its pick-up list
            frame = next_of(session, "ticket.created")["ticket"]
            assert (frame["id"], frame["queue_position"]) == (waiting["id"], 1)
            assert frame == rest(client, f"/tickets/{waiting['id']}", ADMIN)
            assert frame == rest(client, f"/tickets/{waiting['id']}", as_a)

        client.patch(f"{API}/queues/default", json={"strategy": "random"}, headers=ADMIN)
        assert next_of(admin, "queue.changed")["queue"] == rest(client, "/queues/default", ADMIN)


def test_a_snapshot_shows_the_agent_and_its_tickets_as_rest_does(client: TestClient) -> None:
    client.patch(f"{API}/queues/default", json={"accept_timeout_seconds": 300}, headers=ADMIN)
    a = make_agent(client, "A", max_tickets=2)
    as_a = bearer(a["token"])
    client.post(f"{API}/agent/go-online", headers=as_a)
    held = post_ticket(client, "held by A")
    with connect(client, a["token"]) as (agent, _):
        snapshot = next_of(agent, "snapshot")
        assert snapshot["agent"] == rest(client, "/agent/me", as_a)
        assert snapshot["tickets"] == [rest(client, f"/tickets/{held['id']}", as_a)]


def view_after(session: Any, kind: str, ticket_id: int,
               right: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The `kind` view that is `right`, among the first three after the event of ticket
    `ticket_id`. Views follow the events they reflect; a view is several reads, so one worked
    out while a commit landed is dropped for the next (live_views.py), and one more may follow
    stale under a steady stream of events, never the last."""
    seen, views = False, 0
    while True:
        frame: dict[str, Any] = session.receive_json()
        seen = seen or frame.get("ticket", {}).get("id") == ticket_id
        if seen and frame["type"] == kind:
            views += 1
            if right(frame) or views == 3:
                return frame


def test_views_are_what_the_rest_endpoints_answer(client: TestClient) -> None:
    """The desk (an agent's record, its queue, its pick-up list) and the floor (the workload,
    the agents, the queues) come as frames, so pages need not read them after an event."""
    client.patch(f"{API}/queues/default", json={"pickup": "on"}, headers=ADMIN)
    a = make_agent(client, "A", max_tickets=1)
    as_a = bearer(a["token"])
    client.post(f"{API}/agent/go-online", headers=as_a)
    with connect(client, ADMIN_TOKEN) as (admin, _), connect(client, a["token"]) as (agent, _):
        held = post_ticket(client, "held by A")
        waits = post_ticket(client, "waits: A is full")
        me, mine = rest(client, "/agent/me", as_a), rest(client, "/agent/my-queue", as_a)
        desk = view_after(agent, "desk", waits["id"],
                          lambda d: (d["me"], d["queue"]) == (me, mine))
        assert desk["queue"]["queue"][0]["id"] == held["id"]
        assert desk["me"] == me
        assert desk["queue"] == mine
        assert desk["available"] == rest(client, "/agent/available?limit=20", as_a)
        workload = rest(client, "/workload", ADMIN)
        floor = view_after(admin, "floor", waits["id"], lambda f: f["workload"] == workload)
        assert floor["workload"]["queue"]["pending"] == 1
        assert floor["workload"] == workload
        assert floor["agents"] == client.get(f"{API}/agents", headers=ADMIN).json()
        assert floor["queues"] == client.get(f"{API}/queues", headers=ADMIN).json()


def test_an_admin_watches_its_ticket_list(client: TestClient) -> None:
    query = "limit=25&offset=0&open=true&sort=number&order=desc"
    with connect(client, ADMIN_TOKEN) as (admin, _):
        admin.send_json({"type": "watch", "tickets": "limit=0"})  # as GET /tickets refuses it
        assert next_of(admin, "error")["code"] == "unknown_message"
        admin.send_json({"type": "watch", "tickets": query})
        posted = post_ticket(client, "listed")
        while not (page := next_of(admin, "tickets")["page"])["items"]:
            pass
        assert page["items"][0]["id"] == posted["id"]
        assert page == rest(client, f"/tickets?{query}", ADMIN)


def test_every_frame_a_page_gets_is_as_the_published_schemas_say(client: TestClient) -> None:
    """hello, snapshots, events, the views and refusals, for a supervisor and an agent: what
    docs/events/ publishes is what travels (issue 21, item 4)."""
    a = make_agent(client, "A", max_tickets=1)
    client.post(f"{API}/agent/go-online", headers=bearer(a["token"]))
    seen: list[dict[str, Any]] = []
    with connect(client, ADMIN_TOKEN) as (admin, hello), \
            connect(client, a["token"]) as (agent, agent_hello):
        seen += [hello, agent_hello]
        admin.send_json({"type": "watch", "tickets": "limit=25"})
        admin.send_json({"type": "what?"})
        agent.send_json({"type": "ping"})
        post_ticket(client, "held by A")
        waits = post_ticket(client, "waits")
        for session, views in ((admin, {"tickets", "floor"}), (agent, {"desk"})):
            # Until every view that follows the second ticket's arrival (views come after the
            # events they reflect, in no promised order among themselves).
            arrived, wanted = False, set(views)
            while wanted:
                frame = session.receive_json()
                seen.append(frame)
                arrived = arrived or frame.get("ticket", {}).get("id") == waits["id"]
                if arrived:
                    wanted.discard(frame["type"])
    kinds = {f["type"] for f in seen}
    assert {"hello", "snapshot", "ticket.created", "ticket.assigned", "desk", "floor",
            "tickets", "pong", "error"} <= kinds
    for frame in seen:
        assert schemas.refusals(frame) == [], frame["type"]


def test_schedule_changes_reach_supervisors_as_rest_shows_them(client: TestClient) -> None:
    """Opening hours created, changed, given holidays and deleted: each a `schedule.changed`
    frame for a supervisor with the schedule as GET /schedules/{name} shows it (its name and
    the action once deleted), valid under the published schema; an agent hears none of it."""
    a = make_agent(client, "A", max_tickets=1)
    client.post(f"{API}/agent/go-online", headers=bearer(a["token"]))
    office = {"name": "office", "timezone": "Asia/Jakarta",
              "hours": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}}
    with connect(client, ADMIN_TOKEN) as (admin, _), connect(client, a["token"]) as (agent, _):
        next_of(admin, "snapshot")
        next_of(agent, "snapshot")
        frames = []

        def changed(method: str, path: str, body: dict[str, Any] | None = None) -> None:
            r = client.request(method, API + path, json=body, headers=ADMIN)
            assert r.status_code in (200, 201, 204), r.text
            frame = next_of(admin, "schedule.changed")
            assert schemas.refusals(frame) == [], frame
            assert frame["by"]["via"] == "admin_token"
            frames.append(frame)

        changed("POST", "/schedules", office)
        assert frames[-1]["action"] == "created"
        assert frames[-1]["schedule"] == rest(client, "/schedules/office", ADMIN)

        client.patch(f"{API}/queues/default", json={"schedule": "office"}, headers=ADMIN)
        changed("PATCH", "/schedules/office", {"hours": {"tue": [["09:00", "15:00"]]},
                                               "exceptions": [{"date": "2030-01-02",
                                                               "hours": [], "note": "stock"}]})
        assert frames[-1]["action"] == "changed"
        assert frames[-1]["schedule"]["queues"] == ["default"]
        assert frames[-1]["schedule"] == rest(client, "/schedules/office", ADMIN)

        changed("POST", "/schedules/office/holidays", {"country": "ID", "year": 2030})
        assert frames[-1]["action"] == "holidays_imported"
        assert frames[-1]["schedule"]["holidays"]
        assert frames[-1]["schedule"] == rest(client, "/schedules/office", ADMIN)

        client.patch(f"{API}/queues/default", json={"schedule": ""}, headers=ADMIN)
        changed("DELETE", "/schedules/office")
        assert frames[-1]["action"] == "deleted" and frames[-1]["name"] == "office"
        assert "schedule" not in frames[-1]

        # The agent's next frame that concerns it comes after all of those: none was a schedule.
        post_ticket(client, "for A")
        kinds = []
        while (kind := agent.receive_json()["type"]) != "ticket.assigned":
            kinds.append(kind)
        assert "schedule.changed" not in kinds
