"""What an agent's Telegram notices say, on SQLite and PostgreSQL, against the fake Bot API
server: the load each assignment notice tells."""

from __future__ import annotations

from tests.integration.test_api_seed import ADMIN, make_agent, online, post_ticket
from tests.support.desks import AGENT_CHAT, API, Bot


def assignments(tg: Bot) -> list[str]:
    return [t for t in tg.fake.sent_to(AGENT_CHAT) if t.startswith("🎫")]


def test_a_burst_of_assignments_tells_each_the_load_its_own_assignment_left(tg: Bot) -> None:
    """Three tickets waiting when the agent comes online are assigned in one go; the notices
    go out after it, and each says the count and place of its own assignment."""
    agent = make_agent(tg.client, "Sari")
    tg.link(agent["id"])
    made = [post_ticket(tg.client, f"lead {i}") for i in range(3)]
    online(tg.client, agent)
    tg.deliver()
    assert [(line.splitlines()[1], line.splitlines()[-2:]) for line in assignments(tg)] == [
        (f"Ticket: {t['number']}", [f"Queue position: #{i}", f"You have {i}/5 active tickets."])
        for i, t in enumerate(made, start=1)]


def test_notices_told_after_the_agent_moved_on_keep_the_load_of_their_assignment(
    tg: Bot,
) -> None:
    """Assigned one by one; by the time the courier runs, the first is completed and a fourth
    came: each notice still reads as its assignment left the agent."""
    agent = make_agent(tg.client, "Sari", max_tickets=3)
    tg.link(agent["id"])
    online(tg.client, agent)
    first, second, third = (post_ticket(tg.client, f"lead {i}") for i in range(3))
    me = {"Authorization": f"Bearer {agent['token']}"}
    for action in ("accept", "complete"):
        assert tg.client.post(f"{API}/tickets/{first['id']}/{action}",
                              headers=me).status_code == 200
    post_ticket(tg.client, "lead 3")
    tg.deliver()
    told = assignments(tg)
    assert told[0] == (
        f"🎫 Ticket {first['number']} was assigned to you (lead 0); it has already moved on."
        "\nYou have 3/3 active tickets.")  # about now: it is gone
    assert [t.splitlines()[-1] for t in told[1:]] == [
        "You have 2/3 active tickets.", "You have 3/3 active tickets.",
        "You have 3/3 active tickets."]
    assert tg.client.get(f"{API}/agents/{agent['id']}", headers=ADMIN).json()[
        "active_tickets"] == 3
    assert second["number"] in told[1] and third["number"] in told[2]
